"""The article's progression, one Dockerfile per step, as the benchmark, the tests and the workshop build it."""

from dataclasses import dataclass

# The base images, by scripts/base-image's variant names: pulled, or built as look-alikes.
BASE_IMAGES = {"slim": "python:3.13-slim-trixie", "full": "python:3.13-trixie"}


@dataclass(frozen=True)
class Step:
    """One build of the progression: a Dockerfile, its build arguments, and the base image it needs."""

    name: str
    dockerfile: str
    base: str  # scripts/base-image variant: "full" or "slim"
    build_args: tuple[tuple[str, str], ...] = ()

    @property
    def number(self) -> int:
        return int(self.name.split("-")[0])


STEPS = (
    Step("1-naive", "docker/steps/1-naive.Dockerfile", "full"),
    Step("2-ordered", "docker/steps/2-ordered.Dockerfile", "full"),
    Step("3-multistage", "docker/steps/3-multistage.Dockerfile", "slim"),
    Step("4-cache-mounts", "Dockerfile", "slim"),
    Step("5-minimal", "Dockerfile", "slim", (("VARIANT", "minimal"),)),
)


def step_named(name: str) -> Step:
    """A step by its name or number ("4" or "4-cache-mounts")."""
    for step in STEPS:
        if name in (step.name, str(step.number)):
            return step
    raise KeyError(f"no step {name!r}: one of {', '.join(s.name for s in STEPS)}")
