"""Time from saving an article to the new text being served: eblog's preview beside `hugo server`.

    .venv/bin/python bench/preview.py [--edits 50] [--count 1000] [--pace 1.0] [--rss-edits 500]

For each site (the repo's articles/, then a generated corpus of --count articles, written by
bench/corpus.py), the same articles are given to Debian's ``hugo server`` as a Hugo site
(bench/pipeline.py's writer), and both servers take --edits saves of one article, one every
--pace seconds, in the same run: each save appends a new sentence, and the page is polled
(127.0.0.1, one keep-alive connection) until it carries it.  Prints p50 and p95 of each, the
ratio of the medians, and the preview's own line for each build: the one-page build, and
the whole-site build that brings lists and feeds up to date once the writer pauses.

Then the preview's memory: its RSS after 10 saves and after --rss-edits saves to the sample
site (saves as fast as the preview serves them).  Targets: p50 <= 100 ms on the sample site;
p50 <= 0.5x hugo server's on the generated one; RSS growth within 10%.
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

if not __package__:  # run as `python bench/preview.py`: import the packages as `python -m` does
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.corpus import write_corpus
from bench.pipeline import write_hugo_site
from bench.verdict import verdict
from testing.ports import free_port

REPO = Path(__file__).resolve().parent.parent

BUILD_TIME = re.compile(r"^preview: rebuilt (.+) in (\d+) ms")


class Server:
    """A server process (the preview or hugo server) on a free port, stopped by its PID."""

    def __init__(self, command: list[str], port: int, ready_path: str, log: Path):
        self.port, self.log = port, log
        with log.open("w") as out:
            self.process = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        deadline = time.monotonic() + 300
        while not self.answers(ready_path):
            if self.process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"preview.py: {command[0]} did not start:\n{log.read_text()}")
            time.sleep(0.1)

    def answers(self, path: str) -> bool:
        try:
            return self.client.get(path).status_code == 200
        except httpx.TransportError:
            return False

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        self.client.close()
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_preview(articles: Path, log: Path) -> Server:
    port = free_port()
    return Server([sys.executable, "-m", "cmd.preview", str(articles), "--port", str(port)], port, "/", log)


def start_hugo(site: Path, log: Path) -> Server:
    port = free_port()
    command = ["hugo", "server", "-s", str(site), "--port", str(port), "--bind", "127.0.0.1", "--appendPort=true"]
    return Server(command, port, "/", log)


def edit_times(server: Server, article: Path, path: str, edits: int, pace: float, tag: str) -> list[float]:
    """Seconds from each save to the first answer that carries it."""
    base = article.read_text(encoding="utf-8")
    times = []
    for number in range(edits):
        marker = f"Saved {tag} {number} {time.monotonic_ns()}"
        started = time.perf_counter()
        article.write_text(f"{base}\n{marker}.\n", encoding="utf-8")
        while marker not in server.client.get(path).text:
            time.sleep(0.001)
        times.append(time.perf_counter() - started)
        time.sleep(pace)
    article.write_text(base, encoding="utf-8")
    return times


def p(values: list[float], percent: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1] if len(values) > 1 else values[0]


def build_times(log: Path) -> dict[str, list[float]]:
    """The preview's own build lines: one-page builds and whole-site builds, in ms."""
    found: dict[str, list[float]] = {"page": [], "site": []}
    for line in log.read_text().splitlines()[1:]:  # the first is the start-up build
        match = BUILD_TIME.match(line)
        if match:
            found["site" if match.group(1) == "the site" else "page"].append(float(match.group(2)))
    return found


def compare(name: str, articles: Path, article: str, work: Path, edits: int, pace: float) -> tuple[float, float]:
    """Both servers on the same content, the preview first; returns our p50 (s) and p50 ours / p50 hugo's."""
    hugo_site = work / f"{name}-hugo"
    write_hugo_site(articles, hugo_site)
    stem = article.removesuffix(".md")
    log = work / f"{name}-preview.log"
    preview = start_preview(articles, log)
    try:
        ours = edit_times(preview, articles / article, f"/{stem}", edits, pace, "eblog")
    finally:
        preview.stop()
    hugo = start_hugo(hugo_site, work / f"{name}-hugo.log")
    try:
        theirs = edit_times(hugo, hugo_site / "content" / "posts" / article, f"/posts/{stem}/", edits, pace, "hugo")
    finally:
        hugo.stop()
    builds = build_times(log)
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(f"\n{name}: {len(list(articles.glob('*.md')))} articles, {edits} saves of {article}, one every {pace} s")
    for label, times in (("eblog preview", ours), ("hugo server", theirs)):
        print(f"  {label:<14} p50 {statistics.median(times) * 1000:6.1f} ms   p95 {p(times, 95) * 1000:6.1f} ms")
    print(f"  ratio of p50s (eblog / hugo): {ratio:.2f}")
    if builds["page"] and builds["site"]:
        print(
            f"  preview's builds: one page p50 {statistics.median(builds['page']):.0f} ms; "
            f"lists and feeds caught up (whole-site build) p50 {statistics.median(builds['site']):.0f} ms"
        )
    return statistics.median(ours), ratio


def memory(articles: Path, work: Path, total: int) -> tuple[int, int]:
    """The preview's RSS (KiB) after 10 saves and after ``total``."""
    preview = start_preview(articles, work / "rss-preview.log")
    try:
        edit_times(preview, articles / "introduction.md", "/introduction", 10, 0.0, "rss")
        time.sleep(1)
        early = preview.rss_kib()
        edit_times(preview, articles / "introduction.md", "/introduction", total - 10, 0.0, "rss")
        time.sleep(1)
        return early, preview.rss_kib()
    finally:
        preview.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Time the live preview against hugo server.")
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--count", type=int, default=1000, help="articles in the generated site")
    parser.add_argument("--pace", type=float, default=1.0, help="seconds between saves")
    parser.add_argument("--rss-edits", type=int, default=500)
    args = parser.parse_args()
    if shutil.which("hugo") is None:
        sys.exit("preview.py: needs Debian's hugo (apt-get install hugo)")
    version = subprocess.run(["hugo", "version"], capture_output=True, text=True).stdout.split()[1]
    print(f"eblog preview vs hugo server {version}; load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="eblog-bench-preview-") as tmp:
        work = Path(tmp)
        sample = work / "sample"
        shutil.copytree(REPO / "articles", sample)
        small, small_ratio = compare("sample site", sample, "introduction.md", work, args.edits, args.pace)
        generated = work / "generated"
        write_corpus(generated, args.count)
        _, large = compare("generated site", generated, "article-0007.md", work, args.edits, args.pace)
        rss_sample = work / "rss"
        shutil.copytree(REPO / "articles", rss_sample)
        early, late = memory(rss_sample, work, args.rss_edits)
    growth = (late - early) / early
    print(f"\nRSS after 10 saves {early / 1024:.1f} MiB, after {args.rss_edits} {late / 1024:.1f} MiB: {growth:+.1%}")
    print(f"load average now {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs")
    print(
        "targets: "
        f"ratio on {args.count} articles <= 0.50: {verdict(large, 0.5)}; "
        f"RSS growth <= 10%: {verdict(growth * 100, 10, unit=' %')}; "
        f"sample-site p50 <= 100 ms: {verdict(small * 1000, 100, unit=' ms')} ({small_ratio:.2f}x hugo's)"
    )


if __name__ == "__main__":
    main()
