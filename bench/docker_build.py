"""Build every step of the article's progression in each scenario, and time it: the article's table.

    .venv/bin/python bench/docker_build.py [--runs 3] [--quick] [--steps 1,4] [--scenarios cold,article]
                                           [--ref HEAD] [--publish]

The steps are docker/steps/ (1-naive, 2-ordered, 3-multistage), the project's Dockerfile
(4-cache-mounts, target `run`) and, when the Dockerfile has it, its `minimal` target (5-minimal).
The scenarios, in this order, each but the first starting from the step's previous build:

  cold       the build cache pruned (`docker builder prune --all`: layers and cache mounts), the
             base images present (they are made before anything is timed, and never counted);
  unchanged  the same build again;
  article    one article edited (a paragraph appended);
  server     one server module edited (a comment appended);
  lock       a dependency changed in uv.lock: idna (a `serve` package, through anyio, so the change
             reaches every image) moved to its previous release, and back on the next run.

Each figure is the median wall time of --runs builds (default 3; --quick: 1). Every edit is new (a
unique text), so no build finds it in the cache; the lock edit also gets a unique comment line, for
it toggles between two versions (uv's cache mount may then already hold the other release's wheel,
as on a developer's machine; it is a 70 kB download either way). Everything happens in temporary
copies of the repository (the working tree's files git knows, or --ref's tree, plus .git's HEAD at
their commit), never in the real tree. The engine and base images come from scripts/docker-env and
scripts/base-image, as in the Docker test (air-gapped: look-alike base images).

The cold scenario prunes the engine's whole build cache, other users' included: before each prune
the benchmark waits until, for 10 s, no other docker client has run and no container has been up.
A timed build that overlapped another `docker build` is marked "contended" (a * in the table).
Only images this run built are removed at the end (and temporary files; also on Ctrl-C or kill).

Output: the table (step, scenario, time, % of max, size, % of max), the targets, and
bench/results/docker_build.{json,svg,md}, with the last BuildKit log of each cell in
bench/results/docker_build-logs/; --publish also writes bench/docker_build-latest.{json,svg,md}.
`python bench/docker_report.py FILE.json` redraws the table and chart from saved figures.
Targets (2 cores): after an article edit, the optimized build (4) at least 20x faster than the
naive one (1); the slim image (4) at least 5x smaller than the naive one, the minimal one (5) 25x.
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
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from docker_report import markdown_table, svg_chart, targets, text_table  # noqa: E402

RESULTS = REPO / "bench" / "results"
LOGS = RESULTS / "docker_build-logs"  # the last run's BuildKit log of each step and scenario
SCENARIOS = ("cold", "unchanged", "article", "server", "lock")
LOCK_PACKAGE = "idna"
FOREIGN_WAIT = 3600  # seconds to wait for another user's Docker work to end before pruning the cache
QUIET = 10  # seconds without it before a prune
RUN_ID = uuid.uuid4().hex[:8]  # in this run's image tags: eblog-bench-RUN_ID:STEP
STEP_END = re.compile(r"^#\d+ (CACHED|DONE \d)", re.M)


@dataclass(frozen=True)
class Step:
    """One build of the progression: a Dockerfile, its target, and the base image it needs."""

    name: str
    dockerfile: str
    target: str | None
    base: str  # scripts/base-image variant: "full" or "slim"


STEPS = (
    Step("1-naive", "docker/steps/1-naive.Dockerfile", None, "full"),
    Step("2-ordered", "docker/steps/2-ordered.Dockerfile", None, "full"),
    Step("3-multistage", "docker/steps/3-multistage.Dockerfile", "run", "slim"),
    Step("4-cache-mounts", "Dockerfile", "run", "slim"),
    Step("5-minimal", "Dockerfile", "minimal", "slim"),
)


def available_steps(root: Path) -> list[Step]:
    """The steps this tree can build: 5-minimal only once the Dockerfile has a `minimal` stage."""
    stages = re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", (root / "Dockerfile").read_text(), re.M | re.I)
    return [s for s in STEPS if s.target is None or s.dockerfile != "Dockerfile" or s.target in stages]


@dataclass(frozen=True)
class Build:
    seconds: float
    image: str
    log: str  # BuildKit's --progress=plain output
    contended: bool  # another `docker build` ran at some point during this one


@dataclass(frozen=True)
class Result:
    step: str
    scenario: str
    seconds: float  # median of the runs
    runs: list[float]
    size: int  # bytes, `docker image inspect` Size of the last run's image
    cached_steps: int  # of the last run, as BuildKit reported them
    total_steps: int
    contended: bool  # another `docker build` ran during at least one of the runs


class Engine:
    """The Docker engine of scripts/docker-env, and the images this run created in it."""

    def __init__(self) -> None:
        found = run_script("docker-env", "start")
        settings = dict(line.split("=", 1) for line in found.stdout.splitlines() if "=" in line)
        self.client = settings["EBLOG_DOCKER"]
        self.started_pid = settings.get("EBLOG_DOCKERD_PID", "")
        self.env = {**os.environ, **{k: v for k, v in settings.items() if k != "EBLOG_DOCKER"}}
        self.tags: list[str] = []
        self.image_ids: set[str] = set()

    def __call__(self, *args: str, timeout: float = 1800) -> str:
        result = subprocess.run(
            [self.client, *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0:
            raise SystemExit(
                f"docker_build: docker {' '.join(args[:3])} failed:\n{(result.stdout + result.stderr)[-3000:]}"
            )
        return result.stdout

    def build(self, step: Step, context: Path, tag: str) -> Build:
        """One build of step in context, timed, watching for other builds on the machine meanwhile."""
        iidfile, logfile = context.parent / "iid", context.parent / "build.log"
        command = [
            self.client,
            "build",
            "--network",
            "host",
            "--progress",
            "plain",
            "--file",
            str(context / step.dockerfile),
            "--iidfile",
            str(iidfile),
            "--tag",
            tag,
        ]
        if step.target:
            command += ["--target", step.target]
        seen: list[int] = []
        done = threading.Event()
        with logfile.open("w") as log:
            started = time.monotonic()
            process = subprocess.Popen([*command, str(context)], env=self.env, stdout=log, stderr=subprocess.STDOUT)

            def watch() -> None:
                while not done.wait(0.2):
                    seen.extend(foreign_builds(process.pid))

            # Watched from a thread, so that the build's end is timed by a blocking wait, not a poll.
            watcher = threading.Thread(target=watch)
            watcher.start()
            process.wait()
            seconds = time.monotonic() - started
            done.set()
            watcher.join()
        if process.returncode != 0:
            raise SystemExit(f"docker_build: building {step.name} failed:\n{logfile.read_text()[-3000:]}")
        image = iidfile.read_text().strip()
        self.tags.append(tag)
        self.image_ids.add(image)
        return Build(seconds, image, logfile.read_text(), bool(seen))

    def size(self, image: str) -> int:
        return int(self("image", "inspect", "--format", "{{.Size}}", image))

    def prune_build_cache(self) -> None:
        wait_until_quiet(self)
        self("builder", "prune", "--all", "--force")

    def cleanup(self) -> None:
        """Our tags, then our image ids: an id another tag still names is kept (no --force)."""
        for name in sorted(set(self.tags)) + sorted(self.image_ids):
            subprocess.run([self.client, "rmi", name], env=self.env, capture_output=True, check=False)
        if self.started_pid and os.environ.get("EBLOG_DOCKER_KEEP") != "1":
            run_script("docker-env", "stop", self.started_pid)


def run_script(name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(REPO / "scripts" / name), *args], env=env, capture_output=True, text=True, timeout=3600, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"docker_build: scripts/{name} {' '.join(args)} failed: {result.stderr.strip()[-2000:]}")
    return result


def foreign_builds(ours: int = 0) -> list[int]:
    """PIDs of `docker build` (or `docker buildx build`) clients running now, but for ours."""
    return [pid for pid, argv in docker_clients() if pid != ours and "build" in argv[1:3]]


def docker_clients() -> list[tuple[int, list[str]]]:
    """Every docker client process running now, with its arguments."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            argv = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if Path(argv[0]).name == "docker":
            found.append((int(proc.name), argv))
    return found


