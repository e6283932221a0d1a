"""Driving the Docker engine from tests: the client, timed builds and what BuildKit cached."""

import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
BASE_IMAGE = "python:3.13-slim-trixie"

# BuildKit's --progress=plain: "#12 [tooling 6/8] RUN ..." names a step, "#12 CACHED" or
# "#12 DONE 0.6s" ends it (a step may be named more than once while it runs).
STEP_NAME = re.compile(r"^#(\d+) \[(\S+) (\d+)/\d+\] (.*)$")
STEP_END = re.compile(r"^#(\d+) (CACHED|DONE\b|ERROR\b)")


@dataclass(frozen=True)
class Step:
    """One Dockerfile instruction of a build, as BuildKit reported it."""

    stage: str
    number: int
    instruction: str
    cached: bool


@dataclass(frozen=True)
class Build:
    tag: str
    seconds: float
    steps: list[Step]
    log: str

    def stage(self, name: str) -> list[Step]:
        """The stage's steps in Dockerfile order, FROM left out (it is shared by stages)."""
        steps = [s for s in self.steps if s.stage == name and not s.instruction.startswith("FROM ")]
        return sorted(steps, key=lambda s: s.number)

    def step(self, name: str, fragment: str) -> Step:
        """The one step of the stage whose instruction contains fragment (a moved step is noticed)."""
        matches = [s for s in self.stage(name) if fragment in s.instruction]
        assert len(matches) == 1, f"no single step with {fragment!r} in stage {name}: {self.stage(name)}"
        return matches[0]


def parse_steps(log: str) -> list[Step]:
    names: dict[str, tuple[str, int, str]] = {}
    cached: dict[str, bool] = {}
    for line in log.splitlines():
        if match := STEP_NAME.match(line):
            names[match[1]] = (match[2], int(match[3]), match[4])
        elif match := STEP_END.match(line):
            cached[match[1]] = match[2] == "CACHED"
    return [Step(*names[v], cached=cached[v]) for v in names if v in cached]


@dataclass
class Docker:
    """The engine found or started by scripts/docker-env, and what this session created in it."""

    client: str
    env: dict[str, str]
    started_pid: str
    images: list[str] = field(default_factory=list)
    containers: list[str] = field(default_factory=list)

    def __call__(self, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.client, *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            pytest.fail(f"docker {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
        return result

    def build(self, context: Path, tag: str, target: str | None = None) -> Build:
        """docker build (of the last stage, or target) with BuildKit's plain progress, timed; the
        image is removed at the end."""
        started = time.monotonic()
        result = self(
            "build",
            "--network",
            "host",
            "--progress",
            "plain",
            "--tag",
            tag,
            *(("--target", target) if target else ()),
            str(context),
            timeout=1800,
            check=False,
        )
        seconds = time.monotonic() - started
        self.images.append(tag)
        log = result.stdout + result.stderr
        assert result.returncode == 0, f"docker build failed:\n{log[-4000:]}"
        return Build(tag, seconds, parse_steps(log), log)

    def cleanup(self) -> None:
        if self.containers:
            self("rm", "--force", *self.containers, check=False)
        if self.images:
            self("rmi", "--force", *self.images, check=False)


def script(name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPTS / name), *args], env=env, capture_output=True, text=True, timeout=1800, check=False
    )
