"""Build every step of the article's progression in each scenario, and time it: the article's table.

    python bench/docker_build.py [--repeat 3] [--quick] [--steps 1,4] [--scenarios cold,article]
                                 [--ref HEAD] [--publish] [--team 10 --builds-per-day 10 --rate 85]

(`python -m bench.docker_build` is the same.) The steps are docker/steps/ (1-naive, 2-ordered,
3-multistage), the project's Dockerfile (4-cache-mounts) and its minimal variant (5-minimal,
`--build-arg VARIANT=minimal`). The scenarios, in this order, each but the first starting from
the step's previous build:

  cold       the build cache pruned (`docker builder prune --all`: layers and cache mounts), the
             base images present (they are made before anything is timed, and never counted);
  unchanged  the same build again;
  article    one article edited (a paragraph appended);
  server     one server module edited (a comment appended);
  lock       a dependency changed in uv.lock: idna (a `serve` package, through anyio, so the change
             reaches every image) moved to its previous release, and back on the next run.

Each figure is the median wall time of --repeat builds (default 3; --quick: 1). Every edit is new
(a unique text), so no build finds it in the cache; the lock edit also gets a unique comment line,
for it toggles between two versions. Everything happens in temporary copies of the repository
(workshop/source.py), never in the real tree. The engine and base images come from
scripts/docker-env and scripts/base-image, as in the Docker tests (air-gapped: look-alike bases).

The load average is recorded at the start and the end of the run and after each figure's builds:
each target is printed as a ratio with the load and the CPU count beside it, and a missed target
says by how much. The cost of waiting applies the article's arithmetic to the times measured:
--team developers x --builds-per-day x seconds saved a build / 3,600 x 240 working days x --rate.

The cold scenario prunes the engine's whole build cache, other users' included: before each prune
the benchmark waits until, for 10 s, no other docker client has run and no container has been up.
A timed build that overlapped another `docker build` is marked "contended" (a * in the table).
Only images this run built are removed at the end (and temporary files; also on Ctrl-C or kill).

Output: the table, the targets and the cost table; bench/results/docker_build.{json,md,svg}, with
the last BuildKit log of each cell in bench/results/docker_build-logs/. --publish also writes
bench/docker_build-latest.{json,md}, the chart articles/static/docker-build-benchmark.svg, and the
generated blocks of the docs (bench/docker_docs.py). `python bench/docker_report.py FILE.json`
prints the table again from saved figures. Targets (2 cores), the optimized build (4) against the
naive one (1): at least 50x faster after an article edit, 4x after a server edit (a quarter of the
time), 3x after a lock change; the slim image (4) at least 5x smaller, the minimal one (5) 25x
and at most 24 MB.
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if not __package__:  # run as `python bench/docker_build.py`: import the packages as `python -m` does
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.docker_chart import svg_chart
from bench.docker_docs import CHART, update
from bench.docker_report import (
    Report,
    cost_of_waiting,
    markdown_table,
    parse_cost_args,
    targets,
    text_table,
)
from workshop.engine import REPO, Build, DockerError, Engine, docker_clients, docker_env, run_script
from workshop.source import copy_tree, describe
from workshop.steps import BASE_IMAGES, STEPS, Step

RESULTS = REPO / "bench" / "results"
LOGS = RESULTS / "docker_build-logs"  # the last run's BuildKit log of each step and scenario
SCENARIOS = ("cold", "unchanged", "article", "server", "lock")
LOCK_PACKAGE = "idna"
FOREIGN_WAIT = 3600  # seconds to wait for another user's Docker work to end before pruning the cache
QUIET = 10  # seconds without it before a prune
RUN_ID = uuid.uuid4().hex[:8]  # in this run's image tags: eblog-bench-RUN_ID:STEP


def wait_until_quiet(engine: Engine) -> None:
    """Until, for QUIET seconds, no other docker client ran and no container was up.

    Another user's test session builds, runs a container, then builds again: a prune in one of
    its gaps would turn its next build cold (and fail a test that expects a cached layer).
    """
    deadline, quiet_since, said = time.monotonic() + FOREIGN_WAIT, time.monotonic(), False
    while time.monotonic() - quiet_since < QUIET:
        busy = [str(pid) for pid, _ in docker_clients()] + engine("ps", "--quiet").stdout.split()
        if busy:
            quiet_since = time.monotonic()
            if not said:
                print(f"  waiting for other Docker work to end before pruning the build cache: {busy}", file=sys.stderr)
                said = True
        if time.monotonic() > deadline:
            raise DockerError(f"the engine was still busy after {FOREIGN_WAIT} s: {busy}")
        time.sleep(1)


def other_lock(tree: Path, scratch: Path) -> str:
    """uv.lock with LOCK_PACKAGE at its previous release, resolved by uv (pinned, from .tools/)."""
    found = re.search(rf'name = "{LOCK_PACKAGE}"\nversion = "([^"]+)"', (tree / "uv.lock").read_text())
    if not found:
        raise DockerError(f"uv.lock has no {LOCK_PACKAGE}: pick another LOCK_PACKAGE")
    major, minor = found[1].split(".")[:2]
    scratch.mkdir()
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy2(tree / name, scratch / name)
    uv = REPO / ".tools" / "bin" / "uv"
    if not uv.is_file():
        subprocess.run([str(REPO / "scripts" / "bootstrap")], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        [str(uv), "lock", "--quiet", "--upgrade-package", f"{LOCK_PACKAGE}=={major}.{int(minor) - 1}"],
        cwd=scratch,
        env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
        check=True,
    )
    return (scratch / "uv.lock").read_text()


class Edits:
    """The edits of the warm scenarios, each one new, applied to a step's tree."""

    def __init__(self, tree: Path, lock_variant: str) -> None:
        self.tree = tree
        self.locks = [(tree / "uv.lock").read_text(), lock_variant]
        self.article = next(
            p
            for p in sorted((tree / "articles").glob("*.md"))
            if not re.search(r"^draft\s*[:=]\s*true", p.read_text(), re.M | re.I)
        )
        self.lock_edits = 0

    def apply(self, scenario: str) -> None:
        mark = f"docker_build {uuid.uuid4().hex[:12]}"
        if scenario == "article":
            append(self.article, f"\nEdited by the build benchmark ({mark}).\n")
        elif scenario == "server":
            append(self.tree / "server" / "__main__.py", f"\n# Edited by the build benchmark ({mark}).\n")
        elif scenario == "lock":
            self.lock_edits += 1
            (self.tree / "uv.lock").write_text(f"# {mark}\n" + self.locks[self.lock_edits % 2])


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def build_step(engine: Engine, step: Step, tree: Path) -> Build:
    return engine.build(
        tree, f"eblog-bench-{RUN_ID}:{step.name}", dockerfile=step.dockerfile, build_args=dict(step.build_args)
    )


