"""The writer's loop in a real browser: an edit shows without a reload by hand, in the same place,
and a bad edit shows an overlay naming the file until it is fixed."""

import time
from pathlib import Path

import pytest

from testing.webdriver_client import Browser
from tests.preview.preview_support import copy_articles, start_preview

pytestmark = [pytest.mark.browser, pytest.mark.articles]  # edits a copy of articles/

OVERLAY = "document.getElementById('eblog-preview-problems')"


def until(browser: Browser, script: str, what: str, seconds: float = 15) -> object:
    """Poll ``script`` in the page until it returns something truthy."""
    deadline = time.monotonic() + seconds
    while not (value := browser.execute(script)):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        time.sleep(0.05)
    return value


def test_an_edit_reloads_in_place_and_a_bad_one_shows_where(chromium: Browser, tmp_path: Path) -> None:
    preview = start_preview(copy_articles(tmp_path / "articles"), tmp_path)
    article = preview.articles / "introduction.md"
    good = article.read_text()
    edit = article.write_text
    try:
        chromium.get(preview.url + "/introduction")
        until(chromium, "return document.readyState === 'complete'", "the page loaded")
        assert chromium.execute("window.scrollTo(0, 900); window.notReloaded = true; return window.scrollY") == 900

        edit(good + "\nA sentence the browser should show by itself.\n")
        until(chromium, "return document.body.innerText.includes('A sentence the browser should show')", "the edit")
        assert chromium.execute("return window.notReloaded === undefined")  # the preview reloaded it, not the test
        until(chromium, "return document.readyState === 'complete'", "the reloaded page loaded")
        assert chromium.execute("return window.scrollY") == 900

        edit(good.replace('title: "Introducing', 'title: ["Introducing', 1))
        shown = until(chromium, f"return {OVERLAY} && {OVERLAY}.innerText", "the overlay")
        assert f"{article}:" in str(shown) and "malformed YAML front matter" in str(shown)
        assert chromium.execute("return document.querySelector('h1').innerText").startswith("Introducing eblog")

        edit(good)
        until(chromium, f"return {OVERLAY} === null", "the overlay gone after the fix")
        assert chromium.execute("return document.querySelector('h1').innerText").startswith("Introducing eblog")
    finally:
        assert preview.stop() == 0