def wait_until_quiet(engine: "Engine") -> None:
    """Until, for QUIET seconds, no other docker client ran and no container was up.

    Another user's test session builds, runs a container, then builds again: a prune in one of
    its gaps would turn its next build cold (and fail a test that expects a cached layer).
    """
    deadline, quiet_since, said = time.monotonic() + FOREIGN_WAIT, time.monotonic(), False
    while time.monotonic() - quiet_since < QUIET:
        busy = [pid for pid, _ in docker_clients()] + engine("ps", "--quiet").split()
        if busy:
            quiet_since = time.monotonic()
            if not said:
                print(f"  waiting for other Docker work to end before pruning the build cache: {busy}", file=sys.stderr)
                said = True
        if time.monotonic() > deadline:
            raise SystemExit(f"docker_build: the engine was still busy after {FOREIGN_WAIT} s: {busy}")
        time.sleep(1)


def copy_tree(dest: Path, ref: str | None) -> Path:
    """The files git knows (the working tree's, or ref's tree), and a .git holding only HEAD,
    detached at the commit they are (what the Dockerfile's commit stage reads)."""
    dest.mkdir(parents=True)
    if ref:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", ref], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    else:
        listed = subprocess.run(
            ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for name in filter(None, listed.split("\0")):
            source = REPO / name
            if source.is_file():
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest / name, follow_symlinks=False)
    (dest / ".git").mkdir()
    (dest / ".git" / "HEAD").write_text(git("rev-parse", "--verify", f"{ref or 'HEAD'}^{{commit}}") + "\n")
    return dest


