"""./scripts/serve as README shows it: --drafts reaches rendermd, --port and --host reach the server.

Run in a copy of the repository (its out/ and server/assets.zip are written there, not here), with
this checkout's .venv and .tools linked in, against a real server on 127.0.0.1.
"""

import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from testing.ports import free_port
from workshop.engine import REPO
from workshop.source import copy_tree

DRAFT = "draft-ideas"  # articles/draft-ideas.md says `draft: true`


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = copy_tree(tmp_path_factory.mktemp("serve") / "eblog")
    for name in (".venv", ".tools"):
        (copy / name).symlink_to(REPO / name)
    assert "draft: true" in (copy / "articles" / f"{DRAFT}.md").read_text()
    return copy


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            code: int = response.status
            return code
    except urllib.error.HTTPError as error:
        return error.code


@contextmanager
def serving(tree: Path, *flags: str) -> Iterator[str]:
    """./scripts/serve with flags, on a free port of 127.0.0.1: its URL; stopped (SIGTERM) at the end."""
    port = free_port()
    process = subprocess.Popen(
        ["./scripts/serve", *flags, "--port", str(port), "--host", "127.0.0.1"],
        cwd=tree,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert process.poll() is None, f"./scripts/serve {' '.join(flags)}: {process.communicate()[0]}"
                assert time.monotonic() < deadline, f"./scripts/serve {' '.join(flags)}: no answer within 60 s"
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)


def test_drafts_port_and_host_go_where_they_belong(tree: Path) -> None:
    with serving(tree) as url:
        assert status(f"{url}/{DRAFT}") == 404, "a draft stays out by default"
    with serving(tree, "--drafts") as url:
        assert status(f"{url}/{DRAFT}") == 200, "--drafts reached rendermd"
        assert status(f"{url}/") == 200
