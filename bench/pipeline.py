"""Time the whole pipeline (rendermd, buildindex, prezip) on a generated corpus.

    .venv/bin/python bench/pipeline.py [--count 1000] [--runs 3] [--compare DIR] [--growth] [--vs-hugo]

Runs the three tools as a user does (separate processes), cold (empty
OUT_DIR) and warm (nothing changed), and after one article is edited; prints
the median of --runs runs, and the peak memory of a cold run (per tool, the
largest sum of PSS over its process tree, its workers included, sampled from
/proc every 20 ms).  As baselines measured in the same run, it also times the
libraries alone over the same corpus in one process (pyromark's HTML and
Pygments on every code block; no templates, no writes, one core): the ratio
says what the pipeline costs beyond the work it cannot avoid, whatever the
machine's speed today; and three bare interpreter starts, the floor under a
warm run of three separate processes.
Targets on a 2-core machine (issue 15): warm with nothing changed <= 0.15 s
and one article edited <= 0.3 s for 1,000 articles.

``--compare DIR`` also runs another checkout's tools (a folder holding its
``cmd``, e.g. ``git archive main cmd | tar -x -C /tmp/before``) on the same
corpus, taking turns phase by phase, for before/after figures from one run.

``--growth`` then builds ten times --count articles cold, once per checkout, and
prints the time as a multiple of the median cold time at --count (target <= 10.5x)
and the peak memory (target <= 500 MB at 10,000 articles).

``--vs-hugo`` also writes the same corpus as a Hugo site (content/posts/, a minimal
layout: single page, list, RSS and sitemap, code highlighted by Chroma) and times
Debian's ``hugo`` building it cold, taking turns with the pipeline; it prints both
medians and the ratio (target: the pipeline at most 0.8x Hugo).
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

if not __package__:  # run as `python bench/pipeline.py`: import the packages as `python -m` does
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.corpus import write_corpus
from bench.verdict import load_text, verdict

REPO = Path(__file__).resolve().parent.parent


def pipeline_commands(articles: Path, out: Path) -> list[list[str]]:
    return [
        ["-m", "cmd.rendermd", str(articles), str(out)],
        ["-m", "cmd.buildindex", str(out)],
        ["-m", "cmd.prezip", str(out), "-o", str(out.parent / f"{out.name}.zip")],
    ]


def run_pipeline(articles: Path, out: Path, tools: Path = REPO) -> float:
    """Seconds for rendermd + buildindex + prezip, each its own process (``tools``: the checkout that runs)."""
    started = time.perf_counter()
    for command in pipeline_commands(articles, out):
        result = subprocess.run([sys.executable, *command], cwd=tools, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"pipeline.py: {' '.join(command)} failed:\n{result.stderr}")
    return time.perf_counter() - started


def proportional_size(pid: int) -> int:
    """Bytes of memory ``pid`` uses, pages shared with other processes (forked workers) split between them (PSS)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass  # gone meanwhile
    return 0


