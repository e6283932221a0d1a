"""The deploy tests: Kubernetes and fly.io material, a caching proxy and a load balancer in front of the server.

The proxies and wrk are Debian's (scripts/ci-deploy installs them); without them the tests that
need them skip here and fail in CI (CI=true, or EBLOG_DEPLOY=1).
"""

import os
import subprocess

import pytest
from deploy_support import FIGURES, REPO

# The Docker build runs the suite on a copy of tests/, server/ and cmd/ alone: without deploy/,
# bench/ and README.md there is nothing here to test, so nothing is collected.
if not (REPO / "deploy").is_dir():
    collect_ignore_glob = ["test_*.py"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The figures the deploy tests measured (hit ratio, the rolling replace), shown even when they pass."""
    if FIGURES:
        terminalreporter.section("eblog deploy")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def debian_tools() -> None:
    """nginx, HAProxy and wrk from Debian, or a skip (locally) / failure (CI=true or EBLOG_DEPLOY=1)."""
    required = os.environ.get("CI", "").lower() in {"1", "true", "yes"} or os.environ.get("EBLOG_DEPLOY") == "1"
    script = REPO / "scripts" / "ci-deploy"
    if not script.exists():  # the Docker build copies tests/ but not scripts/
        pytest.skip(f"{script.relative_to(REPO)} is not here")
    found = subprocess.run([script, "install" if required else "check"], capture_output=True, text=True, check=False)
    if found.returncode == 0:
        return
    why = (found.stderr.strip().splitlines() or [f"scripts/ci-deploy exited {found.returncode}"])[-1]
    if required:
        pytest.fail(f"the deploy tools are required here (CI=true or EBLOG_DEPLOY=1) but: {why}", pytrace=False)
    pytest.skip(f"{why}; EBLOG_DEPLOY=1 lets scripts/ci-deploy install them (as root), and in CI this is a failure")
