"""fly.toml: what `fly deploy` reads, held to the server's defaults so the two cannot drift apart."""

import re
import tomllib
from typing import Any

from server.settings import Settings, load
from tests.deploy.deploy_support import REPO


def fly() -> dict[str, Any]:
    return tomllib.loads((REPO / "fly.toml").read_text())


def test_the_service_is_the_servers_port_with_its_readiness_check() -> None:
    config = fly()
    settings = load([], config["env"])  # the machine's environment, read as the server reads it
    service = config["http_service"]
    assert service["internal_port"] == settings.port == Settings.port == 8080
    (check,) = service["checks"]
    assert (check["method"], check["path"]) == ("GET", "/healthz")
    # The proxy never has more requests in flight on a machine than the server accepts connections.
    assert service["concurrency"]["hard_limit"] <= settings.limits.max_connections


def test_the_stop_signal_and_timeout_cover_the_drain() -> None:
    config = fly()
    settings = load([], config["env"])
    assert config["kill_signal"] == "SIGTERM"  # SIGINT would skip the drain
    assert settings.drain == Settings.drain == 5 and settings.shutdown_timeout == Settings.shutdown_timeout
    needed = settings.drain + settings.shutdown_timeout
    assert needed < config["kill_timeout"] <= needed + 5


def test_machines_stop_when_idle_and_start_on_demand() -> None:
    service = fly()["http_service"]
    assert service["auto_stop_machines"] == "stop"
    assert service["auto_start_machines"] is True
    assert service["min_machines_running"] == 0


def test_the_image_is_built_from_the_dockerfile_and_fits_its_memory() -> None:
    config = fly()
    assert config["build"]["dockerfile"] == "Dockerfile"
    assert (REPO / config["build"]["dockerfile"]).is_file()
    (vm,) = config["vm"]
    memory = re.fullmatch(r"(\d+)mb", vm["memory"])
    assert memory is not None and int(memory.group(1)) >= 256
