"""What the accessibility tests share: WCAG's contrast formula, and a real Chromium on the real site.

The contrast formula is written here from WCAG 2.2's definitions of relative luminance and
contrast ratio (sRGB, the 0.04045 threshold of the sRGB standard), not taken from a library.
The browser is Debian's chromium driven by its chromium-driver (testing/webdriver_client.py); the site is
built by the real tools and served by the real server, so the pages carry the real
Content-Security-Policy. Imported by its full name, ``tests.a11y.a11y_support``, so that it is
one module (one FIGURES list) for pytest and mypy alike.
"""

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testing.webdriver_client import Browser

REPO = Path(__file__).resolve().parents[2]
BLOG = Path(__file__).resolve().parent / "blog"
AXE_JS = REPO / ".tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# The WCAG 2.0, 2.1 and 2.2 A and AA rules: what the site promises to meet.
WCAG_AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Fewer rules than this passing means axe did not really look at the page.
FEWEST_PASSING_RULES = 15
PHONE_WIDTH = 320
SCHEMES = ("light", "dark")
# One page of each template: the home page, the article that uses every element, a tag page, the
# tag index, the archive, and what the server answers for an unknown address (the 404 page).
PAGES = ["/", "/every-element", "/tags/accessibility", "/tags", "/archive", "/no-such-page"]

# What the tests measured, for the terminal summary (conftest.py prints it).
FIGURES: list[str] = []

RGB = tuple[float, float, float]
RGBA_RE = re.compile(r"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+))?\s*\)")


def _linear(channel: float) -> float:
    """One sRGB channel (0..255) as linear light, per WCAG's relative luminance definition."""
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(rgb: RGB) -> float:
    r, g, b = (_linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: RGB, second: RGB) -> float:
    """(L1 + 0.05) / (L2 + 0.05), the lighter colour's luminance over the darker's: 1 to 21."""
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def parse_colour(css: str) -> tuple[RGB, float]:
    """A computed colour as the browser reports it ("rgb(1, 2, 3)" or "rgba(1, 2, 3, 0.5)"): RGB and alpha."""
    match = RGBA_RE.fullmatch(css.strip())
    if match is None:
        raise ValueError(f"not a computed rgb()/rgba() colour: {css!r}")
    red, green, blue, alpha = match.groups()
    return (float(red), float(green), float(blue)), 1.0 if alpha is None else float(alpha)


def over(top: RGB, alpha: float, below: RGB) -> RGB:
    """``top`` at opacity ``alpha`` painted over the opaque ``below`` (simple alpha compositing)."""
    r, g, b = (alpha * t + (1 - alpha) * u for t, u in zip(top, below, strict=True))
    return r, g, b


@dataclass(frozen=True)
class Site:
    url: str
    out: Path


def build_site(blog: Path, work: Path) -> Path:
    """rendermd, buildindex and prezip, run as a user runs them; returns the zip."""
    out, archive = work / "out", work / "site.zip"
    commands = (
        ("cmd.rendermd", str(blog), str(out)),
        ("cmd.buildindex", str(out)),
        ("cmd.prezip", str(out), "-o", str(archive)),
    )
    for args in commands:
        result = subprocess.run(
            [sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
        )
        assert result.returncode == 0, f"{args[0]} failed: {result.stderr}"
    return archive


def emulate_scheme(browser: Browser, scheme: str) -> None:
    """prefers-color-scheme as the DevTools protocol emulates it, checked in the page itself."""
    feature = {"name": "prefers-color-scheme", "value": scheme}
    browser.cdp("Emulation.setEmulatedMedia", {"features": [feature]})
    assert browser.execute(f"return matchMedia('(prefers-color-scheme: {scheme})').matches"), scheme


def run_axe(browser: Browser, tags: list[str]) -> dict[str, Any]:
    """axe-core on the current page, limited to ``tags``: its violations and how many rules passed."""
    browser.execute(AXE_JS.read_text(encoding="utf-8"))
    script = """
        const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: "tag", values: arguments[0]}, resultTypes: ["violations"]})
          .then(result => done({
            passes: result.passes.length,
            violations: result.violations.map(rule => ({
              id: rule.id,
              help: rule.help,
              nodes: rule.nodes.map(node => ({target: node.target.join(" "), summary: node.failureSummary})),
            })),
          }), error => done({error: String(error)}));
    """
    result: dict[str, Any] = browser.execute_async(script, tags)
    assert "error" not in result, result
    return result


def axe_violations(browser: Browser, label: str) -> list[dict[str, Any]]:
    """axe's WCAG A and AA rules on the current page; how many elements fail goes into FIGURES."""
    result = run_axe(browser, WCAG_AA_TAGS)
    assert result["passes"] >= FEWEST_PASSING_RULES, f"axe hardly ran on {label}: {result}"
    violations: list[dict[str, Any]] = result["violations"]
    nodes = sum(len(rule["nodes"]) for rule in violations)
    FIGURES.append(f"axe {label}: {len(violations)} rules violated, {nodes} nodes")
    return violations


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for rule in violations:
        lines.append(f"{rule['id']} ({len(rule['nodes'])} nodes): {rule['help']}")
        lines.extend(f"    {node['target']}: {node['summary']}".replace("\n", " ") for node in rule["nodes"][:8])
    return "\n".join(lines)