def other_lock(tree: Path, scratch: Path) -> str:
    """uv.lock with LOCK_PACKAGE at its previous release, resolved by uv (pinned, from .tools/)."""
    current = re.search(rf'name = "{LOCK_PACKAGE}"\nversion = "([^"]+)"', (tree / "uv.lock").read_text())[1]
    major, minor = current.split(".")[:2]
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


def measure(engine: Engine, step: Step, tree: Path, scenario: str, runs: int, edits: Edits) -> Result:
    builds = []
    for _ in range(runs):
        if scenario == "cold":
            engine.prune_build_cache()
        edits.apply(scenario)
        builds.append(engine.build(step, tree, f"eblog-bench-{RUN_ID}:{step.name}"))
    LOGS.mkdir(parents=True, exist_ok=True)
    (LOGS / f"{step.name}-{scenario}.log").write_text(builds[-1].log)
    times = [b.seconds for b in builds]
    ends = STEP_END.findall(builds[-1].log)
    result = Result(
        step.name,
        scenario,
        statistics.median(times),
        times,
        engine.size(builds[-1].image),
        ends.count("CACHED"),
        len(ends),
        any(b.contended for b in builds),
    )
    print(
        f"  {step.name:<15}{scenario:<10}{result.seconds:8.2f} s  {result.size / 1e6:7.1f} MB  "
        f"runs {' '.join(f'{t:.2f}' for t in times)}{'  (contended)' if result.contended else ''}",
        file=sys.stderr,
    )
    return result


def machine(engine: Engine) -> dict[str, object]:
    os_name = next(
        (
            line.split("=", 1)[1].strip('"')
            for line in Path("/etc/os-release").read_text().splitlines()
            if line.startswith("PRETTY_NAME=")
        ),
        platform.system(),
    )
    bases = {}
    for variant, tag in (("slim", "python:3.13-slim-trixie"), ("full", "python:3.13-trixie")):
        labels = json.loads(engine("image", "inspect", "--format", "{{json .Config.Labels}}", tag)) or {}
        bases[variant] = {"tag": tag, "size": engine.size(tag), "lookalike": "org.eblog.lookalike" in labels}
    return {
        "cores": os.cpu_count(),
        "os": os_name,
        "kernel": platform.release(),
        "docker": engine("version", "--format", "{{.Server.Version}}").strip(),
        "bases": bases,
    }


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True).stdout.strip()


