"""Time the whole pipeline (rendermd, buildindex, prezip) on a generated corpus.

    .venv/bin/python bench/pipeline.py [--count 1000] [--runs 3]

Runs the three tools as a user does (separate processes), cold (empty
OUT_DIR) and warm (nothing changed), and after one article is edited; prints
the median of --runs runs.  As a baseline measured in the same run, it also
times bare markdown-it-py over the same corpus in one process (no
highlighting, templates or writes): the ratio says what the pipeline costs
beyond the one library it cannot avoid, whatever the machine's speed today.
Targets on a 2-core machine: cold under 4 s, warm under 0.5 s for 1,000 articles.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from corpus import write_corpus  # noqa: E402


def run_pipeline(articles: Path, out: Path) -> float:
    """Seconds for rendermd + buildindex + prezip, each its own process."""
    commands = [
        ["-m", "cmd.rendermd", str(articles), str(out)],
        ["-m", "cmd.buildindex", str(out)],
        ["-m", "cmd.prezip", str(out), "-o", str(out.parent / "assets.zip")],
    ]
    started = time.perf_counter()
    for command in commands:
        result = subprocess.run([sys.executable, *command], cwd=REPO, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"pipeline.py: {' '.join(command)} failed:\n{result.stderr}")
    return time.perf_counter() - started


def bare_markdown_it(articles: Path) -> float:
    """Seconds for markdown-it-py alone to render every article's text, in a fresh process."""
    code = (
        "import sys, time, pathlib\n"
        "from markdown_it import MarkdownIt\n"
        "md = MarkdownIt('commonmark').enable(['table', 'strikethrough'])\n"
        "texts = [p.read_text().split('---', 2)[2] for p in sorted(pathlib.Path(sys.argv[1]).glob('*.md'))]\n"
        "t = time.perf_counter()\n"
        "for text in texts: md.render(text)\n"
        "print(time.perf_counter() - t)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, str(articles)], capture_output=True, text=True, check=True)
    return float(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description="Time the eblog pipeline on a generated corpus.")
    parser.add_argument("--count", type=int, default=1000, help="articles in the corpus")
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario; the median is reported")
    args = parser.parse_args()
    if args.count < 8 or args.runs < 1:
        parser.error("--count must be at least 8 and --runs at least 1")

    with tempfile.TemporaryDirectory(prefix="eblog-bench-") as tmp:
        root = Path(tmp)
        articles = root / "articles"
        write_corpus(articles, args.count)
        cold, warm, edited, baseline = [], [], [], []
        for run in range(args.runs):
            out = root / f"out-{run}"
            cold.append(run_pipeline(articles, out))
            warm.append(run_pipeline(articles, out))
            target = articles / "article-0007.md"
            target.write_text(target.read_text() + f"\nEdited in run {run}.\n")
            edited.append(run_pipeline(articles, out))
            baseline.append(bare_markdown_it(articles))
            # Each run keeps its own OUT until the end: deleting thousands of files between runs
            # left the disk busy freeing them during the next cold run, which timed the cleanup too.
        zip_size = (root / "assets.zip").stat().st_size

    cold_s, warm_s, edit_s, base_s = (statistics.median(x) for x in (cold, warm, edited, baseline))
    print(f"corpus: {args.count} articles, {os.cpu_count()} cores, median of {args.runs} runs")
    print(f"{'scenario':<28}{'seconds':>9}{'articles/s':>12}{'vs bare markdown-it':>22}")
    for name, seconds in (
        ("bare markdown-it (baseline)", base_s),
        ("pipeline cold", cold_s),
        ("pipeline warm, no change", warm_s),
        ("pipeline, one article edited", edit_s),
    ):
        print(f"{name:<28}{seconds:>9.2f}{args.count / seconds:>12.0f}{seconds / base_s:>21.2f}x")
    print(f"assets.zip: {zip_size / 1e6:.1f} MB")
    print(
        f"targets: cold < 4 s: {'met' if cold_s < 4 else 'MISSED'}; warm < 0.5 s: {'met' if warm_s < 0.5 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
