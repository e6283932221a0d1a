"""The article's progression, docker/steps/: each step's structure, and each one built and serving the site.

The structural checks read the Dockerfiles and need no engine. The builds (marker `docker`) build
every step bench/docker_build.py builds, from a temporary copy of the repository, run each image
and compare its home page with the one the tools make outside Docker: every step must serve the
same site. Build times and sizes go to the "eblog docker" summary.
"""

import re
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import NamedTuple

import pytest

from testing.ports import free_port
from workshop.engine import REPO as ROOT
from workshop.engine import DockerError, Engine, run_script
from workshop.source import copy_tree, head_commit
from workshop.steps import STEPS, Step

STEPS_DIR = ROOT / "docker" / "steps"
RUN_ID = uuid.uuid4().hex[:10]
MB = 1_000_000


class Instruction(NamedTuple):
    line: int
    keyword: str
    text: str  # with its continuation lines, whitespace collapsed
    commented: bool  # a comment line right above it


def instructions(path: Path) -> list[Instruction]:
    lines, found, i = path.read_text().splitlines(), [], 0
    while i < len(lines):
        if lines[i].strip() and not lines[i].lstrip().startswith("#"):
            start, parts = i, [lines[i]]
            while lines[i].rstrip().endswith("\\"):
                i += 1
                parts.append(lines[i])
            text = " ".join(" ".join(p.rstrip().removesuffix("\\").split()) for p in parts).strip()
            found.append(
                Instruction(
                    start + 1, text.split()[0].upper(), text, start > 0 and lines[start - 1].lstrip().startswith("#")
                )
            )
        i += 1
    return found


def stages(path: Path) -> dict[str, list[Instruction]]:
    """Each stage's instructions after its FROM, by the stage's name (the ARGs before any FROM left out)."""
    found: dict[str, list[Instruction]] = {}
    current: list[Instruction] | None = None
    for instruction in instructions(path):
        if instruction.keyword == "FROM":
            name = instruction.text.split()[-1] if " AS " in instruction.text.upper() else f"stage{len(found)}"
            current = found.setdefault(name, [instruction])
        elif current is not None:
            current.append(instruction)
    return found


def step_files() -> list[Path]:
    return sorted(p for p in STEPS_DIR.glob("*.Dockerfile") if not p.is_symlink())


def header(path: Path) -> str:
    text = path.read_text()
    return text[: text.index("\nFROM ")]


def test_every_step_says_what_changed_and_comments_every_instruction() -> None:
    assert [p.name for p in step_files()] == ["1-naive.Dockerfile", "2-ordered.Dockerfile", "3-multistage.Dockerfile"]
    for path in step_files():
        assert "Changed from" in header(path), f"{path.name}: the header says what changed from the previous step"
        assert re.search(r"article says it (buys|costs)", header(path)), f"{path.name}: and what the article says"
        uncommented = [f"{path.name}:{i.line} {i.keyword}" for i in instructions(path) if not i.commented]
        assert uncommented == [], "every instruction has a comment right above it"


def test_the_benchmark_builds_every_step() -> None:
    built = {s.dockerfile for s in STEPS}
    assert {str(p.relative_to(ROOT)) for p in step_files()} | {"Dockerfile"} == built
    assert all((ROOT / s.dockerfile).is_file() for s in STEPS)
    assert [dict(s.build_args) for s in STEPS if s.dockerfile == "Dockerfile"] == [{}, {"VARIANT": "minimal"}]
    assert "minimal-base" in stages(ROOT / "Dockerfile"), "VARIANT=minimal names the minimal-base stage"


