"""A site built for https://example.org/blog/ served under /blog/ (EBLOG_BASE_PATH), through a real socket."""

from collections.abc import Iterator

import pytest

from server.settings import SettingsError, load
from testing.server_process import RunningServer, start_server
from tests.server.test_server_urls import PAGES, REDIRECTS, build

pytestmark = pytest.mark.slow  # starts a server


@pytest.fixture(scope="module")
def under_blog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    site = build(tmp_path_factory.mktemp("base-path"), PAGES, REDIRECTS)
    server = start_server(site.parent, ["--zip", str(site), "--base-path", "/blog/"])
    yield server
    server.stop()


def get(server: RunningServer, target: str) -> tuple[int, str, bytes]:
    """Status, Location ("" if none) and body of one GET sent as it is."""
    answer = server.raw(f"GET {target} HTTP/1.1\r\nHost: example.org\r\nConnection: close\r\n\r\n".encode())
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), fields.get("location", ""), body  # the server sends lower-case names


@pytest.mark.parametrize(
    ("target", "text"),
    [
        ("/blog/", "home"),
        ("/blog/docs", "docs page"),
        ("/blog/docs/", "docs index"),
        ("/blog/a/b/", "a b index"),
        ("/blog/2021/05/05/caf%C3%A9-au-lait", "café"),
        ("/blog/Notes/Capital-Letters", "capitals"),
    ],
)
def test_the_site_answers_under_the_prefix(under_blog: RunningServer, target: str, text: str) -> None:
    assert get(under_blog, target) == (200, "", f"<p>{text}</p>\n".encode())


@pytest.mark.parametrize(
    ("target", "status", "location"),
    [
        ("/blog", 301, "/blog/"),
        ("/blog?utm=x", 301, "/blog/?utm=x"),
        ("/blog/index.html", 301, "/blog/"),
        ("/blog/a/b", 301, "/blog/a/b/"),
        ("/blog/v1.2-release.html", 301, "/blog/v1.2-release"),
        ("/blog/old-post", 301, "/blog/2021/05/05/caf%C3%A9-au-lait"),  # the build's _redirects, mounted too
        ("/blog/search", 307, "/blog/a/b/?q=1"),
        ("/blog/elsewhere", 302, "https://example.com/ailleurs/%C3%A9t%C3%A9"),  # another site: left as it is
    ],
)
def test_redirects_stay_under_the_prefix(under_blog: RunningServer, target: str, status: int, location: str) -> None:
    assert get(under_blog, target)[:2] == (status, location)


@pytest.mark.parametrize("target", ["/", "/docs", "/a/b/", "/old-post", "/blogdocs", "/blog2/", "/index.html"])
def test_outside_the_prefix_is_not_found(under_blog: RunningServer, target: str) -> None:
    assert get(under_blog, target) == (404, "", b"<p>not found</p>\n")


def test_the_probes_stay_at_the_root(under_blog: RunningServer) -> None:
    assert get(under_blog, "/healthz")[0] == 200 and get(under_blog, "/livez")[0] == 200


def test_the_start_up_line_says_where(under_blog: RunningServer) -> None:
    assert ", under /blog/, boot " in under_blog.stdout.read_text().splitlines()[0]


@pytest.mark.parametrize(
    ("value", "kept"), [("/blog/", "/blog"), ("/blog", "/blog"), ("/a/b-c_d.e~/", "/a/b-c_d.e~"), ("/", "")]
)
def test_base_path_values(value: str, kept: str) -> None:
    assert load([], {"EBLOG_BASE_PATH": value}).base_path == kept


@pytest.mark.parametrize("value", ["blog", "/blog//", "/../etc", "/blog/./x", "/blog?x", "/caf%C3%A9", "/a b"])
def test_a_bad_base_path_names_its_variable(value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load([], {"EBLOG_BASE_PATH": value})
    assert (
        str(caught.value)
        == f"EBLOG_BASE_PATH={value!r} is not a path like /blog/ (segments of letters, digits, - . _ ~)"
    )
