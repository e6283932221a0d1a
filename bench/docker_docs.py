"""The measured figures in the docs, generated from bench/docker_build-latest.json, never typed.

    python -m bench.docker_docs            rewrite every generated block from the published JSON
    python -m bench.docker_docs --check    exit 1, naming the file and block, if any is out of date

A block is the text between `<!-- generated: NAME -->` and `<!-- end: NAME -->` in one of DOCS;
NAME says what goes there (BLOCKS). bench/docker_build.py --publish rewrites them after writing
the JSON; tests/docker/test_docker_docs.py checks that every block matches the JSON and that no
size or build time is typed outside a block.
"""

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

from bench.docker_report import (
    MB,
    MINIMAL,
    NAIVE,
    SLIM,
    Report,
    caption,
    cost_lines,
    find,
    markdown_table,
    target_line,
)

REPO = Path(__file__).resolve().parent.parent
PUBLISHED = REPO / "bench" / "docker_build-latest.json"
CHART = "articles/static/docker-build-benchmark.svg"  # in the blog's static files, so the article shows it
DOCS = ("README.md", "docker/steps/README.md", "docs/workshop.md", "articles/docker-build-benchmark.md")
BLOCK = re.compile(r"(<!-- generated: (?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- end: (?P=name) -->)", re.S)


def figure(seconds: float) -> str:
    return f"{seconds:.2f} s"


def size(report: Report, step: str) -> str:
    cell = find(report, step, "cold") or next(r for r in report["results"] if r["step"] == step)
    return f"{cell['size'] / MB:.1f} MB"


def build_table(report: Report) -> str:
    return markdown_table(report)


def build_targets(report: Report) -> str:
    return "".join(f"- {target_line(t)}\n" for t in report["targets"])


def cost_of_waiting(report: Report) -> str:
    return "\n".join(cost_lines(report["cost"])) + "\n"


def step_figures(report: Report) -> str:
    """One row a step: its image size, its cold build, and its rebuilds after everyday edits."""
    lines = [
        "| step | image size | cold build | after an article edit | after a server edit | after a lock change |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for step in dict.fromkeys(r["step"] for r in report["results"]):
        cells = [find(report, step, s) for s in ("cold", "article", "server", "lock")]
        times = " | ".join(figure(c["seconds"]) if c else "not measured" for c in cells)
        lines.append(f"| {step} | {size(report, step)} | {times} |")
    return "\n".join(lines) + f"\n\nMeasured {caption(report)}.\n"


def image_sizes(report: Report) -> str:
    slim_base = report["machine"]["bases"]["slim"]
    kind = "a look-alike" if slim_base["lookalike"] else "the official image"
    return (
        f"Measured by the build benchmark ({report['date']}): the `run` image is {size(report, SLIM)}, of which "
        f"{slim_base['size'] / MB:.1f} MB is its base (`{slim_base['tag']}`, {kind}); the `minimal` image is "
        f"{size(report, MINIMAL)}; the naive step-1 image, for comparison, {size(report, NAIVE)}.\n"
    )


def benchmark_run(report: Report) -> str:
    minutes = report.get("duration_seconds", 0) / 60
    return (
        f"The published figures come from `{report['command']}`, which took {minutes:.0f} minutes on "
        f"{report['machine']['cores']} CPUs (see the table's caption for the load).\n"
    )


def chart(report: Report) -> str:
    return f"![The build benchmark as a chart: time per scenario and image size per step]({{prefix}}{CHART})\n"


BLOCKS: dict[str, Callable[[Report], str]] = {
    "build-table": build_table,
    "build-targets": build_targets,
    "cost-of-waiting": cost_of_waiting,
    "step-figures": step_figures,
    "image-sizes": image_sizes,
    "benchmark-run": benchmark_run,
    "chart": chart,
}


def render(name: str, report: Report, doc: str) -> str:
    """The block's text for doc: the chart's path is relative to the doc, or the site's for an article."""
    text = BLOCKS[name](report)
    if name == "chart":
        prefix = "/" if doc.startswith("articles/") else "../" * doc.count("/")
        text = text.replace("{prefix}", prefix).replace("/articles/static/", "/static/")
    return text


def regenerate(text: str, report: Report, doc: str) -> str:
    """text with every block rewritten; an unknown block name is an error naming it."""

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in BLOCKS:
            raise KeyError(f"{doc}: unknown generated block {name!r} (known: {', '.join(BLOCKS)})")
        return match[1] + render(name, report, doc) + match[4]

    return BLOCK.sub(replace, text)


def stale_blocks(report: Report) -> list[str]:
    """ "doc: NAME" for every block that differs from what the report gives."""
    stale = []
    for doc in DOCS:
        text = (REPO / doc).read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            if match["body"] != render(match["name"], report, doc):
                stale.append(f"{doc}: {match['name']}")
    return stale


def update(report: Report) -> list[str]:
    """Rewrite the blocks of every doc; the docs that changed."""
    changed = []
    for doc in DOCS:
        path = REPO / doc
        text = path.read_text(encoding="utf-8")
        new = regenerate(text, report, doc)
        if new != text:
            partial = path.with_suffix(path.suffix + ".tmp")
            partial.write_text(new, encoding="utf-8")
            partial.replace(path)
            changed.append(doc)
    return changed


def main(argv: list[str]) -> int:
    report = json.loads(PUBLISHED.read_text())
    if argv == ["--check"]:
        stale = stale_blocks(report)
        for line in stale:
            print(f"docker_docs: out of date: {line} (run python -m bench.docker_docs)", file=sys.stderr)
        return 1 if stale else 0
    if argv:
        print("usage: python -m bench.docker_docs [--check]", file=sys.stderr)
        return 2
    for doc in update(report):
        print(f"docker_docs: rewrote {doc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
