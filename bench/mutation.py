"""Mutation testing of server/ and cmd/: how many deliberate bugs the tests catch.

    nice -n 19 .venv/bin/python bench/mutation.py [MODULE ...] [--max-children N] [--report-only]
    nice -n 19 .venv/bin/python bench/mutation.py --sample N [--seed S] [--recheck] [MODULE ...]

MODULE is a file or package, as a path or a dotted name (``server/site.py``, ``server.site``,
``cmd.rendermd``); with none, every module of server/ and cmd/.  mutmut 3 (the ``mutation``
dependency group, installed here with ``uv sync --inexact`` so the usual environment stays) copies
the code to mutants/, changes one thing inside one function at a time (a constant, an operator, a
call's argument) and runs the tests that reached that function when the clean suite ran.  Settings
are in pyproject.toml under [tool.mutmut]: the tests are tests/tools, tests/server and tests/preview
with ``-m "not docker and not slow and not browser and not articles"``, the fast selection.

Printed: per module, the mutants killed, survived and reached by no test, and the score
killed / (killed + survived + no tests); then every survivor, with those that
bench/mutation-survivors.md lists as equivalent (same behaviour, so no test can tell) marked, and
a second score with them counted out; then the wall time and the load beside it.  Results stay in
mutants/ between runs: ``--report-only`` prints them again, and ``.venv/bin/mutmut show NAME``
shows one mutant's diff.

``--sample N`` runs N mutants drawn at random (``--seed``, so a draw can be repeated) from all
those of server/ and cmd/ (or of the MODULEs), for a measured estimate where running them all
would take a day: the share killed per package and in all, with its 95 % interval, and the
share no test reaches, apart (bench/mutation_sample.py).  ``--report-only`` with the same
``--sample`` and ``--seed`` prints that draw's results again.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

if not __package__:  # run as `python bench/mutation.py`: import the packages as `python -m` does
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.mutation_sample import draw, package_of, share

REPO = Path(__file__).resolve().parent.parent
MUTANTS = REPO / "mutants"
SURVIVORS_FILE = REPO / "bench" / "mutation-survivors.md"
LOG = MUTANTS / "bench-mutation.log"
RECHECKED = MUTANTS / "bench-rechecked.json"  # survivor -> the test that failed when run again, or ""
FAST = "not docker and not slow and not browser and not articles"
PACKAGES = ("server", "cmd")
TEST_FOLDERS = ("tests", "testing")  # what a recheck copies into mutants/ again
# mutmut's exit codes for a mutant (mutmut/stats.py); anything else is "suspicious".
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 36: "timeout"}
STATUS |= dict.fromkeys((24, -24, 152, 255), "timeout") | {37: "type check"}
CAUGHT = ("killed", "timeout", "type check", "rechecked")
MISSED = ("survived", "no tests", "suspicious")
MISSED_CODES = frozenset({0, 5, 33})  # survived, no tests: what --survivors runs again
# A mutant's name is its module, then the mutated function, e.g. server.site.xǁSiteǁanswer__mutmut_3.
NAME_IN_TABLE = re.compile(r"^\|\s*`([\w.ǁ]+__mutmut_\d+)`")


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)
    missed: list[str] = field(default_factory=list)

    def add(self, name: str, status: str) -> None:
        self.counts[status] += 1
        if status in MISSED:
            self.missed.append(name)

    def caught(self) -> int:
        return sum(self.counts[status] for status in CAUGHT)

    def tested(self) -> int:
        return self.caught() + sum(self.counts[status] for status in MISSED)


def patterns_of(module: str) -> list[str]:
    """``server/site.py``, ``server.site`` or ``server`` as globs over mutant names.

    mutmut names a package's own mutants (its ``__init__.py``) after the package alone
    (``cmd.x___getattr____mutmut_1``): only functions (``x_``) and methods (``xǁ``) right under it.
    """
    dotted = module.removesuffix(".py").strip("/").replace("/", ".")
    if dotted.split(".")[0] not in PACKAGES:
        raise SystemExit(f"mutation: {module}: not a module of {' or '.join(PACKAGES)}")
    if dotted.endswith(".__init__"):
        package = dotted.removesuffix(".__init__")
        return [f"{package}.x_*", f"{package}.xǁ*"]
    return [dotted + ".*"]


def matching(patterns: list[str]) -> Callable[[str], bool]:
    return lambda name: any(fnmatch(name, p) for p in patterns)


def install() -> None:
    """The mutation group on top of whatever the environment has (a plain sync would drop it again)."""
    command = [str(REPO / ".tools/bin/uv"), "sync", "--frozen", "--inexact", "--group", "mutation", "--quiet"]
    subprocess.run(command, cwd=REPO, check=True, env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"})


def run_mutmut(patterns: list[str], max_children: int) -> None:
    MUTANTS.mkdir(exist_ok=True)
    command = [str(REPO / ".venv/bin/mutmut"), "run", "--max-children", str(max_children), *patterns]
    shown = command[1:] if len(patterns) <= 10 else [*command[1:4], f"({len(patterns)} mutants)"]
    print(f"mutation: {' '.join(shown)} (output in {LOG.relative_to(REPO)})", flush=True)
    with LOG.open("w") as log:
        done = subprocess.run(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = LOG.read_text(errors="replace").replace("\r", "\n").splitlines()[-20:]
        raise SystemExit("\n".join([*tail, f"mutation: mutmut failed (exit {done.returncode}), see {LOG}"]))


def generate(max_children: int) -> None:
    """Every mutant of server/ and cmd/ written to mutants/, none run: what a sample is drawn from.

    mutmut 3.8 has no command that only generates; these are the two calls its ``run`` starts with,
    and a later ``mutmut run`` finds the files up to date and keeps them.
    """
    code = f"from mutmut.__main__ import copy_src_dir, create_mutants; copy_src_dir(); create_mutants({max_children})"
    print("mutation: generating every mutant of server/ and cmd/", flush=True)
    MUTANTS.mkdir(exist_ok=True)
    with LOG.open("w") as log:
        subprocess.run([str(REPO / ".venv/bin/python"), "-c", code], cwd=REPO, stdout=log, stderr=log, check=True)


def results(wanted: Callable[[str], bool]) -> dict[str, dict[str, int | None]]:
    """Each module's mutants and their exit codes, from mutmut's files in mutants/."""
    by_module: dict[str, dict[str, int | None]] = {}
    for package in PACKAGES:
        for meta in sorted((MUTANTS / package).rglob("*.py.meta")):
            codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
            chosen = {name: code for name, code in codes.items() if wanted(name)}
            if chosen:
                by_module[meta.relative_to(MUTANTS).as_posix().removesuffix(".meta")] = chosen
    return by_module


def missed(wanted: Callable[[str], bool]) -> list[str]:
    """The mutants of the last run that no test killed, to test again after adding tests."""
    return [name for codes in results(wanted).values() for name, code in codes.items() if code in MISSED_CODES]


def test_folder(name: str) -> str:
    if name.startswith("server."):
        return "tests/server"
    return "tests/preview" if name.startswith("cmd.preview.") else "tests/tools"


def recheck(names: list[str]) -> None:
    """Each survivor again, against the whole fast selection of its test folder, with the tests as they are now.

    mutmut runs only the tests that called the mutated function themselves: a test that uses an app
    or a site that a fixture built during an earlier test is never chosen, though it may kill the
    mutant (an alias redirect's 301 is only checked that way).  The trampoline mutmut puts in each
    function serves the mutant named in MUTANT_UNDER_TEST, so pytest can run it directly in mutants/.
    The tests written for survivors run first, alone: a kill is then found in seconds, without
    collecting the whole folder (most of a folder run's time); only a mutant they miss runs the folder.
    The tests and their helpers (testing/) are copied as they are now: a test importing a helper
    added since the run would otherwise fail to import, and that failure would count as a kill.
    """
    for folder in TEST_FOLDERS:
        shutil.copytree(REPO / folder, MUTANTS / folder, dirs_exist_ok=True)
    found: dict[str, str] = json.loads(RECHECKED.read_text()) if RECHECKED.exists() else {}
    for name in names:
        folder = test_folder(name)
        # From the copy the run uses: a survivors file added to tests/ since would be a usage error there.
        first = sorted(str(path.relative_to(MUTANTS)) for path in (MUTANTS / folder).glob("test_*_survivors.py"))
        found[name] = (failing_test(name, first) if first else "") or failing_test(name, [folder])
        print(f"  {name}: {'killed by ' + found[name] if found[name] else 'survived'}", flush=True)
        RECHECKED.write_text(json.dumps(found, indent=1, ensure_ascii=False))


# pytest's exit statuses that mean a test failed (1) or a module failed to import (2, with an ERROR line).
# The others (4: usage, 5: no tests, 3: internal) say nothing about the mutant: never a kill.
PYTEST_FOUND_A_FAILURE = (1, 2)


def failing_test(name: str, tests: list[str]) -> str:
    """The first of these tests (the fast selection) that fails with mutant NAME served, or ""."""
    extra = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["mutmut"]["pytest_add_cli_args"]
    command = [str(REPO / ".venv/bin/python"), "-m", "pytest", "-x", "-q", *extra, "-m", FAST, *tests]
    done = subprocess.run(
        command, cwd=MUTANTS, env={**os.environ, "MUTANT_UNDER_TEST": name}, capture_output=True, text=True
    )
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", done.stdout, re.MULTILINE)
    if done.returncode in PYTEST_FOUND_A_FAILURE and failed:
        return str(failed[0])
    if done.returncode not in (0, *PYTEST_FOUND_A_FAILURE):  # a usage error, no tests, pytest's own crash
        print(f"  {name}: pytest could not run ({' '.join(tests)}: exit {done.returncode}): not counted", flush=True)
    return ""


def rechecked_kills() -> set[str]:
    found: dict[str, str] = json.loads(RECHECKED.read_text()) if RECHECKED.exists() else {}
    return {name for name, test in found.items() if test}


def equivalents() -> set[str]:
    """The mutants bench/mutation-survivors.md lists as equivalent (a table row starting with the name)."""
    if not SURVIVORS_FILE.exists():
        return set()
    lines = SURVIVORS_FILE.read_text(encoding="utf-8").splitlines()
    return {match.group(1) for line in lines if (match := NAME_IN_TABLE.match(line))}


def score(caught: int, tested: int) -> str:
    return f"{caught}/{tested} = {caught / tested:.1%}" if tested else "-"


COLUMNS = ("killed", "rechecked", "timeout", "survived", "no tests", "not checked")


def status_of(name: str, code: int | None, killed_again: set[str]) -> str:
    status = "not checked" if code is None else STATUS.get(code, "suspicious")
    return "rechecked" if status in MISSED and name in killed_again else status


def report(by_module: dict[str, dict[str, int | None]]) -> Tally:
    """The table per module; returns the total."""
    total = Tally()
    killed_again = rechecked_kills()
    print(f"\n{'module':34} " + " ".join(f"{c:>11}" for c in COLUMNS) + "  score (killed/tested)")
    for module, codes in by_module.items():
        tally = Tally()
        for name, code in codes.items():
            status = status_of(name, code, killed_again)
            tally.add(name, status)
            total.add(name, status)
        cells = " ".join(f"{tally.counts[c]:>11}" for c in COLUMNS)
        print(f"{module:34} {cells}  {score(tally.caught(), tally.tested())}")
    cells = " ".join(f"{total.counts[c]:>11}" for c in COLUMNS)
    print(f"{'all':34} {cells}  {score(total.caught(), total.tested())}")
    return total


def report_sample(by_module: dict[str, dict[str, int | None]], population: int, seed: int) -> Tally:
    """The sample's shares per package (top-level, then each folder) and in all; returns the total."""
    total = Tally()
    groups: defaultdict[str, Tally] = defaultdict(Tally)
    killed_again = rechecked_kills()
    for module, codes in by_module.items():
        folder = package_of(module)
        for name, code in codes.items():
            status = status_of(name, code, killed_again)
            total.add(name, status)
            for group in {folder.split("/")[0], folder}:
                groups[group].add(name, status)
    drawn = sum(len(codes) for codes in by_module.values())
    print(f"\nsample: {drawn} of the {population:,} mutants, drawn with seed {seed}")
    print(f"\n{'package':24} {'drawn':>6} " + " ".join(f"{c:>11}" for c in COLUMNS) + "  killed share (95% Wilson)")
    for group, tally in sorted(groups.items(), key=lambda item: (item[0].split("/")[0], item[0])):
        cells = " ".join(f"{tally.counts[c]:>11}" for c in COLUMNS)
        print(f"{group:24} {sum(tally.counts.values()):>6} {cells}  {share(tally.caught(), tally.tested())}")
    reached = total.tested() - total.counts["no tests"]
    print(f"\nkilled:                       {share(total.caught(), total.tested())}")
    print(f"reached by no test:           {share(total.counts['no tests'], total.tested())}")
    print(f"killed, of those a test runs: {share(total.caught(), reached)}")
    return total


def list_survivors(total: Tally) -> None:
    listed = equivalents()
    print(f"\nsurvivors ({len(total.missed)}; '=' listed as equivalent in {SURVIVORS_FILE.relative_to(REPO)}):")
    for name in total.missed:
        print(f"  {'=' if name in listed else ' '} {name}")
    known = sum(name in listed for name in total.missed)
    print(f"\nscore: {score(total.caught(), total.tested())} killed")
    print(f"score with the {known} listed equivalents counted out: {score(total.caught(), total.tested() - known)}")
    if total.counts["not checked"]:
        print(f"not checked: {total.counts['not checked']} mutants not run yet (stopped early, or not chosen)")


def whole(args: argparse.Namespace, patterns: list[str]) -> None:
    """The named modules (default: all), or the last run's survivors among them."""
    wanted = matching(patterns)
    if not args.report_only:
        chosen = missed(wanted) if args.survivors else patterns if args.modules else []
        if chosen or not (args.modules or args.survivors):  # mutmut with no name runs every mutant
            run_mutmut(chosen, args.max_children)
    if args.recheck:
        recheck_survivors(wanted)
    list_survivors(report(results(wanted)))


def sample(args: argparse.Namespace, patterns: list[str]) -> None:
    """N mutants drawn from those of the named modules (default: all), run, and the shares."""
    if not args.report_only:
        generate(args.max_children)
    population = [name for codes in results(matching(patterns)).values() for name in codes]
    try:
        drawn = draw(population, args.sample, args.seed)
    except ValueError as error:
        raise SystemExit(f"mutation: --sample {args.sample}: {error} in {MUTANTS.relative_to(REPO)}/") from None
    if not args.report_only:
        run_mutmut(drawn, args.max_children)
    wanted = set(drawn).__contains__
    if args.recheck:
        recheck_survivors(wanted)
    list_survivors(report_sample(results(wanted), len(population), args.seed))


def recheck_survivors(wanted: Callable[[str], bool]) -> None:
    recheck([name for name in missed(wanted) if name not in equivalents() | rechecked_kills()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="files or packages of server/ and cmd/ (default: all)")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 1, help="mutants tested at once")
    parser.add_argument("--report-only", action="store_true", help="print the results already in mutants/")
    parser.add_argument("--survivors", action="store_true", help="test again only the last run's survivors")
    parser.add_argument("--recheck", action="store_true", help="run each survivor against its whole test folder")
    parser.add_argument("--sample", type=int, metavar="N", help="run N mutants drawn at random, report shares")
    parser.add_argument("--seed", type=int, default=1, help="the draw of --sample (default: 1)")
    args = parser.parse_args()
    patterns = [glob for module in args.modules for glob in patterns_of(module)] or [p + ".*" for p in PACKAGES]
    cpus, load_before, start = os.cpu_count(), os.getloadavg(), time.monotonic()
    if not args.report_only or args.recheck:  # the mutants import mutmut: without it every recheck "kills"
        install()
    if args.sample is not None:
        sample(args, patterns)
    else:
        whole(args, patterns)
    elapsed = time.monotonic() - start
    load_after = os.getloadavg()
    print(f"\nwall {elapsed:.0f} s; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; {cpus} CPUs")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
