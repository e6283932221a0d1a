"""What only the wire shows: bodies of HEAD answers, byte for byte, from the real server process.

Starlette's TestClient drops a HEAD answer's body itself, so a server that
sent one would pass any test made through it; these read the socket.
"""

import pytest

from testing.hostile_wire import Reply, exchange, split_replies
from testing.server_process import RunningServer
from testing.server_sample import SampleSite


def one_answer(server: RunningServer, method: str, path: str, *fields: str) -> tuple[Reply, bytes]:
    """The answer's status and headers, and every byte after its head (the connection is closed after it)."""
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost", *fields, "Connection: close", "", ""]
    data = exchange(server.port, "\r\n".join(lines).encode("ascii"))
    head, _, rest = data.partition(b"\r\n\r\n")
    replies = split_replies(head + b"\r\n\r\n", [True])
    assert len(replies) == 1, data[:300]
    return replies[0], rest


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_head_has_the_get_headers_and_no_body(server: RunningServer, site: SampleSite, encoding: str) -> None:
    get, body = one_answer(server, "GET", "/hello", f"Accept-Encoding: {encoding}")
    head, after = one_answer(server, "HEAD", "/hello", f"Accept-Encoding: {encoding}")
    assert head.status == get.status == 200
    assert after == b""
    assert len(body) == int(get.header(b"content-length") or -1) > 0
    assert [field for field in head.headers if field[0] != b"date"] == [
        field for field in get.headers if field[0] != b"date"
    ]


@pytest.mark.parametrize(
    ("path", "status"),
    [("/no/such/page", 404), ("/hello/", 301), ("/healthz", 200), ("/%00", 400), ("/hello.html", 301)],
)
def test_head_answers_carry_no_body(server: RunningServer, path: str, status: int) -> None:
    head, after = one_answer(server, "HEAD", path)
    assert head.status == status
    assert after == b""


def test_a_head_on_a_404_announces_the_404_page_it_does_not_send(server: RunningServer, site: SampleSite) -> None:
    head, after = one_answer(server, "HEAD", "/no/such/page")
    assert head.status == 404 and after == b""
    assert head.header(b"content-length") == str(len(site.files["404.html"])).encode()
