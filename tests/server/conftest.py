"""Fixtures for the server tests: a hand-made site, its zip, an in-process client, a real server."""

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from server.app import create_app
from testing.server_process import RunningServer, start_server
from testing.server_sample import SampleSite, write_site, write_zip


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> SampleSite:
    base = tmp_path_factory.mktemp("server-site")
    files = write_site(base / "site")
    write_zip(base / "site", base / "assets.zip")
    return SampleSite(base / "site", base / "assets.zip", files)


@pytest.fixture(scope="session")
def site_zip(site: SampleSite) -> Path:
    """The sample site's zip, for tests that build their own app from it."""
    return site.zip


@pytest.fixture(scope="session")
def client(site: SampleSite) -> Iterator[TestClient]:
    with TestClient(create_app(site.zip, access_log=False), follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def server(site: SampleSite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("server-run"), ["--zip", str(site.zip)])
    yield running
    running.stop()


@pytest.fixture
def uvicorn_logging() -> Iterator[None]:
    """uvicorn's loggers as they were: uvicorn.Config and DrainingServer both rewire them."""
    names = ("uvicorn", "uvicorn.error", "uvicorn.access")
    before = {name: (logging.getLogger(name).handlers[:], logging.getLogger(name).level) for name in names}
    yield
    for name, (handlers, level) in before.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port of 127.0.0.1 another server listens on, without SO_REUSEPORT."""
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield other.getsockname()[1]
