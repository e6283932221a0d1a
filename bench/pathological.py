"""Hostile Markdown: does rendering time grow with the input's size, and no faster?

    .venv/bin/python bench/pathological.py [--sizes 25000,50000,100000]

Each case repeats one construct N times (20,000 repeated headings, nested
quotes and lists, a 10 MB line, dense tables, footnotes, autolinks...) and is
rendered by the same parser rendermd uses, with the cycle collector paused as
in rendermd's workers.  For each case it prints the time at each size, the
growth exponent between the smallest and the largest (1.0 is linear, 2.0
quadratic) and the seconds per MB; the goal is that no 1 MB input takes more
than 2 s.  A bare markdown-it-py run of the same inputs is the baseline:
what the parser costs before eblog's own rules.
"""

import argparse
import gc
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from markdown_it import MarkdownIt  # noqa: E402

from cmd.rendermd import markdown  # noqa: E402

GOAL_SECONDS_PER_MB = 2.0
CASES: dict[str, Callable[[int], str]] = {
    "repeated headings": lambda n: "## a\n" * n,
    "nested quotes": lambda n: ">" * n + " x\n",
    "nested lists": lambda n: "- " * n + "x\n",
    "one long line": lambda n: "word " * (n * 20) + "\n",
    "emphasis runs": lambda n: "*a **b " * n + "\n",
    "open brackets": lambda n: "[" * n + "\n",
    "unclosed links": lambda n: "[a](b " * n + "\n",
    "inline html": lambda n: "<a>" * n + "\n",
    "autolinks": lambda n: "<http://a.b/c> " * n + "\n",
    "entities": lambda n: "&amp;" * n + "\n",
    "table rows": lambda n: "|a|b|\n|-|-|\n" + "|x|y|\n" * (n // 4),
    "footnotes": lambda n: "".join(f"[^{i}]\n\n[^{i}]: n\n" for i in range(n // 8)),
    "fenced code": lambda n: "```python\n" + "x = 1\n" * n + "```\n",
}


def timed(render: Callable[[str], object], text: str) -> float:
    gc.disable()
    try:
        started = time.perf_counter()
        render(text)
        return time.perf_counter() - started
    finally:
        gc.enable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="25000,50000,100000", help="repetitions of each construct")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    eblog = markdown.make_parser()
    bare = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load average {load:.2f}; sizes {sizes}; goal <= {GOAL_SECONDS_PER_MB} s/MB")
    print(f"{'case':<20}{'largest':>10}{'seconds':>28}{'exponent':>10}{'s/MB':>7}{'bare s/MB':>10}  verdict")
    over = []
    for name, make in CASES.items():
        texts = [make(size) for size in sizes]
        seconds = [timed(lambda text: markdown.render(eblog, text), text) for text in texts]
        bare_seconds = timed(bare.render, texts[-1])
        megabytes = len(texts[-1].encode()) / 1e6
        exponent = math.log(seconds[-1] / max(seconds[0], 1e-6)) / math.log(len(texts[-1]) / len(texts[0]))
        per_mb = seconds[-1] / megabytes
        verdict = "ok" if per_mb <= GOAL_SECONDS_PER_MB else f"{per_mb / GOAL_SECONDS_PER_MB:.1f}x over"
        if per_mb > GOAL_SECONDS_PER_MB:
            over.append(name)
        times = " ".join(f"{s:.3f}" for s in seconds)
        bare_per_mb = bare_seconds / megabytes
        print(f"{name:<20}{megabytes:>8.2f}MB{times:>28}{exponent:>10.2f}{per_mb:>7.2f}{bare_per_mb:>10.2f}  {verdict}")
    print(f"load average at the end {os.getloadavg()[0]:.2f}; over the goal: {', '.join(over) or 'none'}")


if __name__ == "__main__":
    main()
