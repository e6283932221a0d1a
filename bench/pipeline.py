"""Time the whole pipeline (rendermd, buildindex, prezip) on a generated corpus.

    .venv/bin/python bench/pipeline.py [--count 1000] [--runs 3] [--vs-hugo]

Runs the three tools as a user does (separate processes), cold (empty
OUT_DIR) and warm (nothing changed), and after one article is edited; prints
the median of --runs runs.  As a baseline measured in the same run, it also
times the libraries alone over the same corpus in one process (pyromark's
HTML and Pygments on every code block; no templates, no writes, one core):
the ratio says what the pipeline costs beyond the work it cannot avoid,
whatever the machine's speed today.
Targets on a 2-core machine: cold under 4 s, warm under 0.5 s for 1,000 articles.

``--vs-hugo`` also writes the same corpus as a Hugo site (content/posts/, a minimal
layout: single page, list, RSS and sitemap, code highlighted by Chroma) and times
Debian's ``hugo`` building it cold, taking turns with the pipeline; it prints both
medians and the ratio (target: the pipeline at most 0.8x Hugo).
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as `python bench/pipeline.py`: import the packages as `python -m` does
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.corpus import write_corpus

REPO = Path(__file__).resolve().parent.parent


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


HUGO_CONFIG = """baseURL = "https://example.org/"
title = "Bench"
disableKinds = ["taxonomy", "term"]
[markup.highlight]
noClasses = false
"""
HUGO_LAYOUTS = {
    "_default/baseof.html": "<!doctype html><html><head><title>{{ .Title }}</title></head>"
    '<body>{{ block "main" . }}{{ end }}</body></html>\n',
    "_default/single.html": '{{ define "main" }}<article><h1>{{ .Title }}</h1>{{ .Content }}</article>{{ end }}\n',
    "_default/list.html": '{{ define "main" }}<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">'
    "{{ .Title }}</a> {{ .Summary }}</li>{{ end }}</ul>{{ end }}\n",
}


def write_hugo_site(articles: Path, site: Path) -> None:
    """The same articles as Hugo content, with the smallest layout that writes every kind of page."""
    (site / "content" / "posts").mkdir(parents=True)
    (site / "hugo.toml").write_text(HUGO_CONFIG)
    for name, text in HUGO_LAYOUTS.items():
        (site / "layouts" / name).parent.mkdir(parents=True, exist_ok=True)
        (site / "layouts" / name).write_text(text)
    for path in sorted(articles.glob("*.md")):
        (site / "content" / "posts" / path.name).write_bytes(path.read_bytes())


def run_hugo(site: Path, out: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(["hugo", "--quiet", "-s", str(site), "-d", str(out)], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"pipeline.py: hugo failed:\n{result.stderr}")
    return time.perf_counter() - started


def vs_hugo(root: Path, articles: Path, runs: int) -> None:
    """Cold builds of the same corpus, taking turns: the pipeline, then Hugo (order swapped each run)."""
    if shutil.which("hugo") is None:
        sys.exit("pipeline.py: --vs-hugo needs Debian's hugo (apt-get install hugo)")
    site = root / "hugo-site"
    write_hugo_site(articles, site)
    ours: list[float] = []
    theirs: list[float] = []
    for run in range(runs):
        order = ("eblog", "hugo") if run % 2 == 0 else ("hugo", "eblog")
        for name in order:
            if name == "eblog":
                ours.append(run_pipeline(articles, root / f"vs-out-{run}"))
            else:
                theirs.append(run_hugo(site, root / f"vs-hugo-{run}"))
    version = subprocess.run(["hugo", "version"], capture_output=True, text=True).stdout.split()[1]
    ratio = statistics.median(ours) / statistics.median(theirs)
    count = len(list(articles.glob("*.md")))
    print(f"\nvs Hugo {version}, cold, same {count} articles, median of {runs} runs taking turns:")
    print(
        f"  eblog pipeline {statistics.median(ours):.2f} s ({min(ours):.2f}-{max(ours):.2f}), "
        f"hugo {statistics.median(theirs):.2f} s ({min(theirs):.2f}-{max(theirs):.2f}); ratio {ratio:.2f} "
        f"(target <= 0.80: {'met' if ratio <= 0.8 else f'missed by {ratio - 0.8:.2f}'}); "
        f"load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs"
    )


BARE_LIBRARIES = """
import pathlib, re, sys, time
import pyromark
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
options = pyromark.Options.ENABLE_TABLES | pyromark.Options.ENABLE_STRIKETHROUGH | pyromark.Options.ENABLE_FOOTNOTES
fence = re.compile(r"^```(\\w+)\\n(.*?)^```", re.M | re.S)
formatter = HtmlFormatter(nowrap=True)
texts = [p.read_text().split("---", 2)[2] for p in sorted(pathlib.Path(sys.argv[1]).glob("*.md"))]
t = time.perf_counter()
for text in texts:
    pyromark.html(text, options=options)
    for lang, code in fence.findall(text):
        highlight(code, get_lexer_by_name(lang), formatter)
print(time.perf_counter() - t)
"""


def bare_libraries(articles: Path) -> float:
    """Seconds for the libraries alone (pyromark's HTML, Pygments on every code block), one process."""
    result = subprocess.run(
        [sys.executable, "-c", BARE_LIBRARIES, str(articles)], capture_output=True, text=True, check=True
    )
    return float(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description="Time the eblog pipeline on a generated corpus.")
    parser.add_argument("--count", type=int, default=1000, help="articles in the corpus")
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario; the median is reported")
    parser.add_argument("--vs-hugo", action="store_true", help="also time Debian's hugo on the same corpus")
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
            baseline.append(bare_libraries(articles))
            # Each run keeps its own OUT until the end: deleting thousands of files between runs
            # left the disk busy freeing them during the next cold run, which timed the cleanup too.
        zip_size = (root / "assets.zip").stat().st_size
        if args.vs_hugo:
            vs_hugo(root, articles, args.runs)

    cold_s, warm_s, edit_s, base_s = (statistics.median(x) for x in (cold, warm, edited, baseline))
    print(f"corpus: {args.count} articles, {os.cpu_count()} cores, median of {args.runs} runs")
    print(f"{'scenario':<28}{'seconds':>9}{'articles/s':>12}{'vs bare libraries':>22}")
    for name, seconds in (
        ("bare libraries (baseline)", base_s),
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
