"""The wheel as users install it: built by ``uv build``, installed into fresh venvs, run from elsewhere.

Dependencies come from the package index (or uv's cache), as for a user.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.tools.tools_support import REPO, write_article

pytestmark = pytest.mark.slow

UV = REPO / ".tools" / "bin" / "uv"
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def user_env() -> dict[str, str]:
    """The caller's environment without anything that points Python at the repo or its venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def run(command: list[str | Path], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=user_env(), capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{command}: {result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``uv build``: the sdist, then the wheel built from that sdist (so the sdist is complete too)."""
    dist = tmp_path_factory.mktemp("dist")
    run([UV, "build", "--out-dir", dist], cwd=REPO)
    assert sorted(p.name for p in dist.glob("eblog-*")) == [
        f"eblog-{VERSION}-py3-none-any.whl",
        f"eblog-{VERSION}.tar.gz",
    ]
    return dist / f"eblog-{VERSION}-py3-none-any.whl"


def fresh_venv(folder: Path, requirement: str) -> Path:
    run([UV, "venv", "--quiet", "--python", sys.executable, folder], cwd=folder.parent)
    run([UV, "pip", "install", "--quiet", "--python", folder / "bin" / "python", requirement], cwd=folder.parent)
    return folder


def site_packages(venv: Path) -> Path:
    (found,) = (venv / "lib").glob("python3*/site-packages")
    return found


def test_the_wheel_holds_one_top_level_package(wheel: Path) -> None:
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert tops == {"eblog", f"eblog-{VERSION}.dist-info"}


def test_installed_eblog_builds_a_site_from_another_folder(wheel: Path, tmp_path: Path) -> None:
    venv = fresh_venv(tmp_path / "venv", f"{wheel}[build]")
    installed = sorted(p.name for p in site_packages(venv).iterdir())
    assert not {"cmd", "cmd.py", "server", "server.py"} & set(installed), installed
    blog = tmp_path / "blog"
    (blog / "articles").mkdir(parents=True)
    eblog = venv / "bin" / "eblog"
    assert run([eblog, "--version"], cwd=blog).stdout == f"eblog {VERSION}\n"
    run([eblog, "new", "Hello world"], cwd=blog)
    article = blog / "articles" / "hello-world.md"
    article.write_text(article.read_text().replace("draft: true\n", ""))
    for number in range(40):  # past rendermd's threshold for worker processes, so its forked pool runs too
        write_article(blog / "articles", f"post-{number}.md", f'title: "Post {number}"\ndate: 2001-01-01\n')
    built = run([eblog, "build", "-j", "2"], cwd=blog)
    assert "rendermd: 41 rendered" in built.stderr
    names = zipfile.ZipFile(blog / "out.zip").namelist()
    assert "hello-world.html" in names and "post-39.html" in names
    # the standard library's cmd, and pdb with it, are untouched in that venv
    check = "import cmd, pdb, sysconfig; assert cmd.__file__.startswith(sysconfig.get_path('stdlib')); print(pdb.Pdb)"
    assert run([venv / "bin" / "python", "-c", check], cwd=blog).stdout == "<class 'pdb.Pdb'>\n"
    # a process that imported the standard cmd (through pdb) before calling eblog still gets eblog's
    after_pdb = "import pdb, sys; from eblog.cli import main; sys.exit(main(['build', '-q', 'articles', 'again']))"
    run([venv / "bin" / "python", "-c", after_pdb], cwd=blog)
    assert (blog / "again.zip").read_bytes() == (blog / "out.zip").read_bytes()
    serve_and_fetch(eblog, blog, "/hello-world", ["--workers", "2"])


def test_a_server_only_install_serves_a_zip_and_says_what_building_needs(wheel: Path, tmp_path: Path) -> None:
    full = fresh_venv(tmp_path / "full", f"{wheel}[build]")
    blog = tmp_path / "blog"
    (blog / "articles").mkdir(parents=True)
    write_article(blog / "articles", "only.md", 'title: "Only"\ndate: 2001-01-01\n')
    run([full / "bin" / "eblog", "build", "-q"], cwd=blog)
    server_only = fresh_venv(tmp_path / "server-only", str(wheel))
    installed = {p.name for p in site_packages(server_only).iterdir()}
    assert "jinja2" not in installed and "pyromark" not in installed and "uvicorn" in installed
    refused = subprocess.run(
        [server_only / "bin" / "eblog", "build"], cwd=blog, env=user_env(), capture_output=True, text=True
    )
    assert refused.returncode == 1
    assert refused.stderr.startswith("eblog: error: 'eblog build' needs ")
    assert refused.stderr.endswith(": pip install 'eblog[build]'\n") and len(refused.stderr.splitlines()) == 1
    serve_and_fetch(server_only / "bin" / "eblog", blog, "/only", ["--zip", str(blog / "out.zip")])


def serve_and_fetch(eblog: Path, cwd: Path, page: str, flags: list[str]) -> None:
    """``eblog serve FLAGS`` on a free port: ``page`` answers 200, then SIGTERM stops it with status 0."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [str(eblog), "serve", *flags, "-q", "--host", "127.0.0.1", "--port", str(port)]
    env = {**user_env(), "EBLOG_DRAIN": "0"}
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        status = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and status != 200:
            assert process.poll() is None, process.communicate()
            try:
                status = httpx.get(f"http://127.0.0.1:{port}{page}", timeout=1).status_code
            except httpx.TransportError:
                time.sleep(0.05)
        assert status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
