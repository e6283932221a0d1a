"""The sizes and times in the docs are the published build benchmark's, never typed by hand.

Every figure stands in a block bench/docker_docs.py generates from bench/docker_build-latest.json.
This test reads the JSON itself and finds each of its times and sizes in the docs' tables, checks
the chart the docs show is drawn from it, and looks outside the blocks for a size, a build time or
a ratio typed by hand. No engine is needed.
"""

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from workshop.engine import REPO

PUBLISHED = REPO / "bench" / "docker_build-latest.json"
DOCS = ("README.md", "docker/steps/README.md", "docs/workshop.md", "articles/docker-build-benchmark.md")
CHART = REPO / "articles" / "static" / "docker-build-benchmark.svg"
BLOCK = re.compile(r"<!-- generated: ([a-z-]+) -->\n(.*?)<!-- end: \1 -->", re.S)
# A size, a build time with decimals, or a speed or size ratio: what only a measurement may say.
TYPED_FIGURE = re.compile(
    r"\b\d+(?:\.\d+)?\s?(?:MB|GB|kB)\b|\b\d+\.\d+\s?s\b|\b\d+(?:\.\d+)?\s?(?:x|times) (?:faster|smaller|slower)\b"
)


@pytest.fixture(scope="module")
def report() -> Any:
    return json.loads(PUBLISHED.read_text())


def blocks(doc: str) -> dict[str, str]:
    return dict(BLOCK.findall((REPO / doc).read_text()))


def test_every_doc_has_its_figures_in_generated_blocks() -> None:
    found = {doc: set(blocks(doc)) for doc in DOCS}
    assert {"build-table", "chart", "build-targets", "cost-of-waiting"} <= found["articles/docker-build-benchmark.md"]
    assert {"image-sizes", "chart", "cost-of-waiting", "build-targets"} <= found["README.md"]
    assert "step-figures" in found["docker/steps/README.md"] and "step-figures" in found["docs/workshop.md"]


def test_the_tables_hold_the_published_times_and_sizes(report: Any) -> None:
    table = blocks("articles/docker-build-benchmark.md")["build-table"]
    for cell in report["results"]:
        row = f"| {cell['step']} | {cell['scenario']} | {cell['seconds']:.2f} s"
        assert row in table, row
        assert f"| {cell['size'] / 1e6:.1f} MB |" in table
    for doc in ("docker/steps/README.md", "docs/workshop.md"):
        figures = blocks(doc)["step-figures"]
        for cell in report["results"]:
            if cell["scenario"] in ("cold", "article"):
                assert f"{cell['seconds']:.2f} s" in figures, (doc, cell["step"], cell["scenario"])
    sizes = blocks("README.md")["image-sizes"]
    run = next(c for c in report["results"] if c["step"] == "4-cache-mounts")
    assert f"the `run` image is {run['size'] / 1e6:.1f} MB" in sizes


def test_the_cost_table_is_the_articles_arithmetic_on_the_published_times(report: Any) -> None:
    cost = report["cost"]
    naive = next(c for c in report["results"] if (c["step"], c["scenario"]) == ("1-naive", "article"))
    fast = next(c for c in report["results"] if (c["step"], c["scenario"]) == ("4-cache-mounts", "article"))
    hours = cost["developers"] * cost["builds_per_day"] * (naive["seconds"] - fast["seconds"]) / 3600 * 240
    text = blocks("README.md")["cost-of-waiting"]
    assert f"| ${hours * cost['rate']:,.0f} |" in text
    assert "waiting 60 minutes a day cost $204,000 a year" in text  # 10 x 1 h x 240 days x $85
    assert text == blocks("articles/docker-build-benchmark.md")["cost-of-waiting"]


def test_the_chart_shown_is_drawn_from_the_published_json(report: Any) -> None:
    labels = [t.text or "" for t in ET.parse(CHART).getroot().iter("{http://www.w3.org/2000/svg}text")]
    for cell in report["results"]:
        assert any(label.startswith(f"{cell['seconds']:.2f} s") for label in labels), cell
    assert (
        "![" in blocks("README.md")["chart"]
        and "articles/static/docker-build-benchmark.svg" in (blocks("README.md")["chart"])
    )
    assert "](/static/docker-build-benchmark.svg)" in blocks("articles/docker-build-benchmark.md")["chart"]


# Not measurements: a limit a check sets, and the disk a laptop needs.
NOT_MEASURED = re.compile(r"\bat most \d+ MB\b|\b\d+ GB of free disk\b")


@pytest.mark.parametrize("doc", DOCS)
def test_no_figure_is_typed_outside_a_block(doc: str) -> None:
    text = NOT_MEASURED.sub("", BLOCK.sub("", (REPO / doc).read_text()))
    if doc == "README.md":  # the server's, the tools' and Deploy sections are not the benchmark's
        text = (
            text[text.index("## Docker") : text.index("## Deploy")]
            + text[text.index("### The build benchmark") : text.index("## Layout")]
        )
    assert TYPED_FIGURE.findall(text) == [], f"{doc}: a figure typed by hand; generate it (bench/docker_docs.py)"


def test_no_doc_cites_an_issue_number() -> None:
    for doc in (*DOCS, "Dockerfile", *(str(p.relative_to(REPO)) for p in (REPO / "docker" / "steps").glob("*"))):
        assert not re.search(r"\bissues? #?\d+\b|\(issue \d+\)", (REPO / doc).read_text(), re.I), doc
