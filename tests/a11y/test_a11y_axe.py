"""axe-core in the real Chromium: no WCAG 2.2 A or AA violation on any kind of page, in either theme."""

import pytest

from testing.webdriver_client import Browser
from tests.a11y.a11y_support import (
    PAGES,
    PHONE_WIDTH,
    SCHEMES,
    Site,
    axe_violations,
    describe_violations,
    emulate_scheme,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_axe_finds_no_wcag_aa_violation(browser: Browser, site: Site, scheme: str, path: str) -> None:
    browser.get(site.url + path)
    emulate_scheme(browser, scheme)
    violations = axe_violations(browser, f"{scheme:5} {path}")
    assert violations == [], describe_violations(violations)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_axe_finds_no_violation_on_a_phone(phone: Browser, site: Site, scheme: str) -> None:
    """At 320 px a table or a code block may scroll: a scrolling region the keyboard cannot reach fails."""
    phone.get(site.url + "/every-element")
    emulate_scheme(phone, scheme)
    violations = axe_violations(phone, f"{scheme:5} /every-element at {PHONE_WIDTH} px")
    assert violations == [], describe_violations(violations)


def test_the_404_page_is_the_one_checked(browser: Browser, site: Site) -> None:
    browser.get(site.url + "/no-such-page")
    assert browser.find("h1").text == "Page not found"