def source(ref: str | None) -> tuple[str, str | None]:
    """What is built, said once before the copy: ref's commit (and that commit, to copy), or the working tree."""
    if ref:
        commit = git("rev-parse", "--verify", f"{ref}^{{commit}}")
        return f"{ref} = {commit[:7]}", commit
    changed = " with changes" if git("status", "--porcelain") else ""
    return f"working tree at {git('rev-parse', '--short', 'HEAD')}{changed}", None


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time the Docker build of each step of the progression.")
    parser.add_argument("--runs", type=int, default=3, help="builds per step and scenario; the median is reported")
    parser.add_argument("--quick", action="store_true", help="one run each (a first look, not a figure to publish)")
    parser.add_argument("--steps", help="comma-separated step numbers or names (default: all available)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"comma-separated, of {','.join(SCENARIOS)}")
    parser.add_argument("--ref", help="build this git ref's tree instead of the working tree's files")
    parser.add_argument("--publish", action="store_true", help="also write bench/docker_build-latest.{json,svg,md}")
    args = parser.parse_args()
    args.runs = 1 if args.quick else args.runs
    args.scenarios = [s for s in SCENARIOS if s in args.scenarios.split(",")]
    if args.runs < 1 or not args.scenarios:
        parser.error("--runs must be at least 1 and --scenarios name at least one of " + ",".join(SCENARIOS))
    return args


def wanted(step: Step, selection: str | None) -> bool:
    return selection is None or any(step.name == s or step.name.split("-")[0] == s for s in selection.split(","))


def main() -> None:
    args = parse_args()
    # A plain `kill` ends the run through the finally blocks below: our images go, the temp copies too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    engine = Engine()
    started = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="eblog-docker-build-") as tmp:
        try:
            for variant in ("slim", "full"):
                run_script("base-image", variant, env=engine.env)  # made before any timing, never counted
            built, commit = source(args.ref)
            pristine = copy_tree(Path(tmp) / "pristine", commit)
            steps = [s for s in available_steps(pristine) if wanted(s, args.steps)]
            lock_variant = other_lock(pristine, Path(tmp) / "lock") if "lock" in args.scenarios else ""
            print(
                f"docker_build: steps {', '.join(s.name for s in steps)}; scenarios {', '.join(args.scenarios)}; "
                f"median of {args.runs} run(s)",
                file=sys.stderr,
            )
            results = []
            for step in steps:
                tree = shutil.copytree(pristine, Path(tmp) / step.name / "eblog", symlinks=True)
                edits = Edits(tree, lock_variant)
                if args.scenarios[0] != "cold":
                    engine.build(step, tree, f"eblog-bench-{RUN_ID}:{step.name}")  # the warm starting point
                results += [measure(engine, step, tree, scenario, args.runs, edits) for scenario in args.scenarios]
            report = {
                "date": started.strftime("%Y-%m-%d %H:%M UTC"),
                "machine": machine(engine),
                "runs": args.runs,
                "command": " ".join(["bench/docker_build.py", *sys.argv[1:]]),
                "source": built,
                "steps": [asdict(s) for s in steps],
                "results": [asdict(r) for r in results],
            }
        finally:
            engine.cleanup()
    report["targets"] = targets(report)
    write_outputs(report, args.publish)
    print(text_table(report))


def write_outputs(report: dict, publish: bool) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    outputs = {"json": json.dumps(report, indent=2) + "\n", "svg": svg_chart(report), "md": markdown_table(report)}
    for ext, text in outputs.items():
        for path in [RESULTS / f"docker_build.{ext}"] + (
            [REPO / "bench" / f"docker_build-latest.{ext}"] if publish else []
        ):
            partial = path.with_suffix(path.suffix + ".tmp")
            partial.write_text(text)
            partial.replace(path)
            print(f"docker_build: wrote {path.relative_to(REPO)}", file=sys.stderr)


if __name__ == "__main__":
    main()
