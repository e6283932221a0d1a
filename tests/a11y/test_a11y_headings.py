"""Heading self-links that say where they lead, without changing the heading's own words."""

import pytest

from testing.webdriver_client import Browser
from tests.a11y.a11y_support import Site

pytestmark = pytest.mark.browser


def test_heading_links_are_named_after_their_heading(browser: Browser, site: Site) -> None:
    browser.get(site.url + "/every-element")
    names = [link.name for link in browser.find_all(".content a.header-anchor")]
    assert names == [
        "Link to this section: Long words and addresses",
        "Link to this section: Headings of every level",
        "Link to this section: A fourth-level heading",
        "Link to this section: A fifth-level heading",
        "Link to this section: A sixth-level heading",
        "Link to this section: A table",
        "Link to this section: Code",
        "Link to this section: Quotes, images and lists",
    ]


def test_the_heading_words_and_the_contents_are_unchanged(browser: Browser, site: Site) -> None:
    browser.get(site.url + "/every-element")
    table = browser.find("#a-table")
    assert browser.execute("return arguments[0].textContent", table) == "# A table"
    contents = [link.text for link in browser.find_all(".toc a")]
    assert contents == [
        "Long words and addresses",
        "Headings of every level",
        "A table",
        "Code",
        "Quotes, images and lists",
    ]
