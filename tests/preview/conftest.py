"""A real Chromium for the preview's browser test: Debian's chromium and chromium-driver.

Locally the test is skipped, saying why, when they are missing and nobody asked for them;
CI=true or EBLOG_BROWSER=1 has scripts/ci-browser install them (as root), and then a missing
browser fails the run, as for the accessibility tests.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "a11y"))  # the accessibility tests' browser, reused as it is

from a11y_support import CHROMEDRIVER, CHROMIUM, start_chromium  # noqa: E402
from webdriver_client import Browser  # noqa: E402


def _require_chromium() -> None:
    required = os.environ.get("CI", "").lower() in {"1", "true", "yes"} or os.environ.get("EBLOG_BROWSER") == "1"
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    if missing and required and (REPO / "scripts" / "ci-browser").exists():
        subprocess.run([REPO / "scripts" / "ci-browser", "install"], check=False)
        missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    if not missing:
        return
    why = f"missing {', '.join(missing)} (Debian's chromium and chromium-driver)"
    if required:
        pytest.fail(f"a browser is required here (CI=true or EBLOG_BROWSER=1) but: {why}", pytrace=False)
    pytest.skip(f"{why}; EBLOG_BROWSER=1 lets scripts/ci-browser install them (as root), and in CI this is a failure")


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    _require_chromium()
    browser = start_chromium(tmp_path_factory.mktemp("chromium"))
    try:
        yield browser
    finally:
        browser.quit()