def test_naive_copies_the_whole_tree_first_into_the_full_image() -> None:
    (stage,) = stages(STEPS_DIR / "1-naive.Dockerfile").values()
    assert stage[0].text == "FROM python:3.13-trixie"
    copies = [i.text for i in stage if i.keyword == "COPY"]
    assert copies == ["COPY . ."], "one COPY of everything"
    assert [i.keyword for i in stage[1:4]] == ["WORKDIR", "COPY", "RUN"] and "uv sync --frozen" in stage[3].text
    # Its own ignore file, read by BuildKit instead of the project's allow-list, hides no source.
    ignored = [
        line.strip()
        for line in (STEPS_DIR / "1-naive.Dockerfile.dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert ignored and not set(ignored) & {"*", "**", "cmd", "server", "articles", "tests", "uv.lock"}, ignored


def test_ordered_installs_the_dependencies_before_any_source() -> None:
    (stage,) = stages(STEPS_DIR / "2-ordered.Dockerfile").values()
    assert stage[0].text == "FROM python:3.13-trixie"
    copies = [i for i in stage if i.keyword == "COPY"]
    assert copies[0].text == "COPY pyproject.toml uv.lock ./" and "COPY . ." not in [c.text for c in copies]
    sync = next(i for i in stage if "uv sync --frozen" in i.text)
    assert copies[0].line < sync.line < copies[1].line
    tests = next(i for i in stage if "pytest" in i.text)
    assert tests.line < next(c.line for c in copies if "articles/" in c.text), "an article edit reruns no test"


def test_multistage_is_the_dockerfile_without_cache_mounts() -> None:
    """Step 4 is the Dockerfile itself; step 3 differs from it only in RUNs that use a cache mount there,
    and in what the Dockerfile adds for step 5 (the minimal stages, and `run` on the base VARIANT names)."""
    mine, project = stages(STEPS_DIR / "3-multistage.Dockerfile"), stages(ROOT / "Dockerfile")
    assert list(mine) == ["tooling", "test", "builder", "server", "commit", "run-base", "run"]
    assert [name for name in project if name not in mine] == ["minimal-tree", "minimal-base"]
    assert not [i for i in instructions(STEPS_DIR / "3-multistage.Dockerfile") if "type=cache" in i.text]
    for name, instructions_3 in mine.items():
        instructions_4 = project[name]
        assert [i.keyword for i in instructions_3] == [i.keyword for i in instructions_4], name
        for a, b in zip(instructions_3, instructions_4, strict=True):
            if (name, a.keyword) == ("run", "FROM"):
                assert (a.text, b.text) == ("FROM run-base AS run", "FROM ${VARIANT}-base AS run")
            elif a.keyword != "RUN":
                assert a.text == b.text, f"{name}: line {a.line} of step 3 differs from Dockerfile line {b.line}"
            elif a.text != b.text:
                assert "--mount=type=cache" in b.text, f"{name}: Dockerfile line {b.line} differs without a cache mount"


def test_the_healthcheck_and_the_entry_point_are_written_once() -> None:
    """Both images come from one `run` stage: one HEALTHCHECK, one ENTRYPOINT, one set of content COPYs."""
    dockerfile = instructions(ROOT / "Dockerfile")
    assert [i.keyword for i in dockerfile].count("HEALTHCHECK") == 1
    assert [i.keyword for i in dockerfile].count("ENTRYPOINT") == 1
    assert [i.text for i in dockerfile if "assets.zip" in i.text and i.keyword == "COPY"] == [
        "COPY --from=builder /out/assets.zip server/assets.zip"
    ]
    assert stages(ROOT / "Dockerfile")["run"][0].text == "FROM ${VARIANT}-base AS run"


class Page(NamedTuple):
    status: int
    body: bytes
    commit: str


def fetch(url: str) -> Page:
    with urllib.request.urlopen(url, timeout=5) as response:
        return Page(response.status, response.read(), response.headers.get("x-eblog-commit", ""))


@pytest.fixture(scope="module")
def tree(docker: Engine, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository, once the full base image (steps 1 and 2) is there too."""
    try:
        run_script("base-image", "full", env=docker.env)
    except DockerError as error:
        pytest.fail(f"scripts/base-image could not provide python:3.13-trixie: {error}")
    return copy_tree(tmp_path_factory.mktemp("steps") / "eblog")


@pytest.fixture(scope="module")
def home_page(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The home page as the tools make it outside Docker, from the same articles."""
    site = tmp_path_factory.mktemp("site")
    for tool in (["cmd.rendermd", "articles", str(site)], ["cmd.buildindex", str(site)]):
        subprocess.run([sys.executable, "-m", *tool], cwd=tree, check=True, capture_output=True)
    return (site / "index.html").read_bytes()


@pytest.mark.docker
@pytest.mark.parametrize("step", STEPS, ids=lambda s: s.name)
def test_step_builds_and_serves_the_same_site(
    step: Step, docker: Engine, tree: Path, home_page: bytes, figures: list[str]
) -> None:
    tag = f"eblog-steps-{RUN_ID}:{step.name}"
    build = docker.build(tree, tag, dockerfile=step.dockerfile, build_args=dict(step.build_args))
    size = docker.size(tag)
    figures.append(f"step {step.name}: built in {build.seconds:.1f} s (cache as the run left it), {size / MB:.1f} MB")

    name, port = f"eblog-steps-{RUN_ID}-{step.name}", free_port()
    docker.containers.append(name)
    docker("run", "--detach", "--name", name, "--network", "host", "--env", f"PORT={port}", tag)
    deadline = time.monotonic() + 30
    while True:
        try:
            page = fetch(f"http://127.0.0.1:{port}/")
            break
        except OSError:
            if time.monotonic() > deadline:
                logs = docker("logs", name, check=False)
                pytest.fail(f"{step.name} did not answer within 30 s:\n{logs.stdout}{logs.stderr}")
            time.sleep(0.1)
    docker("rm", "--force", name, check=False)
    assert page.status == 200 and page.body == home_page, f"{step.name} serves another home page"
    assert page.commit == head_commit(), "the commit git resolves for HEAD"
