"""The real articles/ as published: no WCAG 2.2 A or AA violation on any of their pages, in either theme."""

import pytest

from testing.webdriver_client import Browser
from tests.a11y.a11y_support import SCHEMES, Site, axe_violations, describe_violations, emulate_scheme

pytestmark = [pytest.mark.browser, pytest.mark.articles]

INDEX_PAGES = {"index", "404", "tags", "archive"}


@pytest.mark.parametrize("scheme", SCHEMES)
def test_axe_finds_no_violation_on_the_real_articles(browser: Browser, articles_site: Site, scheme: str) -> None:
    pages = [f"/{page.stem}" for page in sorted(articles_site.out.glob("*.html")) if page.stem not in INDEX_PAGES]
    assert len(pages) >= 3, pages
    found = {}
    for path in pages:
        browser.get(articles_site.url + path)
        emulate_scheme(browser, scheme)
        found[path] = axe_violations(browser, f"{scheme:5} articles/ {path}")
    assert {path: describe_violations(v) for path, v in found.items() if v} == {}
