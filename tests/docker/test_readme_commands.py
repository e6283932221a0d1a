"""README's Docker commands, and docker/steps/README.md's, run as written: copied from the files by
this test, so the READMEs cannot drift from what works.

Each block runs in one bash, in a copy of the repository, as a reader would paste it: the eval of
scripts/docker-env, the base images, the builds. README's last line, `docker run --rm -p 8080:8080
eblog`, runs in the foreground as written; the test asks http://127.0.0.1:8080/ for the home page,
then stops it as Ctrl-C would. On an engine without a bridge network (this project's own dockerd)
the `docker` the eval puts on PATH adds --network host; on others the -p mapping serves. The tags
the READMEs name are set back to what they were before the test.
"""

import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from testing.ports import port_is_free
from workshop.engine import REPO, Engine
from workshop.source import copy_tree

pytestmark = pytest.mark.docker


def first_sh_block(doc: str, after: str) -> list[str]:
    """The command lines of the first ```sh block after the heading `after` in doc."""
    text = (REPO / doc).read_text()
    block = re.search(r"```sh\n(.*?)```", text[text.index(after) :], re.S)
    assert block, f"{doc}: no sh block after {after!r}"
    return [line for line in block[1].splitlines() if line.strip()]


def tags_in(lines: list[str]) -> list[str]:
    return [m[1] for line in lines if (m := re.search(r"-t (\S+)", line))]


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_tree(tmp_path_factory.mktemp("readme") / "eblog")


def remember(docker: Engine, tags: list[str]) -> dict[str, str]:
    """The image each tag names now, to set it back afterwards."""
    old = {}
    for tag in tags:
        found = docker("image", "inspect", "--format", "{{.Id}}", tag, check=False)
        if found.returncode == 0:
            old[tag] = found.stdout.strip()
    return old


def restore(docker: Engine, tags: list[str], old: dict[str, str]) -> None:
    for tag in tags:
        if tag in old:
            docker("tag", old[tag], tag, check=False)
        else:
            docker("rmi", tag, check=False)


def bash(tree: Path, script: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        ["bash", "-c", "set -euo pipefail\n" + script],
        cwd=tree,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def test_readme_docker_commands_build_and_serve(docker: Engine, tree: Path) -> None:
    lines = first_sh_block("README.md", "## Docker")
    assert lines[0].startswith('eval "$(scripts/docker-env start)"') and lines[-1].startswith("docker run ")
    assert port_is_free(8080, "0.0.0.0"), "README's command serves on port 8080, which something here holds"
    old = remember(docker, tags_in(lines))
    process = bash(tree, "\n".join(lines[:-1]) + "\nexec " + lines[-1])
    try:
        deadline, home = time.monotonic() + 1800, b""
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen("http://127.0.0.1:8080/", timeout=2) as response:
                    home = response.read()
                break
            except OSError:
                time.sleep(0.5)
        assert b"<html" in home, (
            f"README's commands served nothing on 8080:\n{process.communicate(timeout=30)[0][-3000:]}"
        )
    finally:
        process.send_signal(signal.SIGINT)  # as Ctrl-C: the client passes it on, --rm removes the container
        output = process.communicate(timeout=60)[0]
        restore(docker, tags_in(lines), old)
    if docker.settings.network == "host":
        assert "added --network host" in output, output[-2000:]


def test_steps_readme_commands_build_every_step(docker: Engine, tree: Path) -> None:
    lines = first_sh_block("docker/steps/README.md", "# The article's progression")
    assert len(tags_in(lines)) == 5, "one build a step"
    old = remember(docker, tags_in(lines))
    try:
        process = bash(tree, "\n".join(lines) + "\ndocker image ls --format '{{.Repository}}:{{.Tag}}'")
        output = process.communicate(timeout=3600)[0]
        assert process.returncode == 0, output[-3000:]
        listed = output.split()
        for tag in tags_in(lines):
            assert (tag if ":" in tag else f"{tag}:latest") in listed, tag
    finally:
        restore(docker, tags_in(lines), old)
