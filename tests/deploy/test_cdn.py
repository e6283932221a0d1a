"""Behind a real caching proxy (Debian's nginx, proxy_cache) the server's cache headers do a CDN's job.

Two replicas of the same site sit behind one nginx cache: repeat traffic is answered from the
cache (the hit ratio goes to the terminal summary), gzip and identity are kept apart by Vary, and
a revalidation sent to the other replica still matches, since an ETag is a hash of the content.
Then a new deploy behind a second cache, with --cdn-max-age 2: the cache keeps answering the old
page, serves it stale once it expires while it fetches the new one, and shows the new page within
twice the max-age.
"""

import gzip
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testing.ports import free_port
from testing.server_process import RunningServer, start_server, stop
from tests.deploy.deploy_support import FIGURES, site_version, start_nginx, version_in

pytestmark = pytest.mark.slow  # processes, sockets or many cases: outside the Docker build's test run

NGINX = """\
worker_processes 1;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    proxy_cache_path {prefix}/cache levels=1:2 keys_zone=site:1m max_size=64m inactive=10m use_temp_path=off;
    upstream origin {{
{servers}
        keepalive 8;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_cache site;
            # What a CDN does with the origin's headers: s-maxage sets the freshness, and only the
            # origin's stale-while-revalidate lets it answer from the stale copy while it fetches
            # anew (no `updating` here, which would allow that whatever the origin says).
            proxy_cache_revalidate on;
            proxy_cache_background_update on;
            proxy_cache_use_stale error timeout;
            proxy_cache_lock on;
            add_header X-Cache $upstream_cache_status always;
        }}
    }}
}}
"""
PATHS = ["/", "/hello", "/tags/docker", "/rss.xml", "/feed.json", "/static/style.3f2a9c1b.css", "/static/logo.png"]


def nginx_for(prefix: Path, origins: list[int]) -> tuple[int, str]:
    port = free_port()
    servers = "\n".join(f"        server 127.0.0.1:{origin};" for origin in origins)
    return port, NGINX.format(prefix=prefix, port=port, servers=servers)


@pytest.fixture(scope="module")
def replicas(debian_tools: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, list[RunningServer]]]:
    """nginx caching in front of two replicas of the same site (default cache settings); yields its port."""
    work = tmp_path_factory.mktemp("cdn")
    zip_path = site_version(work, "v1")
    origins = [start_server(work, ["--zip", str(zip_path)]) for _ in range(2)]
    port, config = nginx_for(work / "nginx", [origin.port for origin in origins])
    nginx = start_nginx(work / "nginx", config, port)
    yield port, origins
    stop(nginx)
    for origin in origins:
        origin.stop()


def origin_requests(origins: list[RunningServer]) -> int:
    time.sleep(0.2)  # the access log is written in batches
    return sum(len([line for line in o.stdout.read_text().splitlines() if '"GET ' in line]) for o in origins)


def test_repeat_traffic_is_answered_by_the_cache(replicas: tuple[int, list[RunningServer]]) -> None:
    port, origins = replicas
    before = origin_requests(origins)
    statuses: Counter[str] = Counter()
    rounds = 30
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        for _ in range(rounds):
            for path in PATHS:
                for encoding in ("gzip", "identity"):
                    response = client.get(path, headers={"accept-encoding": encoding})
                    assert response.status_code == 200
                    statuses[response.headers["x-cache"]] += 1
    total = rounds * len(PATHS) * 2
    reached = origin_requests(origins) - before
    # Each path once per encoding it varies on, nothing more (the page, the css, the feeds vary; the PNG does not).
    assert statuses["MISS"] == reached <= len(PATHS) * 2
    assert statuses["HIT"] == total - reached
    FIGURES.append(
        f"CDN (nginx proxy_cache, 2 replicas behind it): {total} requests for {len(PATHS)} URLs x 2 encodings, "
        f"{statuses['HIT']} hits, {reached} reached the origin: hit ratio {statuses['HIT'] / total:.1%}"
    )


