"""The workshop's exercises, and `check N`: did the attendee's change have the effect the article promises?

Every exercise works on one file, workshop.Dockerfile at the root of the checkout (`./scripts/workshop
start` makes it, a copy of the naive step). A check builds the attendee's tree (a copy: the real one
is never touched), makes the edit the exercise is about, rebuilds, and reads what BuildKit did and
what the image holds. It answers in one line: pass, with the figure measured beside the published
one, or what is still off and where to look. docs/workshop.md is the plan these follow.
"""

import json
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testing.ports import free_port
from workshop.buildlog import BuildLog
from workshop.engine import REPO, Build, Engine
from workshop.source import copy_tree, git

MB = 1_000_000
ATTENDEE_FILE = "workshop.Dockerfile"
START_FROM = "docker/steps/1-naive.Dockerfile"
PUBLISHED = REPO / "bench" / "docker_build-latest.json"
MAX_RUN_IMAGE = 160 * MB  # exercise 4: the slim base and the serve venv, not the full image and every group
MAX_MINIMAL_IMAGE = 24 * MB  # exercise 5


@dataclass(frozen=True)
class Verdict:
    passed: bool
    text: str

    def line(self, number: int) -> str:
        return f"check {number}: {'pass' if self.passed else 'still off'}: {self.text}"


def published(step: str, scenario: str) -> dict[str, Any] | None:
    """A figure of the published build benchmark, to print beside the attendee's."""
    try:
        results = json.loads(PUBLISHED.read_text())["results"]
    except (OSError, ValueError, KeyError):
        return None
    return next((r for r in results if r["step"] == step and r["scenario"] == scenario), None)


def published_time(step: str, scenario: str) -> str:
    cell = published(step, scenario)
    return f"{cell['seconds']:.2f} s" if cell else "not published"


def published_size(step: str) -> str:
    cell = published(step, "cold")
    return f"{cell['size'] / MB:.1f} MB" if cell else "not published"


class Attempt:
    """The attendee's tree (root), copied, and builds of its workshop.Dockerfile."""

    def __init__(self, engine: Engine, scratch: Path, root: Path) -> None:
        self.engine, self.root = engine, root
        self.tree = copy_tree(scratch / "eblog", root=root)
        self.tag = f"eblog-workshop-check-{uuid.uuid4().hex[:8]}"
        self.builds = 0

    def build(self) -> Build:
        self.builds += 1
        return self.engine.build(self.tree, f"{self.tag}:{self.builds}", dockerfile=ATTENDEE_FILE, check=False)

    def edit_article(self) -> None:
        article = sorted((self.tree / "articles").glob("*.md"))[0]
        article.write_text(article.read_text() + f"\nEdited by workshop check ({uuid.uuid4().hex}).\n")

    def files_in(self, image: str, folder: str) -> int:
        """How many files the image holds under folder (0 when it has none, or no shell to ask)."""
        result = self.engine(
            "run", "--rm", "--network", "none", "--entrypoint", "find", image, folder, "-type", "f", check=False
        )
        return len(result.stdout.split()) if result.returncode == 0 else 0


def ran(log: BuildLog, fragment: str) -> bool:
    """A step whose instruction contains fragment ran (was not taken from the cache)."""
    return any(fragment in s.instruction and not s.cached for s in log.steps)


def failed(build: Build) -> Verdict | None:
    if build.image:
        return None
    return Verdict(False, f"{ATTENDEE_FILE} does not build; the end of BuildKit's log: {tail(build.log.text)}")


def tail(log: str) -> str:
    errors = [line for line in log.splitlines() if "ERROR" in line or "error" in line]
    return (errors[-1] if errors else log.strip().splitlines()[-1]).strip()[:300]


def check_cache_broken(attempt: Attempt) -> Verdict:
    """1: with the naive file, an article edit reruns the dependency install: the cost to feel."""
    changed = git("status", "--porcelain", "--", "articles/", cwd=attempt.root)
    if not changed:
        return Verdict(
            False, "no article changed yet (git status articles/ is clean): add a sentence to one, then check"
        )
    edited = {p: p.read_bytes() for p in (attempt.tree / "articles").rglob("*") if p.is_file()}
    shutil.rmtree(attempt.tree / "articles")
    archive = subprocess.run(
        ["git", "-C", str(attempt.root), "archive", "HEAD", "articles"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(attempt.tree)], input=archive.stdout, check=True)
    if broken := failed(attempt.build()):
        return broken
    shutil.rmtree(attempt.tree / "articles")
    for path, data in edited.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    after = attempt.build()
    if broken := failed(after):
        return broken
    if not ran(after.log, "uv sync"):
        return Verdict(
            False,
            f"your article edit did not rerun `uv sync` ({after.seconds:.1f} s): start from {START_FROM} "
            "(./scripts/workshop start --again) to see the cost",
        )
    return Verdict(
        True,
        f"your article edit reran {len(after.log.rerun())} steps, `uv sync` among them: {after.seconds:.1f} s "
        f"(published: 1-naive {published_time('1-naive', 'article')} after an article edit)",
    )


