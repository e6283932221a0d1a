"""A real Chromium and the fixture blog (tests/a11y/blog) built and served as in production.

Locally the browser tests are skipped, saying why, when scripts/ci-browser finds no browser or
no axe-core and nobody asked for them. EBLOG_BROWSER=1 asks: scripts/ci-browser then installs
what is missing (as root), and a missing piece fails the run. CI=true does the same, so in CI
these tests always run.
"""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.ci import required, unavailable
from testing.figures import print_figures
from testing.server_process import start_server
from testing.webdriver_client import Browser, start_chromium
from tests.a11y.a11y_support import BLOG, FIGURES, PHONE_WIDTH, REPO, Site, build_site


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The contrast and axe figures the tests measured, shown even when they pass."""
    print_figures(terminalreporter, "eblog accessibility", FIGURES)


def _missing_browser(install: bool) -> str | None:
    """What scripts/ci-browser says is missing (after installing it, if asked), or None."""
    script = REPO / "scripts" / "ci-browser"
    if not script.exists():  # the Docker build copies tests/ but not scripts/
        return f"{script.relative_to(REPO)} is not here"
    found = subprocess.run([script, "install" if install else "check"], capture_output=True, text=True, check=False)
    if found.returncode == 0:
        return None
    lines = found.stderr.strip().splitlines()
    return lines[-1] if lines else f"scripts/ci-browser exited {found.returncode}"


def _require_browser() -> None:
    why = _missing_browser(install=required("EBLOG_BROWSER"))
    if why is not None:
        unavailable("a browser is", why, "EBLOG_BROWSER", "lets scripts/ci-browser install it (as root)")


@pytest.fixture
def phone(browser: Browser) -> Iterator[Browser]:
    """The browser as a 320 px wide phone (the page's meta viewport applies), for one test."""
    metrics = {"width": PHONE_WIDTH, "height": 640, "deviceScaleFactor": 1, "mobile": True}
    browser.cdp("Emulation.setDeviceMetricsOverride", metrics)
    try:
        yield browser
    finally:
        browser.cdp("Emulation.clearDeviceMetricsOverride", {})


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    _require_browser()
    chromium = start_chromium(tmp_path_factory.mktemp("chromium"))
    try:
        yield chromium
    finally:
        chromium.quit()


def _serve(blog: Path, work: Path) -> Iterator[Site]:
    """``blog`` through rendermd, buildindex and prezip, served by `python -m server --zip`."""
    archive = build_site(blog, work)
    running = start_server(work, ["--zip", str(archive)])
    try:
        yield Site(running.url, work / "out")
    finally:
        running.stop()


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The fixture blog (tests/a11y/blog), whose one article uses every element rendermd makes."""
    yield from _serve(BLOG, tmp_path_factory.mktemp("a11y-site"))


@pytest.fixture(scope="session")
def articles_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The real articles/, as the project publishes them."""
    yield from _serve(REPO / "articles", tmp_path_factory.mktemp("a11y-articles"))
