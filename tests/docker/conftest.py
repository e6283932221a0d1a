"""A Docker engine with BuildKit and the base image, for the tests marked `docker`.

Locally they are skipped, saying why, when no engine answers and nobody asked for one.
EBLOG_DOCKER=1 asks: scripts/docker-env then installs and starts an engine if it must (as
root), and a missing engine fails the run. CI=true does the same: in CI this test is the
proof that the image builds and serves, so it may not quietly skip. A dockerd the fixture
started is stopped at the end (EBLOG_DOCKER_KEEP=1 leaves it running for the next run), its
build cache first trimmed to CACHE_BOUND.
The engine is driven through workshop.engine, as the benchmarks and `scripts/workshop` drive it.
"""

from collections.abc import Iterator

import pytest

from testing.ci import required, unavailable
from testing.figures import print_figures
from workshop.engine import CACHE_BOUND, DockerError, Engine, binary_bytes, docker_env, run_script
from workshop.steps import BASE_IMAGES

FIGURES: list[str] = []


@pytest.fixture(scope="session")
def figures() -> list[str]:
    """Lines for the terminal summary: build times and sizes are shown even when the tests pass."""
    return FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    print_figures(terminalreporter, "eblog docker", FIGURES)


@pytest.fixture(scope="session")
def docker() -> Iterator[Engine]:
    """An engine with BuildKit and the base image, or a skip (locally) / failure (CI, EBLOG_DOCKER=1)."""
    try:
        engine = Engine(docker_env("start" if required("EBLOG_DOCKER") else "check"))
    except DockerError as error:
        why = str(error).split("failed: ", 1)[-1].removeprefix("docker-env: ")
        unavailable(
            "a Docker engine is", why, "EBLOG_DOCKER", "lets scripts/docker-env install and start one (as root)"
        )
    try:
        try:
            run_script("base-image", "slim", env=engine.env)
        except DockerError as error:
            pytest.fail(f"scripts/base-image could not provide {BASE_IMAGES['slim']}: {error}", pytrace=False)
        yield engine
    finally:
        engine.cleanup()
        try:
            if engine.settings.started_pid:
                trim(engine)
        finally:
            engine.stop_started_engine()  # even when the trim failed: never leave a started dockerd behind


def trim(engine: Engine) -> None:
    """An engine this run started keeps at most CACHE_BOUND of build cache: the cold builds of one
    run add gigabytes nobody reuses, and runs on one machine filled its disk before this."""
    before, after = engine.trim_build_cache()
    FIGURES.append(f"build cache at the end of the run: {before / 1e9:.1f} GB, trimmed to {after / 1e9:.1f} GB")
    if after > binary_bytes(CACHE_BOUND):
        pytest.fail(f"the build cache is still {after / 1e9:.1f} GB after a prune to {CACHE_BOUND}", pytrace=False)
