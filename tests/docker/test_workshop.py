"""./scripts/workshop: each `check N` fails on an untouched tree and passes on a solution; after `prep`
then `load`, every step builds cold with PyPI and Debian out of reach; a damaged file is refused.

The attendee's tree is a git repository made here from this checkout's files; each solution is
written here, as the exercise in docs/workshop.md asks for it.
"""

import json
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

from workshop import bundle, exercises, mirror, trust
from workshop.engine import DockerError, Engine, run_script
from workshop.source import copy_tree
from workshop.steps import BASE_IMAGES, STEPS

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


OFF_THE_NETWORK = ("pypi.org", "files.pythonhosted.org", "deb.debian.org")


def test_prep_then_load_builds_every_step_cold_with_no_network_but_the_rooms_mirror(
    docker: Engine, tmp_path: Path
) -> None:
    """The laptop's first builds: no layer cache, empty cache mounts, and PyPI's and Debian's hosts
    pointing at an address where nothing answers, so only the room's mirror can provide a download."""
    output, room = tmp_path / "room.tar", tmp_path / "unpacked"
    for variant in BASE_IMAGES:
        run_script("base-image", variant, env=docker.env)
    own_bases = {tag: image_id(docker, tag) for tag in BASE_IMAGES.values()}
    left_before = trusting_images(docker)  # an earlier run's, if it died half-way: not this one's to answer for
    manifest = bundle.prep(docker, output)
    steps = [tag for tag in manifest["images"] if tag.startswith("eblog-workshop:")]
    server = None
    try:
        check_the_room(docker, manifest, steps, own_bases, left_before, output, room, tmp_path)
        server = mirror.room_server(room, recording=False)
        server.start()
        build_every_step_cut_off(docker, server, tmp_path)
    finally:
        if server:
            server.shutdown()
        for tag, image in own_bases.items():
            docker("tag", image, tag)
        for tag in steps:
            docker("rmi", tag, check=False)
        for image in trusting_copies(docker) - left_before:  # load's copies, untagged once the names are given back
            docker("rmi", image, check=False)
        docker.cleanup()


def trusting_copies(docker: Engine) -> set[str]:
    """Untagged base images that trust a room's authority: prep's and load's copies once their names are given back."""
    found = docker("images", "--quiet", "--filter", "dangling=true", "--filter", f"label={trust.LABEL}")
    return set(found.stdout.split())


def trusting_images(docker: Engine) -> set[str]:
    """Every image that trusts a room's authority, tagged or not (steps built on a trusting base inherit its label)."""
    return set(docker("images", "--quiet", "--all", "--filter", f"label={trust.LABEL}").stdout.split())


def check_the_room(
    docker: Engine,
    manifest: dict[str, Any],
    steps: list[str],
    own_bases: dict[str, str],
    left_before: set[str],
    output: Path,
    room: Path,
    tmp_path: Path,
) -> None:
    """What prep wrote and left behind, then `load` of it on an engine without the step images."""
    assert len(steps) == 5 and set(BASE_IMAGES.values()) <= set(manifest["images"])
    assert bundle.wheel_count(manifest) > 20, "the lock's Linux wheels, and uv's"
    assert {"eblog.bundle", "mirror/index.json", "mirror/mirror.crt", "mirror/mirror.key"} <= set(manifest["files"])
    with tarfile.open(output) as room_file:
        room_file.extract("eblog.bundle", tmp_path, filter="data")
    subprocess.run(["git", "clone", "--quiet", str(tmp_path / "eblog.bundle"), str(tmp_path / "clone")], check=True)
    on_branch = subprocess.run(["git", "-C", str(tmp_path / "clone"), "symbolic-ref", "-q", "HEAD"], check=False)
    assert on_branch.returncode == 0, "the attendee's clone is on the teacher's branch, not a detached HEAD"
    assert manifest["mirror"]["upstream"] > 5, "pip's page for uv, Debian's lists and binutils, kept while recording"
    assert manifest["mirror"]["wheelhouse"] > 10, "the lock's wheels came from the wheelhouse, not fetched twice"
    for tag, image in own_bases.items():
        assert image_id(docker, tag) == image, "prep gave this engine its own base images back"
    assert trusting_copies(docker) - left_before == set(), "prep removed its trusting copies (saved in the file)"
    for tag in steps:
        docker("rmi", tag)
    loaded = bundle.load(docker, output, into=room)
    assert loaded["images"] == manifest["images"]
    for tag in steps:
        assert docker("image", "inspect", tag, check=False).returncode == 0, tag
    assert len(sorted((room / "wheels").glob("*.whl"))) == bundle.wheel_count(manifest)


def build_every_step_cut_off(docker: Engine, server: mirror.MirrorServer, tmp_path: Path) -> None:
    """Empty cache mounts and PyPI's and Debian's hosts unreachable: each step must build through the mirror."""
    docker("builder", "prune", "--force", "--filter", "type=exec.cachemount", timeout=600)
    cut_off = tuple(f"--add-host={host}:127.0.0.9" for host in OFF_THE_NETWORK)
    no_network = tmp_path / "unreachable"
    no_network.mkdir()
    (no_network / "Dockerfile").write_text(
        "FROM python:3.13-slim-trixie\nRUN pip download --no-deps --retries 0 --timeout 5 --dest /tmp uv==0.13.8\n"
    )
    alone = docker.build(no_network, "eblog-workshop-test:cut-off", options=cut_off, check=False)
    assert not alone.image, "without the mirror, the cut-off hosts give nothing: the test would prove nothing"
    tree = copy_tree(tmp_path / "eblog")
    for step in STEPS:
        args = {**server.build_args(), **dict(step.build_args)}
        build = docker.build(
            tree, f"eblog-workshop-test:{step.name}", dockerfile=step.dockerfile, build_args=args,
            options=("--no-cache", *cut_off), check=False,
        )  # fmt: skip
        assert build.image, f"{step.name} did not build offline: {build.log.text[-3000:]}\n{server.log[-20:]}"
    assert server.tally.missing == [], server.tally.missing
    assert server.tally.served["kept"] > 5 and server.tally.served["wheelhouse"] > 10


def image_id(docker: Engine, tag: str) -> str:
    return docker("image", "inspect", "--format", "{{.Id}}", tag).stdout.strip()


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