def as_sent(url: str, encoding: str) -> tuple[httpx.Headers, bytes]:
    """Headers and body bytes as they came (httpx would undo a gzip encoding)."""
    with httpx.stream("GET", url, headers={"accept-encoding": encoding}) as response:
        return response.headers, b"".join(response.iter_raw())


def test_vary_keeps_gzip_and_identity_apart(replicas: tuple[int, list[RunningServer]]) -> None:
    port, origins = replicas
    _, page = as_sent(f"{origins[0].url}/hello", "identity")
    for _ in range(3):
        zipped, zipped_body = as_sent(f"http://127.0.0.1:{port}/hello", "gzip")
        plain, plain_body = as_sent(f"http://127.0.0.1:{port}/hello", "identity")
        assert zipped["content-encoding"] == "gzip" and zipped["vary"] == "Accept-Encoding"
        assert "content-encoding" not in plain
        assert gzip.decompress(zipped_body) == plain_body == page
        assert zipped["etag"] != plain["etag"]
    assert (zipped["x-cache"], plain["x-cache"]) == ("HIT", "HIT")


def test_replicas_give_one_etag_per_representation(replicas: tuple[int, list[RunningServer]]) -> None:
    _, origins = replicas
    for path in PATHS:
        for encoding in ("gzip", "identity"):
            etags = {
                httpx.get(f"{o.url}{path}", headers={"accept-encoding": encoding}).headers["etag"] for o in origins
            }
            assert len(etags) == 1, (path, encoding, etags)


def test_headers_as_a_cdn_reads_them(replicas: tuple[int, list[RunningServer]]) -> None:
    port, _ = replicas
    page = httpx.get(f"http://127.0.0.1:{port}/hello").headers["cache-control"]
    assert page == "public, max-age=60, s-maxage=30, stale-while-revalidate=30"
    feed = httpx.get(f"http://127.0.0.1:{port}/rss.xml").headers["cache-control"]
    assert feed == page
    asset = httpx.get(f"http://127.0.0.1:{port}/static/style.3f2a9c1b.css").headers["cache-control"]
    assert asset == "public, max-age=31536000, immutable"


def test_a_new_deploy_shows_within_twice_the_cdn_max_age(debian_tools: None, tmp_path: Path) -> None:
    max_age = 2
    old, new = site_version(tmp_path, "v1"), site_version(tmp_path, "v2")
    origin = start_server(tmp_path, ["--zip", str(old), "--cdn-max-age", str(max_age)])
    port, config = nginx_for(tmp_path / "nginx", [origin.port])
    nginx = start_nginx(tmp_path / "nginx", config, port)
    seen: list[tuple[float, str, str]] = []  # seconds since the deploy, X-Cache, version
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            assert version_in(client.get("/hello").content) == "v1"
            assert client.get("/hello").headers["x-cache"] == "HIT"
            # The deploy: the old server goes, the new one answers on the same port.
            origin.stop()
            origin = start_server(tmp_path, ["--zip", str(new), "--cdn-max-age", str(max_age)], port=origin.port)
            deployed = time.monotonic()
            while time.monotonic() - deployed < 4 * max_age:
                response = client.get("/hello")
                seen.append((time.monotonic() - deployed, response.headers["x-cache"], version_in(response.content)))
                if seen[-1][2] == "v2":
                    break
                time.sleep(0.05)
    finally:
        stop(nginx)
        origin.stop()
    first_new = next((at for at, _, version in seen if version == "v2"), None)
    assert first_new is not None and first_new <= 2 * max_age + 1, seen  # + 1: nginx counts whole seconds
    # Until then the cache answered the old page itself: fresh hits, then stale ones while it refetched.
    answered = {(cache, version) for _, cache, version in seen if version == "v1"}
    assert ("HIT", "v1") in answered, seen
    assert answered & {("STALE", "v1"), ("UPDATING", "v1")}, seen
