"""server/settings.py in process: each value read, each refusal's exact line, the help a user reads.

The suite's other settings tests start the server as a process, which mutation testing cannot tie
to the code (see bench/mutation-survivors.md). Every expected value and message is written here.
"""

import os
from pathlib import Path

import pytest

from server import settings
from server.settings import Limits, Settings, SettingsError, load

CPUS = 4


def refusal(argv: list[str] | None = None, **environ: str) -> str:
    with pytest.raises(SettingsError) as raised:
        load(argv, environ)
    return str(raised.value)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "0"], "--port='0' is not a TCP port (1-65535)"),
        (["--port", "65536"], "--port='65536' is not a TCP port (1-65535)"),
        (["--max-site-bytes", "0"], ("--max-site-bytes='0' is not a size in bytes (a positive whole number, "
         "optionally with K, M or G)")),
        (["--shutdown-timeout", "soon"], "--shutdown-timeout='soon' is not a number of seconds greater than 0"),
        (["--shutdown-timeout", "0"], "--shutdown-timeout='0' is not a number of seconds greater than 0"),
        (["--drain", "later"], "--drain='later' is not a number of seconds (0 or more; 0: no drain)"),
        (["--drain", "-1"], "--drain='-1' is not a number of seconds (0 or more; 0: no drain)"),
        (["--workers", "0"], "--workers='0' is not auto or a number of workers from 1 to 64"),
        (["--workers", "65"], "--workers='65' is not auto or a number of workers from 1 to 64"),
        (["--workers", "many"], "--workers='many' is not auto or a number of workers from 1 to 64"),
        (["--cdn-max-age", "-5"], "--cdn-max-age='-5' is not a whole number of seconds (0 or more)"),
        (["--max-connections", "0"], "--max-connections='0' is not a positive whole number"),
        (["--base-path", "/a/../b"], ("--base-path='/a/../b' is not a path like /blog/ (segments of letters, "
         "digits, - . _ ~)")),
        (["--base-path", "/a/./b"], ("--base-path='/a/./b' is not a path like /blog/ (segments of letters, "
         "digits, - . _ ~)")),
        (["--base-path", "blog"], ("--base-path='blog' is not a path like /blog/ (segments of letters, "
         "digits, - . _ ~)")),
        (["--zip", ""], "--zip='' is empty"),
        (["--reuse-port", "maybe"], "--reuse-port='maybe' is not on or off (on, off, 1, 0, true, false, yes, no)"),
        (["--access-log", "offf"], "--access-log='offf' is not combined, json or off (on: combined)"),
    ],
)  # fmt: skip
def test_a_bad_flag_is_refused_in_one_line_naming_it(argv: list[str], message: str) -> None:
    assert refusal(argv) == message


def test_a_bad_variable_is_named_and_a_flag_wins_over_it() -> None:
    assert refusal(PORT="http") == "PORT='http' is not a TCP port (1-65535)"
    assert load(["--port", "81"], {"PORT": "http"}).port == 81
    assert load([], {"PORT": ""}).port == 8080  # empty: not set
    assert load(None, {"PORT": "82"}).port == 82


@pytest.mark.parametrize(
    ("argv", "field", "value"),
    [
        (["--port", "1"], "port", 1),
        (["--port", "65535"], "port", 65535),
        (["--max-site-bytes", "8k"], "max_site_bytes", 8192),
        (["--max-site-bytes", "3"], "max_site_bytes", 3),
        (["--shutdown-timeout", "0.5"], "shutdown_timeout", 0.5),
        (["--drain", "0"], "drain", 0.0),
        (["--workers", "1"], "workers", 1),
        (["--workers", "64"], "workers", 64),
        (["--cdn-max-age", "0"], "cdn_max_age", 0),
        (["--base-path", "/blog/"], "base_path", "/blog"),
        (["--base-path", "/BOX/"], "base_path", "/BOX"),
        (["--base-path", "/v1.2/x_y~z"], "base_path", "/v1.2/x_y~z"),
        (["--base-path", "/"], "base_path", ""),
        (["--zip", "site.zip"], "zip", Path("site.zip")),
        (["--access-log", "JSON"], "access_log", "json"),
        (["--access-log", "yes"], "access_log", "combined"),
        (["--access-log", "no"], "access_log", "off"),
        (["--access-log"], "access_log", "combined"),
        (["--no-access-log"], "access_log", "off"),
        (["--reuse-port", "0"], "reuse_port", False),
        (["--reuse-port"], "reuse_port", True),
        (["--host", "127.0.0.1"], "host", "127.0.0.1"),
        (["-v"], "verbosity", 1),
    ],
)
def test_good_values(argv: list[str], field: str, value: object) -> None:
    assert getattr(load(argv, {}), field) == value


def test_without_flags_everything_is_the_default() -> None:
    assert load(None, {}) == Settings()
    assert load([], {}) == Settings()


def test_quiet_turns_the_access_log_off() -> None:
    quiet = load(["-q"], {"EBLOG_ACCESS_LOG": "json"})
    assert (quiet.verbosity, quiet.access_log) == (-1, "off")