def measure(engine: Engine, step: Step, tree: Path, scenario: str, repeat: int, edits: Edits) -> dict[str, Any]:
    builds = []
    for _ in range(repeat):
        if scenario == "cold":
            wait_until_quiet(engine)
            engine("builder", "prune", "--all", "--force")
        edits.apply(scenario)
        builds.append(build_step(engine, step, tree))
    LOGS.mkdir(parents=True, exist_ok=True)
    (LOGS / f"{step.name}-{scenario}.log").write_text(builds[-1].log.text)
    times = [b.seconds for b in builds]
    steps = builds[-1].log.steps
    result: dict[str, Any] = {
        "step": step.name,
        "scenario": scenario,
        "seconds": statistics.median(times),
        "runs": times,
        "size": engine.size(builds[-1].image),
        "cached_steps": sum(s.cached for s in steps),
        "total_steps": len(steps),
        "contended": any(b.contended for b in builds),
        "load1": os.getloadavg()[0],
    }
    print(
        f"  {step.name:<15}{scenario:<10}{statistics.median(times):8.2f} s  {result['size'] / 1e6:7.1f} MB  "
        f"runs {' '.join(f'{t:.2f}' for t in times)}  load {result['load1']:.2f}"
        f"{'  (contended)' if result['contended'] else ''}",
        file=sys.stderr,
    )
    return result


