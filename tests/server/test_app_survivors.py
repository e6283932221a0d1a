"""server/app.py in process: the probes, Starlette's answers with the site's headers, how an app is made.

Apps are called as ASGI apps here, message by message (no test client in between), and every
expected value is written in the test (see bench/mutation-survivors.md for why these exist).
"""

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

import server
from server import app as app_module
from server.accesslog import AccessLog
from server.app import EblogApp, app_from, create_app, default_zip, read_commit, uvicorn_factory
from server.settings import Limits, Settings
from server.site import Site
from testing.recording_log import RecordingLog

COMMIT = "abc123"


def call(app: EblogApp, path: str, method: str = "GET") -> tuple[int, dict[bytes, bytes], bytes]:
    """One request through the ASGI interface: status, headers, the body as sent."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [], "http_version": "1.1", "scheme": "http", "server": ("127.0.0.1", 8080),
             "client": ("127.0.0.1", 5000), "root_path": "", "asgi": {"version": "3.0"}}  # fmt: skip
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    start = sent[0]
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def probe_app(log: AccessLog | None = None) -> EblogApp:
    return EblogApp(Site({}, COMMIT), "summary", log)


def test_probes_answer_json_with_the_commit_not_stored() -> None:
    app = probe_app()
    for path, status, word in (("/healthz", 200, "ok"), ("/livez", 200, "alive")):
        code, headers, body = call(app, path)
        assert (code, json.loads(body)) == (status, {"status": word, "commit": COMMIT})
        assert headers[b"cache-control"] == b"no-store"
        assert headers[b"x-frame-options"] == b"DENY"  # the site's own headers, added to Starlette's answer
    app.draining = True
    code, _, body = call(app, "/healthz")
    assert (code, json.loads(body)) == (503, {"status": "draining", "commit": COMMIT})
    assert call(app, "/livez")[0] == 200


@pytest.mark.parametrize("path", ["/healthz", "/livez"])
def test_probes_take_head_and_refuse_other_methods_with_a_stable_allow(path: str) -> None:
    log = RecordingLog()
    app = probe_app(log)
    assert call(app, path, "HEAD")[0] == 200
    code, headers, body = call(app, path, "POST")
    assert (code, body) == (405, b"Method Not Allowed\n")
    assert (headers[b"allow"], headers[b"cache-control"]) == (b"GET, HEAD", b"no-store")
    assert [record[1:] for record in log.records] == [
        (200, 0, "identity"),
        (405, 19, "identity"),
    ]  # HEAD: no body counted


def test_a_probe_logs_its_body_size() -> None:
    log = RecordingLog()
    call(probe_app(log), "/livez")
    assert [record[1:] for record in log.records] == [(200, len(b'{"status":"alive","commit":"abc123"}'), "identity")]


def test_the_start_up_log_is_kept_without_an_access_log() -> None:
    app = probe_app()
    assert app.access_log is None
    assert isinstance(app.log, AccessLog)
    assert app.draining is False
    assert app.limits == Limits()


def test_create_app_passes_its_settings_on(site_zip: Path) -> None:
    limits = Limits(max_connections=7)
    app = create_app(site_zip, False, log_style="json", limits=limits, cdn_max_age=99, base_path="/blog")
    assert app.access_log is None
    assert (app.log.style, app.limits) == ("json", limits)
    assert app.summary.startswith("eblog: serving ")
    assert app.summary.endswith(
        f" assets from {site_zip} ({site_zip.stat().st_size} bytes), commit unknown, under /blog/"
    )
    page = next(path for path in app.site.routes if path.endswith("/"))
    assert dict(app.site.routes[page].identity.ok)[b"cache-control"] == (
        b"public, max-age=60, s-maxage=99, stale-while-revalidate=99"
    )
    assert all(path.startswith("/blog/") for path in app.site.routes)
    logged = create_app(site_zip)
    assert logged.access_log is logged.log
    assert (logged.log.style, logged.summary.endswith("commit unknown")) == ("combined", True)


def test_app_from_settings(site_zip: Path) -> None:
    limits = Limits(max_connections=3)
    settings = Settings(zip=site_zip, access_log="json", cdn_max_age=5, base_path="/b", limits=limits)
    app = app_from(settings)
    assert app.access_log is not None and app.access_log.style == "json"
    assert app.limits is limits
    page = next(path for path in app.site.routes if path.endswith("/"))
    assert dict(app.site.routes[page].identity.ok)[b"cache-control"] == (
        b"public, max-age=60, s-maxage=5, stale-while-revalidate=5"
    )
    assert app.summary.endswith("under /b/")
    assert app_from(Settings(zip=site_zip, access_log="off")).access_log is None
    with pytest.raises(server.assets.SiteError):
        app_from(Settings(zip=site_zip, max_site_bytes=10))


def test_uvicorn_factory_stops_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "http")
    with pytest.raises(SystemExit) as stopped:
        uvicorn_factory()
    assert str(stopped.value) == "eblog-server: error: PORT='http' is not a TCP port (1-65535)"


def test_uvicorn_factory_reads_the_environment(site_zip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EBLOG_ZIP", str(site_zip))
    monkeypatch.setenv("EBLOG_BASE_PATH", "/env")
    assert uvicorn_factory().summary.endswith("under /env/")


def test_the_default_zip_is_the_one_in_the_package() -> None:
    assert Path(str(default_zip())) == Path(server.__file__).parent / "assets.zip"


@pytest.mark.parametrize(
    ("written", "commit"),
    [
        (None, "unknown"),
        (b"  1a2b3c\n", "1a2b3c"),
        (b"v1.2_rc-3", "v1.2_rc-3"),
        (b"a" * 64, "a" * 64),
        (b"a" * 64 + b"!", "a" * 64),  # only the first 64 characters are kept, and checked
        (b"a" * 63 + b"!", "unknown"),
        (b"caf\xc3\xa9", "unknown"),  # not ASCII
        (b"two words", "unknown"),
        (b"\n", "unknown"),
    ],
)
def test_read_commit(written: bytes | None, commit: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if written is not None:
        (tmp_path / "commit.txt").write_bytes(written)
    monkeypatch.setattr(app_module, "files", lambda package: tmp_path if package == "server" else None)
    assert read_commit() == commit


def test_create_app_without_a_zip_serves_the_packaged_one(site_zip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_module, "default_zip", lambda: site_zip)
    assert f" assets from {site_zip} (" in create_app().summary