def check_ordered(attempt: Attempt) -> Verdict:
    """2: the dependency files first, installed before any source: an article edit keeps the installs and tests."""
    if broken := failed(attempt.build()):
        return broken
    attempt.edit_article()
    after = attempt.build()
    if broken := failed(after):
        return broken
    for fragment, fix in (
        ("uv sync", "copy pyproject.toml and uv.lock alone, install, then copy the rest"),
        ("pytest", "run the tests before `COPY articles/`, which they do not need"),
    ):
        if ran(after.log, fragment):
            return Verdict(False, f"after an article edit `{fragment}` ran again ({after.seconds:.1f} s): {fix}")
    return Verdict(
        True,
        f"an article edit rebuilt in {after.seconds:.2f} s, installs and tests from the cache (published: "
        f"2-ordered {published_time('2-ordered', 'article')}, 1-naive {published_time('1-naive', 'article')})",
    )


def check_cache_mount(attempt: Attempt) -> Verdict:
    """3: uv's and pip's caches in cache mounts: they leave the image, and a lock change downloads less."""
    build = attempt.build()
    if broken := failed(build):
        return broken
    sync = [s for s in build.log.steps if "uv sync" in s.instruction]
    if not any("--mount=type=cache" in s.instruction and "/root/.cache/uv" in s.instruction for s in sync):
        return Verdict(False, "the `uv sync` RUN has no `--mount=type=cache,target=/root/.cache/uv`")
    left = attempt.files_in(build.image, "/root/.cache")
    if left:
        return Verdict(False, f"the image still holds {left} files under /root/.cache: mount pip's cache too")
    return Verdict(
        True,
        f"no download cache in the image, {attempt.engine.size(build.image) / MB:.1f} MB "
        f"(published 2-ordered, caches included: {published_size('2-ordered')})",
    )


def small_image_that_serves(attempt: Attempt, limit: int, fix: str, published_steps: tuple[str, ...]) -> Verdict:
    """The attendee's image is at most limit bytes and answers /healthz: exercises 4 and 5."""
    build = attempt.build()
    if broken := failed(build):
        return broken
    size = attempt.engine.size(build.image)
    if size > limit:
        return Verdict(False, f"the image is {size / MB:.1f} MB (aim: at most {limit / MB:.0f} MB): {fix}")
    if served := not_serving(attempt, build.image):
        return served
    figures = ", ".join(f"{step} {published_size(step)}" for step in published_steps)
    return Verdict(True, f"{size / MB:.1f} MB and it serves (published: {figures})")


def check_multistage(attempt: Attempt) -> Verdict:
    """4: a last stage on the slim base with only what serving needs."""
    fix = (
        "start the last stage FROM python:3.13-slim-trixie and copy only the serve venv, server/ and assets.zip into it"
    )
    return small_image_that_serves(attempt, MAX_RUN_IMAGE, fix, ("3-multistage", "1-naive"))


def check_minimal(attempt: Attempt) -> Verdict:
    """5: FROM scratch with only the files a traced run of the server used."""
    fix = (
        "take the minimal-tree and minimal-base stages from the project's Dockerfile and start the last "
        "stage from minimal-base"
    )
    return small_image_that_serves(attempt, MAX_MINIMAL_IMAGE, fix, ("5-minimal",))


def not_serving(attempt: Attempt, image: str) -> Verdict | None:
    """None if the image answers /healthz within 30 s on the host's network, else what went wrong."""
    port = free_port()
    name = f"{attempt.tag}-serve"
    attempt.engine.containers.append(name)
    attempt.engine("run", "--detach", "--name", name, "--network", "host", "--env", f"PORT={port}", image)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return None
        except OSError:
            time.sleep(0.2)
    logs = attempt.engine("logs", name, check=False)
    return Verdict(False, f"the image built but /healthz did not answer in 30 s: {tail(logs.stdout + logs.stderr)}")


CHECKS: dict[int, Callable[[Attempt], Verdict]] = {
    1: check_cache_broken,
    2: check_ordered,
    3: check_cache_mount,
    4: check_multistage,
    5: check_minimal,
}


def check(number: int, engine: Engine, root: Path = REPO) -> Verdict:
    if not (root / ATTENDEE_FILE).is_file():
        return Verdict(False, f"no {ATTENDEE_FILE} yet: ./scripts/workshop start makes it from {START_FROM}")
    with tempfile.TemporaryDirectory(prefix="eblog-workshop-check-") as scratch:
        attempt = Attempt(engine, Path(scratch), root)
        try:
            return CHECKS[number](attempt)
        finally:
            engine.cleanup()


def start(again: bool, root: Path = REPO) -> str:
    """Make workshop.Dockerfile from the naive step (again: even over the attendee's)."""
    target = root / ATTENDEE_FILE
    if target.exists() and not again:
        return f"{ATTENDEE_FILE} is there already (--again starts over from {START_FROM})"
    text = (root / START_FROM).read_text()
    command = f"#   docker build -f {ATTENDEE_FILE} -t eblog:mine ."
    target.write_text(re.sub(r"(?m)^#   docker build -f \S+ -t eblog:naive \.$", command, text))
    return f"wrote {ATTENDEE_FILE} (a copy of {START_FROM}): exercise 1 of docs/workshop.md starts there"
