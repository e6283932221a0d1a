"""A real Chromium for the preview's browser test: Debian's chromium and chromium-driver.

Locally the test is skipped, saying why, when they are missing and nobody asked for them;
CI=true or EBLOG_BROWSER=1 has scripts/ci-browser install them (as root), and then a missing
browser fails the run, as for the accessibility tests.
"""

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.ci import required, unavailable
from testing.webdriver_client import CHROMEDRIVER, CHROMIUM, Browser, start_chromium

REPO = Path(__file__).resolve().parents[2]


def _require_chromium() -> None:
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    if missing and required("EBLOG_BROWSER") and (REPO / "scripts" / "ci-browser").exists():
        subprocess.run([REPO / "scripts" / "ci-browser", "install"], check=False)
        missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    if missing:
        why = f"missing {', '.join(missing)} (Debian's chromium and chromium-driver)"
        unavailable("a browser is", why, "EBLOG_BROWSER", "lets scripts/ci-browser install them (as root)")


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    _require_chromium()
    browser = start_chromium(tmp_path_factory.mktemp("chromium"))
    try:
        yield browser
    finally:
        browser.quit()
