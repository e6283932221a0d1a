"""The preview as a user runs it: ``python -m cmd.preview ARTICLES`` on a free port, stopped by its PID.

Imported by its full name, ``tests.preview.preview_support``, as the other folders' helpers are.
"""

import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from testing.ports import free_port

REPO = Path(__file__).resolve().parents[2]
VERSION = re.compile(r'data-version="([0-9a-f]+)"')
BUILD_LINE = re.compile(r"^preview: rebuilt ")


@dataclass
class Preview:
    process: subprocess.Popen[str]
    port: int
    log: Path
    articles: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, **headers: str) -> httpx.Response:
        return httpx.get(self.url + path, headers=headers, timeout=10, follow_redirects=False)

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines()

    def builds(self) -> list[str]:
        return [line for line in self.lines() if BUILD_LINE.match(line)]

    def version(self, path: str) -> str:
        found = VERSION.search(self.get(path).text)
        assert found, f"{path} carries no preview script"
        return found.group(1)

    def events(self, path: str, version: str, last_id: str | None = None, timeout: float = 10) -> str:
        """One answer of the event stream for a page at ``path`` showing ``version``."""
        headers = {} if last_id is None else {"last-event-id": last_id}
        answer = httpx.get(
            f"{self.url}/__preview/events", params={"path": path, "version": version}, headers=headers, timeout=timeout
        )
        assert answer.status_code == 200 and answer.headers["content-type"] == "text/event-stream"
        return answer.text

    def wait_for(self, condition: Callable[[], bool], what: str, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if self.process.poll() is not None:
                raise AssertionError(f"the preview exited ({self.process.returncode}): {self.log.read_text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {seconds} s; the preview said:\n{self.log.read_text()}")
            time.sleep(0.02)

    def serves(self, path: str, text: str) -> bool:
        answer = self.get(path)
        return answer.status_code == 200 and text in answer.text

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=15)


def start_preview(articles: Path, work: Path, *args: str) -> Preview:
    """Start the preview on ``articles`` and wait until it answers."""
    port = free_port()
    log = work / f"preview-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cmd.preview", str(articles), "--port", str(port), *args],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    running = Preview(process, port, log, articles)
    running.wait_for(lambda: "Ctrl-C stops" in log.read_text(), "the preview starting", 60)
    return running


def copy_articles(target: Path) -> Path:
    """The repo's articles/, to edit."""
    shutil.copytree(REPO / "articles", target)
    return target


def settled(preview: Preview, seconds: float = 0.6) -> None:
    """Wait until no build has been reported for ``seconds`` (the catch-up build included)."""
    count = -1
    while count != len(preview.builds()):
        count = len(preview.builds())
        time.sleep(seconds)
