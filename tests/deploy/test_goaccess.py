"""GoAccess, the log analyser, reads the server's default access log as it reads nginx's ``combined``."""

import json
import subprocess
import time
from pathlib import Path

import pytest

from testing.server_process import start_server
from tests.deploy.deploy_support import site_version

pytestmark = pytest.mark.slow  # a server process

REQUESTS = [
    (
        "GET /hello?utm_source=feed HTTP/1.1\r\nReferer: https://news.example.com/item?id=1\r\n"
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
    ),
    "GET /hello HTTP/1.1\r\nUser-Agent: curl/8.5.0\r\n",
    "HEAD /tiny.txt HTTP/1.1\r\nUser-Agent: curl/8.5.0\r\n",
    'GET /no-such-page HTTP/1.1\r\nUser-Agent: evil" 200 1 "x\r\n',
]


@pytest.mark.usefixtures("debian_tools")
def test_goaccess_reads_every_line(tmp_path: Path) -> None:
    running = start_server(tmp_path, ["--zip", str(site_version(tmp_path, "one"))])
    try:
        for request in REQUESTS:
            running.raw(f"{request}Host: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        time.sleep(0.2)  # the batch goes out 50 ms after its first line
    finally:
        assert running.stop() == 0
    lines = running.stdout.read_text().splitlines()[1:]  # after the start-up line
    log = tmp_path / "access.log"
    log.write_text("".join(line + "\n" for line in lines if "/healthz" not in line))  # start_server's polls
    report = tmp_path / "report.json"
    command = ["goaccess", str(log), "--log-format=COMBINED", "--no-progress", "-o", str(report)]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    panels = json.loads(report.read_text())
    general = panels["general"]
    assert (general["total_requests"], general["valid_requests"], general["failed_requests"]) == (4, 4, 0)
    assert {item["data"] for item in panels["requests"]["data"]} == {"/hello?utm_source=feed", "/hello"}
    assert [item["data"] for item in panels["static_requests"]["data"]] == ["/tiny.txt"]  # by its extension
    assert [item["data"] for item in panels["not_found"]["data"]] == ["/no-such-page"]
    assert {item["data"] for item in panels["referring_sites"]["data"]} == {"news.example.com"}
