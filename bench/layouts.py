"""What reading a tree through an engine's conventions costs: the same posts, eblog's layout and Jekyll's.

    .venv/bin/python bench/layouts.py [--count 1000] [--runs 5]

Writes one generated corpus twice: in eblog's own layout (``article-0001.md``,
date in the front matter) and as a Jekyll site (``_posts/2021-02-03-article-0001.md``,
date in the file name, ``_config.yml`` beside it).  Runs ``rendermd`` on each,
cold and warm, taking turns, and prints the medians and the ratio Jekyll/eblog
with the machine's load.  Target: the Jekyll tree within 10% of eblog's (ratio <= 1.10).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as `python bench/layouts.py`: import the packages as `python -m` does
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.corpus import write_corpus
from bench.verdict import verdict

REPO = Path(__file__).resolve().parent.parent

TARGET = 1.10


def rendermd(articles: Path, out: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "cmd.rendermd", str(articles), str(out)], cwd=REPO, capture_output=True, text=True
    )
    if result.returncode != 0:
        sys.exit(f"layouts.py: rendermd {articles} failed:\n{result.stderr}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="posts in the corpus")
    parser.add_argument("--runs", type=int, default=5, help="runs per layout, taking turns; medians reported")
    args = parser.parse_args()
    if args.count < 8 or args.runs < 1:
        parser.error("--count must be at least 8 and --runs at least 1")
    load_before = os.getloadavg()[0]
    times: dict[str, dict[str, list[float]]] = {layout: {"cold": [], "warm": []} for layout in ("eblog", "jekyll")}
    with tempfile.TemporaryDirectory(prefix="eblog-layouts-") as tmp:
        root = Path(tmp)
        trees = {"eblog": root / "eblog", "jekyll": root / "jekyll-site"}
        write_corpus(trees["eblog"], args.count)
        write_corpus(trees["jekyll"], args.count, layout="jekyll")
        articles = {"eblog": trees["eblog"], "jekyll": trees["jekyll"] / "_posts"}
        for run in range(args.runs):
            order = ("eblog", "jekyll") if run % 2 == 0 else ("jekyll", "eblog")
            for layout in order:
                out = root / f"out-{layout}-{run}"
                times[layout]["cold"].append(rendermd(articles[layout], out))
                times[layout]["warm"].append(rendermd(articles[layout], out))
    medians = {
        layout: {kind: statistics.median(values) for kind, values in kinds.items()} for layout, kinds in times.items()
    }
    print(
        f"{args.count} posts, rendermd only, median of {args.runs} runs taking turns; "
        f"{os.cpu_count()} CPUs, load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after"
    )
    print(f"{'':<8}{'eblog layout':>14}{'Jekyll site':>14}{'Jekyll/eblog':>14}")
    for kind in ("cold", "warm"):
        eblog, jekyll = medians["eblog"][kind], medians["jekyll"][kind]
        print(f"{kind:<8}{eblog:>13.2f}s{jekyll:>13.2f}s{jekyll / eblog:>14.2f}")
    ratio = medians["jekyll"]["cold"] / medians["eblog"]["cold"]
    print(f"target: cold Jekyll/eblog <= {TARGET:.2f}: {verdict(ratio, TARGET)}")


if __name__ == "__main__":
    main()
