"""`prep` and `load`: everything a room needs, as one file, so that nobody pulls from a registry or PyPI.

    ./scripts/workshop prep [--output eblog-workshop.tar]   the teacher, the day before (needs the network)
    ./scripts/workshop load FILE                            each attendee, from a USB stick or a share

The file is a tar of: images.tar (`docker save` of both base images, with the room's certificate
authority added, and of every step of the progression, tagged eblog-workshop:STEP), wheels/ (every
wheel uv.lock lists for Linux, and uv's own, each checked against its hash), mirror/ (every other
download the steps' builds made: pip's index page for uv, Debian's lists and binutils, kept by the
room's mirror while `prep` built them cold, and the mirror's certificate), eblog.bundle (`git
bundle` of this commit, for a laptop with no checkout yet) and manifest.json (what is inside, with
sizes and hashes). `load` checks the hashes, `docker load`s the images, unpacks the rest into
.workshop/ and starts the mirror (workshop/mirror.py), through which every build then downloads.
"""

import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import tomllib
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from workshop import mirror, trust
from workshop.engine import REPO, DockerError, Engine, run_script
from workshop.source import copy_tree, describe, git
from workshop.steps import BASE_IMAGES, STEPS

IMAGE_PREFIX = "eblog-workshop"
UNPACKED = mirror.ROOM
LINUX_WHEEL = re.compile(r"-(?:cp3\d+|py3|py2\.py3|abi3)[^-]*-[^-]+-(?:any|(?:many|musl)linux[^.]*)\.whl$")


def wheels_of_the_lock(lock: Path) -> list[tuple[str, str]]:
    """(url, sha256) of every Linux (or pure Python) wheel uv.lock lists."""
    found = []
    for package in tomllib.loads(lock.read_text())["package"]:
        for wheel in package.get("wheels", []):
            name = wheel["url"].rsplit("/", 1)[1]
            if LINUX_WHEEL.search(name) or name.endswith("-none-any.whl"):
                found.append((wheel["url"], wheel["hash"].removeprefix("sha256:")))
    return found


def uv_wheels(requirements: Path) -> list[str]:
    """The sha256 hashes docker/uv-requirements.txt pins uv's wheels to."""
    return re.findall(r"--hash=sha256:([0-9a-f]{64})", requirements.read_text())


def download(url: str, sha256: str, folder: Path) -> Path:
    path = folder / url.rsplit("/", 1)[1]
    data = urllib.request.urlopen(url, timeout=120).read()  # noqa: S310 (the lock's https URLs)
    if hashlib.sha256(data).hexdigest() != sha256:
        raise DockerError(f"{url}: sha256 differs from the lock's; nothing written")
    path.write_bytes(data)
    return path


def uv_wheel_urls(hashes: list[str]) -> list[tuple[str, str]]:
    """uv's pinned wheels, found on the package index's simple page (PEP 503) by their hashes."""
    with urllib.request.urlopen("https://pypi.org/simple/uv/", timeout=60) as response:
        page = response.read().decode()
    found = []
    for href in re.findall(r'href="([^"]+)"', page):
        url, _, fragment = html.unescape(href).partition("#sha256=")
        if fragment in hashes:
            found.append((urllib.parse.urljoin("https://pypi.org/simple/uv/", url), fragment))
    if len(found) != len(hashes):
        raise DockerError(
            f"the package index lists {len(found)} of the {len(hashes)} uv wheels uv-requirements.txt pins"
        )
    return found


def build_images(engine: Engine, scratch: Path, proxy: dict[str, str]) -> list[str]:
    """Every step, built cold from a copy of this tree through the proxy and tagged eblog-workshop:STEP."""
    tree = copy_tree(scratch / "eblog")
    tags = []
    for step in STEPS:
        tag = f"{IMAGE_PREFIX}:{step.name}"
        args = {**proxy, **dict(step.build_args)}
        engine.build(tree, tag, dockerfile=step.dockerfile, build_args=args, options=("--no-cache",))
        tags.append(tag)
    engine.images.clear()  # they are the bundle's: kept
    return tags


def trusting_bases(engine: Engine, ca: Path) -> tuple[dict[str, str], list[str]]:
    """Tag each base image's name on a copy that trusts the room's authority; the ids the names had, and the copies'."""
    before, copies = {}, []
    for variant, tag in BASE_IMAGES.items():
        run_script("base-image", variant, env=engine.env)
        before[tag] = engine("image", "inspect", "--format", "{{.Id}}", tag).stdout.strip()
        copies.append(trust.trust_in_image(engine, tag, ca))
        engine("tag", copies[-1], tag)
    return before, copies


