"""Every highlighting class readable in both themes: at least 4.5:1 against the code's background.

Measured in the real browser on the real stylesheet (the cascade decides the colours, not a
style's name): one span per Pygments token class, and the line-number class, on a plain line
and on a marked line, with the contrast computed here from WCAG's formula.
"""

from typing import Any

import pytest
from pygments.token import STANDARD_TYPES

from testing.webdriver_client import Browser
from tests.a11y.a11y_support import FIGURES, RGB, SCHEMES, Site, contrast_ratio, emulate_scheme, over, parse_colour

pytestmark = pytest.mark.browser

# WCAG 2.2 SC 1.4.3, normal-size text (code is set smaller than the body text).
AA_NORMAL_TEXT = 4.5
# Text.Whitespace is spaces and tabs only: there is no glyph to read, so no contrast to have.
GLYPHLESS = {"w"}
# The classes a block can contain: every token type Pygments names, and eblog's line numbers.
CLASSES = {cls: str(token) for token, cls in STANDARD_TYPES.items() if cls and cls not in GLYPHLESS}
CLASSES["ln"] = "line number"

# A block of one span per class on a plain line, then the same inside a marked line, appended to
# the article so that the site's stylesheet styles it. Each span reports its colour and the
# background colours from itself out to <html>, for the test to composite.
PROBE = """
const pre = document.createElement("pre");
pre.className = "highlight";
const code = pre.appendChild(document.createElement("code"));
const mark = document.createElement("mark");
mark.className = "hll";
for (const parent of [code, mark]) {
  for (const cls of arguments[0]) {
    const span = parent.appendChild(document.createElement("span"));
    span.className = cls;
    span.textContent = "Aa1";
  }
}
code.appendChild(mark);
document.querySelector(".content").appendChild(pre);
return [...pre.querySelectorAll("span")].map(span => {
  const layers = [];
  for (let node = span; node; node = node.parentElement) layers.push(getComputedStyle(node).backgroundColor);
  return {cls: span.className, marked: span.parentElement === mark, colour: getComputedStyle(span).color, layers};
});
"""


def backdrop(layers: list[str]) -> RGB:
    """The colour behind an element: its backgrounds from the nearest opaque one inwards, composited."""
    parsed = [parse_colour(layer) for layer in layers]
    opaque = next(index for index, (_, alpha) in enumerate(parsed) if alpha == 1)
    colour = parsed[opaque][0]
    for rgb, alpha in reversed(parsed[:opaque]):
        colour = over(rgb, alpha, colour)
    return colour


def measure(browser: Browser, site: Site, scheme: str) -> list[tuple[float, str, bool]]:
    browser.get(site.url + "/every-element")
    emulate_scheme(browser, scheme)
    probes: list[dict[str, Any]] = browser.execute(PROBE, sorted(CLASSES))
    assert len(probes) == 2 * len(CLASSES)
    ratios = []
    for probe in probes:
        behind = backdrop(probe["layers"])
        text, alpha = parse_colour(probe["colour"])
        ratios.append((contrast_ratio(over(text, alpha, behind), behind), probe["cls"], probe["marked"]))
    return sorted(ratios)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_token_class_has_aa_contrast(browser: Browser, site: Site, scheme: str) -> None:
    ratios = measure(browser, site, scheme)
    for marked in (False, True):
        lowest, cls, _ = min(r for r in ratios if r[2] == marked)
        where = "a marked line" if marked else "a plain line"
        FIGURES.append(f"code {scheme:5} on {where}: lowest {lowest:.2f}:1 (.{cls}, {CLASSES[cls]})")
    failing = [f".{cls}{' marked' if marked else ''} {r:.2f}:1" for r, cls, marked in ratios if r < AA_NORMAL_TEXT]
    assert failing == [], f"{len(failing)} of {len(ratios)} below {AA_NORMAL_TEXT}:1 ({scheme}): {'; '.join(failing)}"