def tree_memory(root: int) -> int:
    """Bytes ``root`` and its descendants (rendermd's workers too) use now: their PSS summed, shared pages once."""
    parent: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                parent[int(entry.name)] = int(Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue  # gone meanwhile
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += proportional_size(pid)
        stack.extend(child for child, of in parent.items() if of == pid)
    return total


def run_pipeline_peak(articles: Path, out: Path, tools: Path = REPO) -> tuple[float, dict[str, int]]:
    """Seconds, and per tool the most memory its process tree held at once (sampled every 20 ms)."""
    started, peaks = time.perf_counter(), {}
    for command in pipeline_commands(articles, out):
        peak = 0
        with tempfile.TemporaryFile("w+") as errors:  # not a pipe: nobody reads it while the tool runs
            process = subprocess.Popen([sys.executable, *command], cwd=tools, stdout=subprocess.DEVNULL, stderr=errors)
            while process.poll() is None:
                peak = max(peak, tree_memory(process.pid))
                time.sleep(0.02)
            if process.returncode != 0:
                errors.seek(0)
                sys.exit(f"pipeline.py: {' '.join(command)} failed:\n{errors.read()}")
        peaks[command[1].removeprefix("cmd.")] = peak
    return time.perf_counter() - started, peaks


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
        f"hugo {statistics.median(theirs):.2f} s ({min(theirs):.2f}-{max(theirs):.2f}); "
        f"ratio, target <= 0.80: {verdict(ratio, 0.8)}; {load_text()}"
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


def interpreter_floor() -> float:
    """Seconds for three bare interpreter starts: what three separate processes cost before any work."""
    started = time.perf_counter()
    for _ in range(3):
        subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


@dataclass
class Timings:
    """One checkout's runs: cold (with its peak memory), warm with nothing changed, one article edited."""

    cold: list[float] = field(default_factory=list)
    peak: list[dict[str, int]] = field(default_factory=list)
    warm: list[float] = field(default_factory=list)
    edited: list[float] = field(default_factory=list)


def compile_bytecode(checkouts: dict[str, Path]) -> None:
    """Each checkout's modules compiled first: under PYTHONDONTWRITEBYTECODE a fresh checkout (``git archive``)
    would otherwise compile every module on every run, and lose a comparison by that alone."""
    for tools in checkouts.values():
        folders = [str(tools / name) for name in ("cmd", "server", "eblog") if (tools / name).is_dir()]
        subprocess.run([sys.executable, "-m", "compileall", "-q", *folders], check=True, stdout=subprocess.DEVNULL)


def time_checkouts(root: Path, articles: Path, checkouts: dict[str, Path], runs: int) -> dict[str, Timings]:
    """Each checkout's pipeline on the same corpus, taking turns phase by phase (cold, warm, edited)."""
    compile_bytecode(checkouts)
    timings = {name: Timings() for name in checkouts}
    for run in range(runs):
        order = list(checkouts.items())[:: 1 if run % 2 == 0 else -1]
        for name, tools in order:
            seconds, peak = run_pipeline_peak(articles, root / f"{name}-out-{run}", tools)
            timings[name].cold.append(seconds)
            timings[name].peak.append(peak)
        for name, tools in order:
            timings[name].warm.append(run_pipeline(articles, root / f"{name}-out-{run}", tools))
        target = articles / "article-0007.md"
        target.write_text(target.read_text() + f"\nEdited in run {run}.\n")
        for name, tools in order:
            timings[name].edited.append(run_pipeline(articles, root / f"{name}-out-{run}", tools))
        # Each run keeps its own OUT until the end: deleting thousands of files between runs
        # left the disk busy freeing them during the next cold run, which timed the cleanup too.
    return timings


def growth(root: Path, count: int, checkouts: dict[str, Path], cold: dict[str, float]) -> None:
    """One cold build of a corpus ten times as large, beside the median cold time at ``count``."""
    articles = root / "articles-x10"
    write_corpus(articles, count * 10)
    print(f"\ngrowth: {count * 10} articles cold, one run each, against the median cold time at {count}:")
    for name, tools in checkouts.items():
        seconds, peaks = run_pipeline_peak(articles, root / f"{name}-out-x10", tools)
        ratio, peak = seconds / cold[name], max(peaks.values())
        print(
            f"  {name:<10} {seconds:7.2f} s = {ratio:5.2f}x the {count} ({cold[name]:.2f} s; target <= 10.5x: "
            f"{verdict(ratio, 10.5, unit='x')}); peak memory {peak / 2**20:6.0f} MB "
            f"(target <= 500 MB: {verdict(peak / 2**20, 500, unit=' MB')}; {megabytes(peaks)}); "
            f"load average {load()}"
        )
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"  largest single process of the whole bench (getrusage of children): {largest:.0f} MB")


def megabytes(peaks: dict[str, int]) -> str:
    return ", ".join(f"{tool} {peak / 2**20:.0f} MB" for tool, peak in peaks.items())


def load() -> str:
    return f"{os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs"


