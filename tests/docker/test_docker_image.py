"""The real images: built from a copy of the repository, run, inspected and rebuilt after edits.

Both targets: `run` (the default, slim) and `minimal` (FROM scratch), which must answer the same
HTTP checks and SIGTERM alike. Everything happens in a temporary copy (the real tree is never
edited). The figures (build times, image sizes) are printed in the terminal summary under
"eblog docker".
"""

import gzip
import importlib.util
import io
import json
import re
import shutil
import subprocess
import tarfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from testing.ports import free_port, port_is_free
from workshop.buildlog import BuildLog, Step
from workshop.engine import REPO as ROOT
from workshop.engine import Build, Engine
from workshop.source import copy_tree, head_commit
from workshop.steps import BASE_IMAGES

pytestmark = pytest.mark.docker
BASE_IMAGE = BASE_IMAGES["slim"]
MINIMAL_ARGS = {"VARIANT": "minimal"}

MB = 1_000_000
MAX_ADDED_BYTES = 25 * MB  # the target: the final image adds at most 25 MB to its base
MAX_MINIMAL_BYTES = 24 * MB  # the bound set for the minimal image, uncompressed (issue 15, target 6)
SHELLS = {"sh", "bash", "dash", "ash", "busybox", "zsh"}
RUN_ID = uuid.uuid4().hex[:10]

BUILD_ONLY_PACKAGES = {
    "pyromark",
    "markdown_it",
    "jinja2",
    "pygments",
    "yaml",
    "pytest",
    "_pytest",
    "httpx",
    "pip",
    "uv",
}
BUILD_ONLY_TOOLS = ("pip", "pip3", "uv", "gcc", "cc")
ARTICLE_LINK = re.compile(r'href="/([a-z0-9][a-z0-9-]*)"')

# Run inside the final image: which build-only packages and tools it holds, as whom it runs, which
# package manager caches or indexes it keeps, and which Python files of ours it holds uncompiled.
INSPECT_IMAGE = """
import glob, importlib.util, json, os, shutil
dirs = glob.glob("/usr/local/lib/python3*/site-packages") + glob.glob("/usr/lib/python3*/site-packages") \
    + glob.glob("/usr/lib/python3/dist-packages") + glob.glob("/opt/*/lib/python3*/site-packages")
names = {entry.split("-")[0].removesuffix(".py").lower() for d in dirs for entry in os.listdir(d)}
caches = [p for p in glob.glob("/root/.cache/*") + glob.glob("/var/lib/apt/lists/*") + glob.glob("/var/cache/apt/*")
          if os.path.isfile(p) and not p.endswith("/lock")]
ours = glob.glob("/app/server/**/*.py", recursive=True) \
    + glob.glob("/opt/*/lib/python3*/site-packages/**/*.py", recursive=True)
uncompiled = [p for p in ours if not os.path.exists(importlib.util.cache_from_source(p))]
print(json.dumps({"names": sorted(names), "dirs": dirs, "uid": os.getuid(), "caches": caches,
                  "python_files": len(ours), "uncompiled": uncompiled,
                  "tools": [t for t in TOOLS if shutil.which(t)]}))
""".replace("TOOLS", repr(BUILD_ONLY_TOOLS))

# Run inside an image: the names of assets.zip's entries that contain a text.
ZIP_GREP = """
import sys, zipfile
with zipfile.ZipFile("/app/server/assets.zip") as z:
    print("\\n".join(n for n in z.namelist() if sys.argv[1].encode() in z.read(n)))
"""