def machine(engine: Engine) -> dict[str, Any]:
    os_name = next(
        (
            line.split("=", 1)[1].strip('"')
            for line in Path("/etc/os-release").read_text().splitlines()
            if line.startswith("PRETTY_NAME=")
        ),
        platform.system(),
    )
    bases = {}
    for variant, tag in BASE_IMAGES.items():
        labels = json.loads(engine("image", "inspect", "--format", "{{json .Config.Labels}}", tag).stdout) or {}
        bases[variant] = {"tag": tag, "size": engine.size(tag), "lookalike": "org.eblog.lookalike" in labels}
    return {
        "cores": os.cpu_count(),
        "os": os_name,
        "kernel": platform.release(),
        "docker": engine("version", "--format", "{{.Server.Version}}").stdout.strip(),
        "bases": bases,
    }


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time the Docker build of each step of the progression.")
    parser.add_argument(
        "--repeat", "--runs", type=int, default=3, help="builds per step and scenario; the median is reported"
    )
    parser.add_argument("--quick", action="store_true", help="one build each (a first look, not a figure to publish)")
    parser.add_argument("--steps", help="comma-separated step numbers or names (default: all)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"comma-separated, of {','.join(SCENARIOS)}")
    parser.add_argument("--ref", help="build this git ref's tree instead of the working tree's files")
    parser.add_argument(
        "--publish", action="store_true", help="also write bench/docker_build-latest.*, the chart and the docs' figures"
    )
    parse_cost_args(parser)
    args = parser.parse_args(argv)
    args.repeat = 1 if args.quick else args.repeat
    args.scenarios = [s for s in SCENARIOS if s in args.scenarios.split(",")]
    if args.repeat < 1 or not args.scenarios:
        parser.error("--repeat must be at least 1 and --scenarios name at least one of " + ",".join(SCENARIOS))
    if args.team < 1 or args.builds_per_day < 1 or args.rate < 0:
        parser.error("--team and --builds-per-day must be at least 1, --rate at least 0")
    return args


def wanted(step: Step, selection: str | None) -> bool:
    return selection is None or any(s in (step.name, str(step.number)) for s in selection.split(","))


def measure_all(engine: Engine, args: argparse.Namespace, scratch: Path) -> Report:
    """The base images, a pristine copy, then every step in every scenario."""
    for variant in ("slim", "full"):
        run_script("base-image", variant, env=engine.env)  # made before any timing, never counted
    built, commit = describe(args.ref)
    pristine = copy_tree(scratch / "pristine", commit if args.ref else None)
    steps = [s for s in STEPS if wanted(s, args.steps)]
    lock_variant = other_lock(pristine, scratch / "lock") if "lock" in args.scenarios else ""
    print(
        f"docker_build: steps {', '.join(s.name for s in steps)}; scenarios {', '.join(args.scenarios)}; "
        f"median of {args.repeat} build(s); {built}",
        file=sys.stderr,
    )
    results = []
    for step in steps:
        tree = shutil.copytree(pristine, scratch / step.name / "eblog", symlinks=True)
        edits = Edits(tree, lock_variant)
        if args.scenarios[0] != "cold":
            build_step(engine, step, tree)  # the warm starting point
        results += [measure(engine, step, tree, scenario, args.repeat, edits) for scenario in args.scenarios]
    return {
        "machine": machine(engine),
        "runs": args.repeat,
        "source": built,
        "steps": [asdict(s) for s in steps],
        "results": results,
    }


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # A plain `kill` ends the run through the finally blocks below: our images go, the temp copies too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started, load_start = time.monotonic(), list(os.getloadavg())
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        engine = Engine(docker_env("start"))
        with tempfile.TemporaryDirectory(prefix="eblog-docker-build-") as scratch:
            try:
                measured = measure_all(engine, args, Path(scratch))
            finally:
                engine.cleanup()
                engine.stop_started_engine()
    except DockerError as error:
        print(f"docker_build: {error}", file=sys.stderr)
        return 1
    report: Report = {
        "date": date,
        "command": " ".join(["python bench/docker_build.py", *argv]),
        **measured,
        "load": {"start": load_start, "end": list(os.getloadavg())},
        "duration_seconds": time.monotonic() - started,
    }
    report["targets"] = targets(report)
    report["cost"] = cost_of_waiting(report, args.team, args.builds_per_day, args.rate)
    write_outputs(report, args.publish)
    print(text_table(report))
    return 0


def write_outputs(report: Report, publish: bool) -> None:
    outputs = {"json": json.dumps(report, indent=2) + "\n", "svg": svg_chart(report), "md": markdown_table(report)}
    destinations = {ext: [RESULTS / f"docker_build.{ext}"] for ext in outputs}
    if publish:
        destinations["json"].append(REPO / "bench" / "docker_build-latest.json")
        destinations["md"].append(REPO / "bench" / "docker_build-latest.md")
        destinations["svg"].append(REPO / CHART)
    for ext, text in outputs.items():
        for path in destinations[ext]:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(path.suffix + ".tmp")
            partial.write_text(text)
            partial.replace(path)
            print(f"docker_build: wrote {path.relative_to(REPO)}", file=sys.stderr)
    if publish:
        for doc in update(report):
            print(f"docker_build: rewrote the figures in {doc}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
