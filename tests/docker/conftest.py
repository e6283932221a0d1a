"""A Docker engine with BuildKit and the base image, for the tests marked `docker`.

Locally they are skipped, saying why, when no engine answers and nobody asked for one.
EBLOG_DOCKER=1 asks: scripts/docker-env then installs and starts an engine if it must (as
root), and a missing engine fails the run. CI=true does the same: in CI this test is the
proof that the image builds and serves, so it may not quietly skip. A dockerd the fixture
started is stopped at the end (EBLOG_DOCKER_KEEP=1 leaves it running for the next run).
"""

import os
from collections.abc import Iterator

import pytest
from docker_engine import BASE_IMAGE, Docker, script

FIGURES: list[str] = []


@pytest.fixture(scope="session")
def figures() -> list[str]:
    """Lines for the terminal summary: build times and sizes are shown even when the tests pass."""
    return FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("eblog docker")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def docker() -> Iterator[Docker]:
    """An engine with BuildKit and the base image, or a skip (locally) / failure (CI, EBLOG_DOCKER=1)."""
    required = os.environ.get("CI", "").lower() in {"1", "true", "yes"} or os.environ.get("EBLOG_DOCKER") == "1"
    found = script("docker-env", "start" if required else "check")
    if found.returncode != 0:
        why = found.stderr.strip() or f"scripts/docker-env exited {found.returncode}"
        if required:
            pytest.fail(f"a Docker engine is required here (CI=true or EBLOG_DOCKER=1) but: {why}", pytrace=False)
        pytest.skip(
            f"{why.removeprefix('docker-env: ')}; EBLOG_DOCKER=1 lets scripts/docker-env install and start one "
            "(as root), and in CI (CI=true) this is a failure"
        )
    settings = dict(line.split("=", 1) for line in found.stdout.splitlines() if "=" in line)
    env = {**os.environ, **{k: v for k, v in settings.items() if k != "EBLOG_DOCKER"}}
    engine = Docker(settings["EBLOG_DOCKER"], env, settings.get("EBLOG_DOCKERD_PID", ""))
    try:
        base = script("base-image", "slim", env=env)
        if base.returncode != 0:
            pytest.fail(
                f"scripts/base-image could not provide {BASE_IMAGE}: {base.stderr.strip()[-2000:]}", pytrace=False
            )
        yield engine
    finally:
        engine.cleanup()
        if engine.started_pid and os.environ.get("EBLOG_DOCKER_KEEP") != "1":
            script("docker-env", "stop", engine.started_pid)