def minimal_image_module() -> ModuleType:
    """docker/minimal/image.py: the ENV and HEALTHCHECK the minimal tree was verified with."""
    spec = importlib.util.spec_from_file_location("eblog_minimal_image", ROOT / "docker" / "minimal" / "image.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MINIMAL = minimal_image_module()


def pick_port() -> int:
    """8080 as the image says; another free port only if something on this host holds 8080."""
    return 8080 if port_is_free(8080, "0.0.0.0") else free_port()


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def get(url: str, encoding: str = "identity") -> Answer:
    request = urllib.request.Request(url, headers={"Accept-Encoding": encoding})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return Answer(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


@dataclass(frozen=True)
class Container:
    name: str
    url: str
    seconds_to_first_answer: float


def start(docker: Engine, image: str, *options: str) -> Container:
    """Run the image on the host network (with more `docker run` options) and wait until /healthz answers."""
    port = pick_port()
    name = f"eblog-test-{RUN_ID}-{len(docker.containers)}"
    docker.containers.append(name)
    # A 1 s health interval (instead of the image's 30 s) so the image's own check shows quickly.
    started = time.monotonic()
    docker(
        "run",
        "--detach",
        "--name",
        name,
        "--network",
        "host",
        "--env",
        f"PORT={port}",
        "--health-interval",
        "1s",
        *options,
        image,
    )
    url = f"http://127.0.0.1:{port}"
    while time.monotonic() < started + 30:
        try:
            if get(url + "/healthz").status == 200:
                return Container(name, url, time.monotonic() - started)
        except OSError:
            time.sleep(0.05)
    logs = docker("logs", name, check=False)
    pytest.fail(f"{image} did not answer /healthz within 30 s:\n{logs.stdout}{logs.stderr}")


def inspect(docker: Engine, image: str) -> Any:
    return json.loads(docker("image", "inspect", image).stdout)[0]


def zip_grep(docker: Engine, image: str, text: str) -> list[str]:
    result = docker("run", "--rm", "--network", "none", "--entrypoint", "python", image, "-c", ZIP_GREP, text)
    return result.stdout.split()


def not_cached(steps: list[Step]) -> list[str]:
    return [f"[{s.stage} {s.number}] {s.instruction[:60]}" for s in steps if not s.cached]


def cached(steps: list[Step]) -> list[str]:
    return [f"[{s.stage} {s.number}] {s.instruction[:60]}" for s in steps if s.cached]


def steps_with(log: BuildLog, stage: str, *fragments: str) -> list[Step]:
    return [log.step(stage, fragment) for fragment in fragments]


def split_at(steps: list[Step], instruction_start: str) -> tuple[list[Step], list[Step]]:
    """The steps before the one starting with instruction_start, and that one with those after it."""
    index = next(i for i, s in enumerate(steps) if s.instruction.startswith(instruction_start))
    return steps[:index], steps[index:]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files git knows, and a .git whose HEAD is this checkout's commit (workshop.source)."""
    return copy_tree(tmp_path_factory.mktemp("docker") / "eblog")


@pytest.fixture(scope="module")
def first(docker: Engine, workspace: Path, figures: list[str]) -> Build:
    build = docker.build(workspace, f"eblog-test-{RUN_ID}:first")
    figures.append(
        f"first build: {build.seconds:.1f} s ({len(cached(build.log.steps))} of {len(build.log.steps)} "
        "steps cached; cold only if the engine's build cache was empty)"
    )
    return build


@pytest.fixture(scope="module")
def minimal(docker: Engine, workspace: Path, first: Build, figures: list[str]) -> Build:
    """The minimal variant, built after the slim one from the same workspace: the shared stages are cached."""
    build = docker.build(workspace, f"eblog-test-{RUN_ID}:minimal", build_args=MINIMAL_ARGS)
    figures.append(
        f"minimal build after the slim one: {build.seconds:.1f} s "
        f"({len(cached(build.log.steps))} of {len(build.log.steps)} steps cached)"
    )
    return build


@pytest.fixture(scope="module", params=["run", "minimal"])
def image(request: pytest.FixtureRequest) -> Build:
    """Each target in turn, for the checks both images must pass alike."""
    build: Build = request.getfixturevalue("first" if request.param == "run" else "minimal")
    return build


@pytest.fixture(scope="module")
def after_article_edit(docker: Engine, workspace: Path, first: Build, figures: list[str]) -> tuple[Build, str]:
    """One article edited (the first whose page is in the site), then rebuilt."""
    pages = set(zip_grep(docker, first.tag, ""))
    article = next(p for p in sorted((workspace / "articles").glob("*.md")) if f"{p.stem}.html" in pages)
    marker = f"eblog-docker-test-{RUN_ID}"
    article.write_text(article.read_text() + f"\n\nEdited by the Docker test: {marker}.\n")
    build = docker.build(workspace, f"eblog-test-{RUN_ID}:article")
    figures.append(f"after an article edit: {build.seconds:.1f} s (first build {first.seconds:.1f} s)")
    return build, marker


@pytest.fixture(scope="module")
def after_server_edit(
    docker: Engine, workspace: Path, after_article_edit: tuple[Build, str], figures: list[str]
) -> Build:
    main = workspace / "server" / "__main__.py"
    # Unique per run: an edit the build cache has seen before would be a cache hit, not an edit.
    main.write_text(main.read_text() + f"\n# Edited by the Docker test, run {RUN_ID}.\n")
    build = docker.build(workspace, f"eblog-test-{RUN_ID}:server")
    figures.append(f"after a server code edit: {build.seconds:.1f} s")
    return build


@pytest.fixture(scope="module")
def served(docker: Engine, image: Build) -> Iterator[Container]:
    container = start(docker, image.tag)
    yield container
    docker("rm", "--force", container.name, check=False)


def test_home_page_and_an_article_in_both_encodings(served: Container) -> None:
    commit = head_commit()
    home = get(served.url + "/")
    assert home.status == 200 and home.headers["content-type"].startswith("text/html")
    articles = sorted(set(ARTICLE_LINK.findall(home.body.decode())) - {"tags"})
    assert articles, "the home page links no article"
    for path in ("/", f"/{articles[0]}"):
        plain = get(served.url + path)
        packed = get(served.url + path, "gzip")
        assert plain.status == packed.status == 200, path
        assert plain.headers.get("content-encoding", "identity") == "identity", path
        assert packed.headers.get("content-encoding") == "gzip", path
        assert gzip.decompress(packed.body) == plain.body and b"<html" in plain.body, path
        assert plain.headers.get("x-eblog-commit") == packed.headers.get("x-eblog-commit") == commit, path


def test_healthz_and_the_image_healthcheck(docker: Engine, served: Container) -> None:
    health = get(served.url + "/healthz")
    assert health.status == 200
    assert json.loads(health.body)["commit"] == head_commit(), "the commit git resolves for HEAD"
    assert health.headers.get("x-eblog-commit") == head_commit()
    deadline = time.monotonic() + 30
    while (
        status := docker("inspect", "--format", "{{.State.Health.Status}}", served.name).stdout.strip()
    ) != "healthy":
        assert status in ("starting", "") and time.monotonic() < deadline, f"HEALTHCHECK says {status!r}"
        time.sleep(0.5)


def test_sigterm_stops_the_server_within_the_grace_period(docker: Engine, image: Build, figures: list[str]) -> None:
    container = start(docker, image.tag)
    boot = re.search(r"boot (\d+) ms", docker("logs", container.name).stdout)
    target = "minimal" if image.tag.endswith(":minimal") else "run"
    figures.append(
        f"{target}: docker run to the first 200 from /healthz: {container.seconds_to_first_answer:.2f} s "
        f"(the server's own boot: {boot[1] if boot else '?'} ms)"
    )
    started = time.monotonic()
    # docker stop sends SIGTERM, then SIGKILL after 10 s: exit code 0 (not 137) means the
    # server, as PID 1, got the SIGTERM and shut down by itself.
    docker("stop", "--time", "10", container.name, timeout=30)
    figures.append(f"{target}: docker stop (SIGTERM) took {time.monotonic() - started:.2f} s")
    state = json.loads(docker("inspect", "--format", "{{json .State}}", container.name).stdout)
    assert (state["Running"], state["ExitCode"]) == (False, 0), state


def test_read_only_without_capabilities_as_any_user_with_two_workers(docker: Engine, image: Build) -> None:
    """As README's Deploy section runs it, plus WORKERS=2: the supervisor and its workers need nothing more."""
    locked = ("--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--user", "4242:4242")
    container = start(docker, image.tag, *locked, "--env", "WORKERS=2")
    try:
        host = json.loads(docker("inspect", "--format", "{{json .HostConfig}}", container.name).stdout)
        assert (host["ReadonlyRootfs"], host["CapDrop"], host["SecurityOpt"]) == (True, ["ALL"], ["no-new-privileges"])
        home = get(container.url + "/")
        packed = get(container.url + "/", "gzip")
        assert home.status == packed.status == 200 and gzip.decompress(packed.body) == home.body
        assert get(container.url + "/livez").status == 200
        processes = docker("top", container.name, "-o", "pid,user,args").stdout.splitlines()[1:]
        servers = [line.split() for line in processes if "-m server" in line]
        assert len(servers) == 3, processes  # the supervisor and two workers
        assert all(fields[1] == "4242" for fields in servers), processes
        # docker stop: SIGTERM to the supervisor, the workers drain (5 s) and all exit 0.
        docker("stop", "--time", "15", container.name, timeout=40)
        state = json.loads(docker("inspect", "--format", "{{json .State}}", container.name).stdout)
        assert (state["Running"], state["ExitCode"]) == (False, 0), state
        logs = docker("logs", container.name).stdout
        assert logs.count("eblog: serving ") == 2, logs
    finally:
        docker("rm", "--force", container.name, check=False)


def test_final_image_holds_only_what_serving_needs(docker: Engine, first: Build) -> None:
    config = inspect(docker, first.tag)["Config"]
    assert config["User"] not in ("", "root", "0", "0:0")
    assert "8080/tcp" in config["ExposedPorts"]
    assert config["Entrypoint"][:3] == ["python", "-m", "server"], "exec form, the server as PID 1"
    assert config["Healthcheck"]["Test"][0] == "CMD", "exec-form HEALTHCHECK"
    result = docker("run", "--rm", "--network", "none", "--entrypoint", "python", first.tag, "-c", INSPECT_IMAGE)
    found = json.loads(result.stdout)
    assert any(d.startswith("/opt/") for d in found["dirs"]), found["dirs"]
    assert "starlette" in found["names"] and "uvicorn" in found["names"]
    assert sorted(BUILD_ONLY_PACKAGES & set(found["names"])) == []
    assert found["tools"] == []
    assert found["uid"] != 0
    assert found["caches"] == [], "package manager caches or indexes left in the image"
    assert found["python_files"] > 50 and found["uncompiled"] == [], (
        "the server and its packages compiled at build time"
    )
    history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", first.tag).stdout.splitlines()
    assert "assets.zip" in history[0], f"the last layer should be assets.zip: {history[0]}"


def test_final_image_adds_little_to_its_base(docker: Engine, first: Build, figures: list[str]) -> None:
    final, base = inspect(docker, first.tag)["Size"], inspect(docker, BASE_IMAGE)["Size"]
    lookalike = (
        "look-alike"
        if (inspect(docker, BASE_IMAGE)["Config"]["Labels"] or {}).get("org.eblog.lookalike")
        else "official"
    )
    figures.append(
        f"image sizes: final {final / MB:.1f} MB, base {BASE_IMAGE} ({lookalike}) {base / MB:.1f} MB, "
        f"added {(final - base) / MB:.1f} MB"
    )
    assert final - base <= MAX_ADDED_BYTES


def test_article_edit_reruns_only_the_steps_after_the_articles(
    docker: Engine, first: Build, after_article_edit: tuple[Build, str]
) -> None:
    build, marker = after_article_edit
    assert not_cached(build.log.stage("tooling")) == [], "dependency and tool layers must come from the cache"
    assert not_cached(steps_with(build.log, "tooling", "--only-group serve", "--only-group render", "COPY cmd/")) == []
    assert build.log.stage("test") == [], "the image waits for no test: the suite is `--target test`'s"
    before, after = split_at(build.log.stage("builder"), "COPY articles/")
    assert not_cached(before) == [], "the server module the tools import is the same"
    assert cached(after) == [], "every step from the articles' COPY on must run again"
    assert not_cached(build.log.stage("server")) == [], "an article edit must not recompile the server"
    assert not_cached(build.log.stage("commit")) == [], "an article edit must not rerun the commit stage"
    assert not_cached(build.log.stage("run-base")) == [], "nor the base of the image"
    kept, _ = split_at(build.log.stage("run"), "COPY --from=builder /out/assets.zip")
    assert not_cached(kept) == []
    assert not build.log.step("run", "COPY --from=builder /out/assets.zip").cached
    old, new = inspect(docker, first.tag)["RootFS"]["Layers"], inspect(docker, build.tag)["RootFS"]["Layers"]
    assert old[:-1] == new[:-1] and old[-1] != new[-1], "an article edit changes only the last layer"
    assert zip_grep(docker, build.tag, marker), "the edited article is not in the new assets.zip"


def test_server_edit_reruns_only_the_server_stage_and_the_last_layers(docker: Engine, after_server_edit: Build) -> None:
    build = after_server_edit
    assert not_cached(build.log.stage("tooling")) == [], "dependency and tool layers must come from the cache"
    assert not_cached(steps_with(build.log, "tooling", "--only-group serve", "--only-group render", "COPY cmd/")) == []
    assert build.log.stage("test") == [], "the image waits for no test: the suite is `--target test`'s"
    assert not_cached(build.log.stage("builder")) == [], "the site needs the tools, not the server: no render"
    assert not build.log.step("server", "COPY server/").cached
    assert not_cached(build.log.stage("run-base")) == [], "the image's dependency layer must come from the cache"
    kept, rerun = split_at(build.log.stage("run"), "COPY --from=server /app/server/")
    assert not_cached(kept) == []
    assert not rerun[0].cached


FAILING_TEST = """
def test_fails_on_purpose() -> None:
    assert 1 + 1 == 3, "failed on purpose by the Docker test"
"""


def test_the_test_target_runs_the_suite_and_a_failing_test_fails_it(
    docker: Engine, tmp_path: Path, after_server_edit: Build
) -> None:
    """The suite is off the image's path, not gone: `--target test` runs it, and one failure fails the build."""
    tree = copy_tree(tmp_path / "eblog")
    (tree / "tests" / "tools" / "test_fails_on_purpose.py").write_text(FAILING_TEST)
    build = docker.build(tree, f"eblog-test-{RUN_ID}:tests", target="test", check=False)
    assert not build.image, "a failing test must fail the test target"
    summary = re.search(r"(\d+) failed, (\d+) passed", build.log.text)
    assert summary, build.log.text[-3000:]
    failed, passed = int(summary[1]), int(summary[2])
    assert failed == 1 and "test_fails_on_purpose.py::test_fails_on_purpose" in build.log.text
    assert passed > 1000, f"only {passed} tests ran in the test stage"


def test_without_git_the_commit_is_unknown(
    docker: Engine, tmp_path: Path, after_server_edit: Build, workspace: Path
) -> None:
    """A source tarball has no .git: the build still works and the server reports "unknown"."""
    tarball = shutil.copytree(workspace, tmp_path / "eblog", ignore=shutil.ignore_patterns(".git"))
    build = docker.build(tarball, f"eblog-test-{RUN_ID}:nogit")
    commit = docker("run", "--rm", "--network", "none", "--entrypoint", "cat", build.tag, "/app/server/commit.txt")
    assert commit.stdout.strip() == "unknown"
    assert not_cached(build.log.stage("tooling")) == []


# The warning as the render step prints it: BuildKit's plain log gives each output line "#STEP SECONDS "
# first, so the RUN instruction, which contains the same text, does not match.
WARNING = re.compile(
    r"^#\d+ \d+\.\d+ eblog: warning: the feeds and sitemap point to http://localhost:8080; "
    r".*--build-arg EBLOG_BASE_URL=",
    re.M,
)


def test_the_default_base_url_warns_and_names_the_build_arg(
    docker: Engine, after_article_edit: tuple[Build, str], workspace: Path
) -> None:
    build, _ = after_article_edit  # its render step ran (an article changed), so its output is in the log
    assert WARNING.search(build.log.text), build.log.text[-3000:]
    with_url = docker.build(
        workspace, f"eblog-test-{RUN_ID}:base-url", build_args={"EBLOG_BASE_URL": "https://blog.example.org"}
    )
    assert "eblog: warning:" in with_url.log.text, "the render step ran (its instruction is in the log)"
    assert not WARNING.search(with_url.log.text)
    assert zip_grep(docker, with_url.tag, "https://blog.example.org/") != []


def test_source_commit_wins_and_reruns_only_the_commit_stage(
    docker: Engine, after_server_edit: Build, workspace: Path
) -> None:
    """Built from a worktree or an export, .git says nothing useful: SOURCE_COMMIT says the commit."""
    given = "0123456789abcdef0123456789abcdef01234567"
    build = docker.build(workspace, f"eblog-test-{RUN_ID}:given", build_args={"SOURCE_COMMIT": given})
    commit = docker("run", "--rm", "--network", "none", "--entrypoint", "cat", build.tag, "/app/server/commit.txt")
    assert commit.stdout.strip() == given
    assert not_cached(build.log.stage("builder")) == [], "a commit given by argument reruns no build step"


# Run on the site's cache mount: what a build that died half-way, or another version of the tools,
# can leave there: pages, but no render cache listing them.
FORGET_RENDER_CACHE = """FROM python:3.13-slim-trixie
ARG BUST
RUN --mount=type=cache,id=eblog-site,target=/tmp/site,sharing=locked \\
    test -f /tmp/site/.eblog/render-cache.marshal && rm /tmp/site/.eblog/render-cache.marshal
"""


def test_a_deleted_article_leaves_no_page_in_the_next_image(
    docker: Engine, tmp_path: Path, after_server_edit: Build, workspace: Path
) -> None:
    """The rendered site lives in a cache mount shared by every build on the engine. Delete an article,
    rebuild: its page must be gone from the zip, even when the mount has lost its bookkeeping."""
    tree = shutil.copytree(workspace, tmp_path / "eblog", symlinks=True)
    before = docker.build(tree, f"eblog-test-{RUN_ID}:before-delete")
    pages = set(zip_grep(docker, before.tag, ""))
    article = next(p for p in sorted((tree / "articles").glob("*.md")) if f"{p.stem}.html" in pages)
    forget = tmp_path / "forget"
    forget.mkdir()
    (forget / "Dockerfile").write_text(FORGET_RENDER_CACHE)
    sabotage = docker.build(forget, f"eblog-test-{RUN_ID}:forget", build_args={"BUST": uuid.uuid4().hex}, check=False)
    assert sabotage.image, (
        f"the render cache is no longer where this test looks: update it\n{sabotage.log.text[-2000:]}"
    )
    article.unlink()
    after = docker.build(tree, f"eblog-test-{RUN_ID}:after-delete")
    left = set(zip_grep(docker, after.tag, ""))
    assert f"{article.stem}.html" not in left, "the deleted article's page reached the new image"
    assert left == pages - {f"{article.stem}.html"} - {n for n in pages - left if n.startswith("tags/")}, (
        "only the deleted page (and tag pages only it had) went"
    )


def exported_files(docker: Engine, tag: str) -> dict[str, bytes | None]:
    """The image's file system, from `docker export` of a container never started: path ->
    content for regular files (None for the rest). Nothing runs inside, which is the point:
    there is no shell or interpreter command line to ask."""
    name = f"eblog-test-{RUN_ID}-export"
    docker.containers.append(name)
    docker("create", "--name", name, tag)
    exported = subprocess.run(
        [docker.client, "export", name], env=docker.env, capture_output=True, timeout=120, check=True
    )
    docker("rm", name)
    files: dict[str, bytes | None] = {}
    with tarfile.open(fileobj=io.BytesIO(exported.stdout)) as tar:
        for member in tar:
            reader = tar.extractfile(member) if member.isfile() else None
            files["/" + member.name.removeprefix("./")] = reader.read() if reader else None
    return files


def test_minimal_image_is_small_and_holds_no_shell_nor_pip(
    docker: Engine, first: Build, minimal: Build, figures: list[str]
) -> None:
    size, slim = inspect(docker, minimal.tag)["Size"], inspect(docker, first.tag)["Size"]
    figures.append(f"image sizes: minimal {size / MB:.1f} MB, slim {slim / MB:.1f} MB ({slim / size:.1f}x)")
    assert size <= MAX_MINIMAL_BYTES
    files = exported_files(docker, minimal.tag)
    assert [p for p in files if p.rsplit("/", 1)[-1] in SHELLS] == [], "a shell in the minimal image"
    depth = MINIMAL.PACKAGES.count("/") + 1
    names = {p.split("/")[depth].removesuffix(".py") for p in files if p.startswith(MINIMAL.PACKAGES + "/")}
    assert {"starlette", "uvicorn", "uvloop", "httptools"} <= names, names
    assert sorted(names & BUILD_ONLY_PACKAGES) == [], "pip or a build-only package in the minimal image"
    assert [p for p in files if any(part in ("pip", "uv") or part.startswith("pip-") for part in p.split("/"))] == []
    assert files["/app/server/assets.zip"] and "/app/server/__main__.py" in files


def test_minimal_image_is_configured_as_the_slim_one(docker: Engine, first: Build, minimal: Build) -> None:
    config, slim = inspect(docker, minimal.tag)["Config"], inspect(docker, first.tag)["Config"]
    assert config["User"] == slim["User"] and config["User"].split(":")[0] not in ("", "root", "0")
    assert config["ExposedPorts"] == slim["ExposedPorts"] == {"8080/tcp": {}}
    assert config["Entrypoint"] == slim["Entrypoint"] == ["python", "-m", "server"]
    assert config["Healthcheck"] == slim["Healthcheck"]
    assert config["Healthcheck"]["Test"] == ["CMD", *MINIMAL.HEALTHCHECK], (
        "the HEALTHCHECK the build verified (docker/minimal/image.py) must be the image's"
    )
    assert sorted(config["Env"]) == sorted(f"{k}={v}" for k, v in MINIMAL.IMAGE_ENV.items()), (
        "the ENV the build verified the tree with (docker/minimal/image.py) must be the image's"
    )
    history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", minimal.tag).stdout.splitlines()
    assert "assets.zip" in history[0], f"the last layer should be assets.zip: {history[0]}"


# Run inside the minimal image: what `import ssl` gives there, and what asking it for TLS does.
TRY_TLS = """
import ssl
try:
    ssl.create_default_context()
except ssl.SSLError as error:
    print(ssl.OPENSSL_VERSION, "|", error)
"""


def test_minimal_image_has_no_openssl_and_its_ssl_refuses_tls(docker: Engine, minimal: Build) -> None:
    """docker/minimal/nossl.py stands in for `ssl`: OpenSSL's libraries and modules are not in the
    tree, and a TLS context fails at once with an error naming why, not with a missing library."""
    files = exported_files(docker, minimal.tag)
    openssl = [p for p in files if re.search(r"/lib(ssl|crypto)\.so|/_(ssl|hashlib)\.cpython", p)]
    assert openssl == [], openssl
    assert not any(p.startswith("/etc/ssl/") for p in files), "a CA bundle with no TLS to use it"
    run = ("run", "--rm", "--network", "none", "--entrypoint", "python", minimal.tag, "-c")
    result = docker(*run, TRY_TLS)
    assert result.stdout == (
        "none: this image has no TLS (docker/minimal/nossl.py) | this image has no TLS: "
        "eblog's minimal image serves plain HTTP (docker/minimal/nossl.py)\n"
    )
    hashes = docker(*run, "import hashlib; print(hashlib.blake2b(b'eblog', digest_size=4).hexdigest())")
    assert hashes.stdout == "99a7a00a\n", "hashlib without OpenSSL: its built-in blake2b, as the ETags use"


def test_minimal_build_fails_when_the_tree_misses_a_module(
    docker: Engine, tmp_path: Path, workspace: Path, minimal: Build
) -> None:
    """The verify step is what stands between a missing module and a user: with the trace made to
    forget email.utils (the server imports it at start-up), the build must fail there, naming it."""
    tree = shutil.copytree(workspace, tmp_path / "eblog")
    hook = tree / "docker" / "minimal" / "hook" / "sitecustomize.py"
    recorded = "if name != __name__:"
    assert recorded in hook.read_text(), "the hook changed: update this sabotage"
    hook.write_text(hook.read_text().replace(recorded, "if name not in (__name__, 'email.utils'):"))
    build = docker.build(tree, f"eblog-test-{RUN_ID}:sabotaged", build_args=MINIMAL_ARGS, check=False)
    log = build.log.text
    assert not build.image, "a tree without email.utils was accepted"
    assert "smoke (verify): FAILED" in log and "No module named 'email.utils'" in log, log[-3000:]