def report(count: int, runs: int, timings: dict[str, Timings], base_s: float, floor_s: float) -> None:
    print(f"corpus: {count} articles, {os.cpu_count()} cores, median of {runs} runs, load average {load()}")
    names = list(timings)
    print(f"{'scenario':<30}" + "".join(f"{name:>12}" for name in names) + f"{'vs bare libraries':>20}")
    print(f"{'bare libraries (baseline)':<30}{base_s:>12.2f}")
    print(f"{'3 interpreter starts (floor)':<30}{floor_s:>12.3f}")
    medians = {}
    for scenario in ("cold", "warm", "edited"):
        medians[scenario] = [statistics.median(getattr(timings[name], scenario)) for name in names]
        label = {"cold": "pipeline cold", "warm": "pipeline warm, no change", "edited": "pipeline, one article edited"}
        cells = "".join(f"{seconds:>12.3f}" for seconds in medians[scenario])
        print(f"{label[scenario]:<30}{cells}{medians[scenario][0] / base_s:>19.2f}x")
    peaks = "".join(f"{max(max(run.values()) for run in timings[name].peak) / 2**20:>9.0f} MB" for name in names)
    print(f"{'peak memory, cold (one tool)':<30}{peaks}")
    if len(names) > 1:
        ratios = ", ".join(
            f"{scenario} {medians[scenario][0] / medians[scenario][1]:.2f}x" for scenario in ("cold", "warm", "edited")
        )
        print(f"{names[0]} against {names[1]}, same run: {ratios}")
    warm_s, edit_s = medians["warm"][0], medians["edited"][0]
    print(f"targets: {target_lines(warm_s, edit_s, floor_s, os.getloadavg()[0], os.cpu_count() or 1)}")


WARM_TARGET_S, EDIT_TARGET_S = 0.15, 0.3


def target_lines(warm_s: float, edit_s: float, floor_s: float, load_average: float, cpus: int) -> str:
    """The report's line on issue 15's two targets: warm with nothing changed, and one article edited."""
    load = f"load average {load_average:.2f} on {cpus} CPUs"
    return (
        f"warm no change <= {WARM_TARGET_S} s: {verdict(warm_s, WARM_TARGET_S, unit=' s', load=load)} "
        f"({warm_s / floor_s:.1f}x the interpreter floor); "
        f"one edit <= {EDIT_TARGET_S} s: {verdict(edit_s, EDIT_TARGET_S, unit=' s', load=load)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Time the eblog pipeline on a generated corpus.")
    parser.add_argument("--count", type=int, default=1000, help="articles in the corpus")
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario; the median is reported")
    parser.add_argument("--vs-hugo", action="store_true", help="also time Debian's hugo on the same corpus")
    parser.add_argument(
        "--compare",
        type=Path,
        metavar="CHECKOUT",
        help="also time another checkout's tools (e.g. `git archive main cmd | tar -x -C /tmp/before`), taking turns",
    )
    parser.add_argument(
        "--growth", action="store_true", help="also build 10x --count articles cold once: time ratio and peak memory"
    )
    args = parser.parse_args()
    if args.count < 8 or args.runs < 1:
        parser.error("--count must be at least 8 and --runs at least 1")
    checkouts = {"this": REPO, **({"compare": args.compare.resolve()} if args.compare else {})}

    with tempfile.TemporaryDirectory(prefix="eblog-bench-") as tmp:
        root = Path(tmp)
        articles = root / "articles"
        write_corpus(articles, args.count)
        timings = time_checkouts(root, articles, checkouts, args.runs)
        base_s = statistics.median(bare_libraries(articles) for _ in range(args.runs))
        floor_s = statistics.median(interpreter_floor() for _ in range(args.runs))
        zip_size = (root / "this-out-0.zip").stat().st_size
        report(args.count, args.runs, timings, base_s, floor_s)
        print(f"assets.zip: {zip_size / 1e6:.1f} MB")
        if args.growth:
            growth(root, args.count, checkouts, {name: statistics.median(t.cold) for name, t in timings.items()})
        if args.vs_hugo:
            vs_hugo(root, articles, args.runs)


if __name__ == "__main__":
    main()
