"""The deploy tests: Kubernetes and fly.io material, a caching proxy and a load balancer in front of the server.

The proxies and wrk are Debian's (scripts/ci-deploy installs them); without them the tests that
need them skip here and fail in CI (CI=true, or EBLOG_DEPLOY=1).
"""

import subprocess

import pytest

from testing.ci import required, unavailable
from testing.collection import only_beside
from testing.figures import print_figures
from tests.deploy.deploy_support import FIGURES, REPO

collect_ignore_glob = only_beside("deploy")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The figures the deploy tests measured (hit ratio, the rolling replace), shown even when they pass."""
    print_figures(terminalreporter, "eblog deploy", FIGURES)


@pytest.fixture(scope="session")
def debian_tools() -> None:
    """nginx, HAProxy and wrk from Debian, or a skip (locally) / failure (CI=true or EBLOG_DEPLOY=1)."""
    script = REPO / "scripts" / "ci-deploy"
    if not script.exists():  # the Docker build copies tests/ but not scripts/
        pytest.skip(f"{script.relative_to(REPO)} is not here")
    mode = "install" if required("EBLOG_DEPLOY") else "check"
    found = subprocess.run([script, mode], capture_output=True, text=True, check=False)
    if found.returncode == 0:
        return
    why = (found.stderr.strip().splitlines() or [f"scripts/ci-deploy exited {found.returncode}"])[-1]
    unavailable("the deploy tools are", why, "EBLOG_DEPLOY", "lets scripts/ci-deploy install them (as root)")
