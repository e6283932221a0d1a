"""./scripts/workshop: each `check N` fails on an untouched tree and passes on a solution; `prep` then
`load` bring back every image without a registry, and a damaged file is refused.

The attendee's tree is a git repository made here from this checkout's files; each solution is
written here, as the exercise in docs/workshop.md asks for it.
"""

import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from workshop import bundle, exercises
from workshop.engine import DockerError, Engine, run_script
from workshop.source import copy_tree
from workshop.steps import BASE_IMAGES

pytestmark = pytest.mark.docker


def git(root: Path, *args: str) -> None:
    identity = ["-c", "user.name=attendee", "-c", "user.email=attendee@example.org"]
    subprocess.run(["git", "-C", str(root), *identity, *args], capture_output=True, check=True)


@pytest.fixture
def attendee(docker: Engine, tmp_path: Path) -> Path:
    """A fresh checkout, after `./scripts/workshop start`: workshop.Dockerfile is the naive step."""
    run_script("base-image", "full", env=docker.env)
    root = copy_tree(tmp_path / "eblog")
    (root / ".git" / "HEAD").unlink()
    (root / ".git").rmdir()
    git(root, "init", "--quiet")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--message", "the workshop's starting point")
    exercises.start(again=False, root=root)
    naive = (root / "docker" / "steps" / "1-naive.Dockerfile").read_text().splitlines()
    mine = (root / "workshop.Dockerfile").read_text().splitlines()
    changed = [(a, b) for a, b in zip(naive, mine, strict=True) if a != b]
    assert changed == [
        (
            "#   docker build -f docker/steps/1-naive.Dockerfile -t eblog:naive .",
            "#   docker build -f workshop.Dockerfile -t eblog:mine .",
        )
    ]
    return root


def solve(root: Path, number: int) -> None:
    """What each exercise asks of the attendee."""
    mine = root / "workshop.Dockerfile"
    if number == 1:  # edit an article
        article = root / "articles" / "introduction.md"
        article.write_text(article.read_text() + "\nA sentence added in the workshop.\n")
    elif number == 2:  # the dependency files first, the articles last
        mine.write_text((root / "docker" / "steps" / "2-ordered.Dockerfile").read_text())
    elif number == 3:  # exercise 2's answer, with cache mounts for pip and uv
        ordered = (root / "docker" / "steps" / "2-ordered.Dockerfile").read_text()
        mounted = ordered.replace(
            "RUN pip install uv==0.13.8", "RUN --mount=type=cache,target=/root/.cache/pip pip install uv==0.13.8"
        ).replace("RUN uv sync --frozen", "RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen")
        assert mounted.count("--mount=type=cache") == 2
        mine.write_text(mounted)
    elif number == 4:  # multi-stage
        mine.write_text((root / "docker" / "steps" / "3-multistage.Dockerfile").read_text())
    else:  # the project's Dockerfile, its minimal variant by default
        project = (root / "Dockerfile").read_text()
        mine.write_text(project.replace("ARG VARIANT=run\n", "ARG VARIANT=minimal\n", 1))


@pytest.mark.parametrize("number", sorted(exercises.CHECKS))
def test_check_fails_untouched_and_passes_solved(docker: Engine, attendee: Path, number: int) -> None:
    untouched = exercises.check(number, docker, attendee)
    assert not untouched.passed, untouched.line(number)
    assert untouched.line(number).startswith(f"check {number}: still off: ")
    assert "\n" not in untouched.line(number)
    solve(attendee, number)
    solved = exercises.check(number, docker, attendee)
    assert solved.passed, solved.line(number)
    assert "published" in solved.line(number), "the figure to compare with"


def test_prep_then_load_brings_every_image_back(docker: Engine, tmp_path: Path) -> None:
    output = tmp_path / "room.tar"
    manifest = bundle.prep(docker, output)
    steps = [tag for tag in manifest["images"] if tag.startswith("eblog-workshop:")]
    assert len(steps) == 5 and set(BASE_IMAGES.values()) <= set(manifest["images"])
    assert bundle.wheel_count(manifest) > 20, "the lock's Linux wheels, and uv's"
    assert "eblog.bundle" in manifest["files"]
    try:
        for tag in steps:
            docker("rmi", tag)
        loaded = bundle.load(docker, output, into=tmp_path / "unpacked")
        assert loaded["images"] == manifest["images"]
        for tag in steps:
            assert docker("image", "inspect", tag, check=False).returncode == 0, tag
        wheels = sorted((tmp_path / "unpacked" / "wheels").glob("*.whl"))
        assert len(wheels) == bundle.wheel_count(manifest)
    finally:
        for tag in steps:
            docker("rmi", tag, check=False)


def test_load_refuses_a_damaged_file(docker: Engine, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.tar"
    content = tmp_path / "content"
    content.mkdir()
    (content / "images.tar").write_bytes(b"not the bytes the manifest names")
    manifest = {"source": "x", "images": [], "files": {"images.tar": {"size": 1, "sha256": "0" * 64}}}
    (content / "manifest.json").write_text(json.dumps(manifest))
    with tarfile.open(damaged, "w") as tar:
        for name in ("manifest.json", "images.tar"):
            tar.add(content / name, arcname=name)
    with pytest.raises(DockerError, match=r"images\.tar is damaged"):
        bundle.load(docker, damaged, into=tmp_path / "unpacked")