def record_the_room(engine: Engine, content: Path) -> tuple[list[str], mirror.Tally]:
    """Build every step cold with the mirror recording, on base images that trust it; the step tags.

    The bundle gets the trusting base images; this engine gets its own base images back after.
    """
    folder = content / "mirror"
    folder.mkdir()
    trust.make_certificates(folder)
    server = mirror.room_server(content, recording=True)
    server.start()
    before, copies = trusting_bases(engine, folder / trust.CA_FILE)
    try:
        with tempfile.TemporaryDirectory(prefix="eblog-workshop-build-") as scratch:
            tags = build_images(engine, Path(scratch), server.build_args())
        engine("save", "--output", str(content / "images.tar"), *BASE_IMAGES.values(), *tags, timeout=1800)
    finally:
        server.shutdown()
        for tag, image in before.items():
            engine("tag", image, tag)
        engine("rmi", *copies, check=False)  # saved in the file; the test checks they are gone
    return [*BASE_IMAGES.values(), *tags], server.tally


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def bundle_refs() -> list[str]:
    """HEAD, and the branch it is on if any: a clone of the bundle then has that branch, not a detached HEAD."""
    where = ["git", "-C", str(REPO), "symbolic-ref", "-q", "HEAD"]
    branch = subprocess.run(where, capture_output=True, text=True, check=False)
    return ["HEAD", branch.stdout.strip()] if branch.returncode == 0 else ["HEAD"]


def prep(engine: Engine, output: Path) -> dict[str, Any]:
    """Write the room's file to output (through a temporary name: a half-written file never has its name)."""
    with tempfile.TemporaryDirectory(prefix="eblog-workshop-prep-") as scratch_name:
        content = Path(scratch_name) / "content"
        wheels = content / "wheels"
        wheels.mkdir(parents=True)
        uv_pins = uv_wheels(REPO / "docker" / "uv-requirements.txt")
        for url, sha256 in wheels_of_the_lock(REPO / "uv.lock") + uv_wheel_urls(uv_pins):
            download(url, sha256, wheels)
        tags, tally = record_the_room(engine, content)
        if tally.tunnelled:
            hosts = ", ".join(sorted(set(tally.tunnelled)))
            raise DockerError(f"the builds reached {hosts}, which the room's mirror cannot keep for them")
        git("bundle", "create", str(content / "eblog.bundle"), *bundle_refs())
        files = sorted(p for p in content.rglob("*") if p.is_file())
        manifest = {
            "source": describe(None)[0],
            "images": tags,
            "mirror": tally.served,
            "files": {str(p.relative_to(content)): {"size": p.stat().st_size, "sha256": sha256_of(p)} for p in files},
        }
        (content / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w") as tar:
            for path in [content / "manifest.json", *files]:
                tar.add(path, arcname=str(path.relative_to(content)))
        os.replace(partial, output)
    return manifest


def load(engine: Engine, bundle: Path, into: Path = UNPACKED) -> dict[str, Any]:
    """Unpack bundle (into .workshop/), check every hash, `docker load` the images, keep the wheels."""
    if not tarfile.is_tarfile(bundle):
        raise DockerError(f"{bundle}: not a file `./scripts/workshop prep` wrote (not a tar)")
    staging = into.with_name(into.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(bundle) as tar:
        tar.extractall(staging, filter="data")
    try:
        manifest: dict[str, Any] = json.loads((staging / "manifest.json").read_text())
    except (OSError, ValueError) as error:
        raise DockerError(f"{bundle}: no readable manifest.json ({error})") from None
    for name, expected in manifest["files"].items():
        if sha256_of(staging / name) != expected["sha256"]:
            raise DockerError(f"{bundle}: {name} is damaged (its sha256 differs from the manifest's); copy it again")
    engine("load", "--input", str(staging / "images.tar"), timeout=1800)
    (staging / "images.tar").unlink()  # in the engine now
    shutil.rmtree(into, ignore_errors=True)
    staging.rename(into)
    missing = [tag for tag in manifest["images"] if engine("image", "inspect", tag, check=False).returncode != 0]
    if missing:
        raise DockerError(f"{bundle}: loaded, but the engine does not have {', '.join(missing)}")
    return manifest


def wheel_count(manifest: dict[str, Any]) -> int:
    return sum(name.startswith("wheels/") for name in manifest["files"])


def describe_load(manifest: dict[str, Any], address: str) -> str:
    """load's one line: what the engine now has, and where the builds' downloads come from."""
    kept = sum(name.startswith("mirror/") for name in manifest["files"])
    return (
        f"loaded {len(manifest['images'])} images ({', '.join(manifest['images'])}), {wheel_count(manifest)} wheels "
        f"and {kept} other files into {UNPACKED.relative_to(REPO)}/, from {manifest['source']}; the room's mirror "
        f"answers on {address}, and every build downloads through it"
    )