def test_limits_and_their_check() -> None:
    limits = load(["--max-head", "8K"], {"EBLOG_MAX_HEADER_LINE": "8K", "EBLOG_KEEPALIVE_TIMEOUT": "2.5"}).limits
    assert limits == Limits(max_head=8192, keepalive_timeout=2.5)  # a head as big as one line is allowed
    assert refusal(["--max-head", "4K"]) == (
        "EBLOG_MAX_HEAD (4096) is smaller than one request line or header field (8192)"
    )


@pytest.mark.parametrize(
    ("cpu_max", "workers"),
    [
        (None, CPUS),  # no cgroup file
        ("max 100000\n", CPUS),
        ("150000 100000\n", 2),  # 1.5 CPUs: rounded up
        ("50000 100000\n", 1),
        ("900000 100000\n", CPUS),  # a quota above the affinity mask
        ("garbage\n", CPUS),
    ],
)
def test_auto_workers_follow_the_cpu_mask_and_the_cgroup_quota(
    cpu_max: str | None, workers: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(CPUS)))
    monkeypatch.setattr(settings, "CGROUP_CPU_MAX", tmp_path / "cpu.max")
    if cpu_max is not None:
        (tmp_path / "cpu.max").write_text(cpu_max)
    assert load(["--workers", " AUTO "], {}).workers == workers


HELP = [
    "usage: python -m server",
    "Serve the zipped eblog site from memory (Starlette on uvicorn, httptools, uvloop).",
    "--host HOST address to listen on (default: 0.0.0.0)",
    "--port PORT port to listen on (default: 8080); $PORT",
    "--zip ZIP the site's zip from prezip (default: server/assets.zip); $EBLOG_ZIP",
    (
        "--access-log [combined|json|off] a line per request on stdout, combined|json|off (default: combined); "
        "$EBLOG_ACCESS_LOG"
    ),
    "--max-site-bytes MAX_SITE_BYTES refuse a site inflating to more (default: 1G); $EBLOG_MAX_SITE_BYTES",
    "--workers WORKERS processes serving the port, N or auto: one per CPU (default: 1); $WORKERS",
    "--reuse-port [on|off] workers: a socket each (SO_REUSEPORT) or one (default: on); $EBLOG_REUSE_PORT",
    "--drain DRAIN seconds serving after SIGTERM, /healthz 503 (default: 5); $EBLOG_DRAIN",
    "--base-path BASE_PATH serve the site under this path, as its base_url (default: /); $EBLOG_BASE_PATH",
    "--cdn-max-age CDN_MAX_AGE s-maxage of pages and feeds (default: 30); $EBLOG_CDN_MAX_AGE",
    "--shutdown-timeout SHUTDOWN_TIMEOUT then seconds for requests in flight (default: 3); $EBLOG_SHUTDOWN_TIMEOUT",
    "--max-request-line MAX_REQUEST_LINE longest request line; longer: 414 (default: 8K); $EBLOG_MAX_REQUEST_LINE",
    "--max-header-line MAX_HEADER_LINE longest header field; longer: 431 (default: 8K); $EBLOG_MAX_HEADER_LINE",
    "--max-head MAX_HEAD request line and all fields; more: 431 (default: 32K); $EBLOG_MAX_HEAD",
    "--header-timeout HEADER_TIMEOUT seconds to send a whole request (default: 10); $EBLOG_HEADER_TIMEOUT",
    "--keepalive-timeout KEEPALIVE_TIMEOUT seconds a connection may idle (default: 30); $EBLOG_KEEPALIVE_TIMEOUT",
    "--send-timeout SEND_TIMEOUT seconds an answer may stay unread (default: 60); $EBLOG_SEND_TIMEOUT",
    "--max-connections MAX_CONNECTIONS open at once; past it, 503 (default: 1024); $EBLOG_MAX_CONNECTIONS",
    "--no-access-log same as --access-log off",
    "--version print the version and exit",
    "-q, --quiet no access log; only warnings and errors",
    "-v, --verbose print every setting in force at start",
    (
        "Each flag can also be set by the environment variable shown. SIGTERM: keep serving for the drain time while "
        "/healthz (readiness) answers 503 and /livez (liveness) 200, then stop accepting, finish requests in flight, "
        "exit 0. SIGINT (Ctrl-C): the same without the drain. The same app under plain uvicorn: see server/app.py."
    ),
]


def test_help_names_every_flag_its_variable_and_what_it_does() -> None:
    text = " " + " ".join(settings.parser().format_help().split()) + " "
    missing = [line for line in HELP if f" {line} " not in text]
    assert missing == []


def test_quiet_and_verbose_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        load(["-q", "-v"], {})
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize(("counted", "workers"), [(3, 3), (None, 1)])
def test_auto_workers_without_an_affinity_mask_count_the_cpus(
    counted: int | None, workers: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the OS has no sched_getaffinity (macOS), os.cpu_count() decides; unknown, one worker."""
    monkeypatch.delattr(os, "sched_getaffinity")
    monkeypatch.setattr(os, "cpu_count", lambda: counted)
    monkeypatch.setattr(settings, "CGROUP_CPU_MAX", tmp_path / "absent")
    assert load(["--workers", "auto"], {}).workers == workers


def test_version_names_the_server(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        load(["--version"], {})
    assert stopped.value.code == 0
    assert capsys.readouterr().out.startswith("eblog-server (eblog) ")
