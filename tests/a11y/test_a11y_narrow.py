"""A 320 px wide phone (WCAG 2.2 SC 1.4.10, Reflow): text wraps, only code blocks scroll, inside themselves."""

import pytest

from testing.webdriver_client import Browser
from tests.a11y.a11y_support import PAGES, PHONE_WIDTH, Site

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", PAGES)
def test_a_phone_never_scrolls_sideways(phone: Browser, site: Site, path: str) -> None:
    phone.get(site.url + path)
    viewport, page = phone.execute(
        "return [document.documentElement.clientWidth, document.documentElement.scrollWidth]"
    )
    assert viewport == PHONE_WIDTH
    assert page <= PHONE_WIDTH, f"{path} is {page} px wide on a {PHONE_WIDTH} px screen"


def test_the_long_address_and_the_long_word_wrap_on_a_phone(phone: Browser, site: Site) -> None:
    phone.get(site.url + "/every-element")
    link = phone.find('a[href^="https://example.org/a/very/long/path/"]')
    assert len(link.text.replace("\n", "")) == 200
    lines = phone.execute("return [...arguments[0].getClientRects()].map(r => r.right)", link)
    assert len(lines) > 1 and max(lines) <= PHONE_WIDTH, f"the address's lines end at {lines}"
    word = phone.execute(
        "return [...document.querySelectorAll('p')].find(p => p.textContent.startsWith('A long word'))"
    )
    inner, shown, right = phone.execute(
        "const p = arguments[0]; return [p.scrollWidth, p.clientWidth, p.getBoundingClientRect().right];", word
    )
    assert inner <= shown and right <= PHONE_WIDTH, f"the long word overflows: {inner} > {shown} or {right}"


def test_a_long_code_line_scrolls_inside_its_block(phone: Browser, site: Site) -> None:
    phone.get(site.url + "/every-element")
    block = phone.find("pre")
    inner, shown, right = phone.execute(
        "const b = arguments[0]; return [b.scrollWidth, b.clientWidth, b.getBoundingClientRect().right];", block
    )
    assert inner > shown, "the code did not need to scroll: the test lost its long line"
    assert right <= PHONE_WIDTH
