"""What BuildKit's `--progress plain` log says about each Dockerfile step: its stage, and cached or run."""

import re
from dataclasses import dataclass

# "#12 [tooling 6/8] RUN ..." names a step ("#12 [ 3/16] RUN ...", the number padded, in a Dockerfile
# whose one stage has no name), "#12 CACHED" or "#12 DONE 0.6s" ends it (a step may be named more
# than once while it runs).
STEP_NAME = re.compile(r"^#(\d+) \[(?:(\S+) +)? *(\d+)/\d+\] (.*)$")
STEP_END = re.compile(r"^#(\d+) (CACHED|DONE\b|ERROR\b)")


@dataclass(frozen=True)
class Step:
    """One Dockerfile instruction of a build, as BuildKit reported it."""

    stage: str
    number: int
    instruction: str
    cached: bool


def parse_steps(log: str) -> list[Step]:
    names: dict[str, tuple[str, int, str]] = {}
    cached: dict[str, bool] = {}
    for line in log.splitlines():
        if match := STEP_NAME.match(line):
            names[match[1]] = (match[2] or "", int(match[3]), match[4])
        elif match := STEP_END.match(line):
            cached[match[1]] = match[2] == "CACHED"
    return [Step(*names[v], cached=cached[v]) for v in names if v in cached]


@dataclass(frozen=True)
class BuildLog:
    """A finished build's log, read step by step."""

    text: str

    @property
    def steps(self) -> list[Step]:
        return parse_steps(self.text)

    def stage(self, name: str) -> list[Step]:
        """The stage's steps in Dockerfile order, FROM left out (it is shared by stages)."""
        steps = [s for s in self.steps if s.stage == name and not s.instruction.startswith("FROM ")]
        return sorted(steps, key=lambda s: s.number)

    def step(self, name: str, fragment: str) -> Step:
        """The one step of the stage whose instruction contains fragment (a moved step is noticed)."""
        matches = [s for s in self.stage(name) if fragment in s.instruction]
        if len(matches) != 1:
            raise LookupError(f"no single step with {fragment!r} in stage {name}: {self.stage(name)}")
        return matches[0]

    def rerun(self) -> list[Step]:
        """The steps that ran (not from the cache), FROM and BuildKit's internal steps left out."""
        return [s for s in self.steps if not s.cached and not s.instruction.startswith("FROM ")]
