"""The Docker engine scripts/docker-env finds or starts, and one client wrapper for everything that drives it.

The benchmarks, the Docker tests and `scripts/workshop` all go through Engine: it runs the client
docker-env chose (one that builds with BuildKit), adds `--network host` to builds on an engine
without a bridge network, times builds while watching for other builds on the machine, and
removes only what it created.
"""

import os
import re
import shlex
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from workshop.buildlog import BuildLog
from workshop.mirror import room_mirror_args

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = REPO / "scripts"


class DockerError(Exception):
    """A docker command failed, or no engine can be had; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    """What `scripts/docker-env start` prints: the client, its environment, and what it started."""

    client: str
    env: dict[str, str]
    network: str  # "bridge", or "host" on an engine without a bridge network
    started_pid: str  # the dockerd docker-env started for this call, or ""


def parse_settings(output: str) -> Settings:
    """docker-env's `export KEY=VALUE` lines (shell-quoted) as a Settings."""
    values: dict[str, str] = {}
    for line in output.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            key, value = words[1].split("=", 1)
            values[key] = value
    if "EBLOG_DOCKER" not in values:
        raise DockerError(f"scripts/docker-env printed no EBLOG_DOCKER line: {output[-500:]!r}")
    env = {**os.environ, **{k: v for k, v in values.items() if k != "EBLOG_DOCKERD_PID"}}
    return Settings(
        values["EBLOG_DOCKER"], env, values.get("EBLOG_DOCKER_NETWORK", "bridge"), values.get("EBLOG_DOCKERD_PID", "")
    )


def run_script(name: str, *args: str, env: dict[str, str] | None = None, timeout: float = 3600) -> str:
    """One of scripts/, its stdout; a failure raises DockerError with the end of its stderr."""
    result = subprocess.run(
        [str(SCRIPTS / name), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise DockerError(f"scripts/{name} {' '.join(args)} failed: {result.stderr.strip()[-2000:]}")
    return result.stdout


def docker_env(mode: str = "start") -> Settings:
    """`start` finds, installs or starts an engine; `check` only finds one (DockerError otherwise)."""
    return parse_settings(run_script("docker-env", mode))


CACHE_BOUND = "10GB"  # what scripts/docker-env's engine keeps of its build cache (BuildKit reads it as GiB)
SIZE_UNITS = {"B": 1, "kB": 1000, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4}


def parse_size(text: str) -> int:
    """A size as `docker system df` prints it ("53GB", "858.8MB", "0B": powers of 1000), in bytes."""
    found = re.fullmatch(r"(\d+(?:\.\d+)?)([kKMGT]?B)", text)
    if not found or found[2] not in SIZE_UNITS:
        raise DockerError(f"not a size docker prints: {text!r}")
    return round(float(found[1]) * SIZE_UNITS[found[2]])


def binary_bytes(text: str) -> int:
    """A bound as `docker builder prune --keep-storage` and BuildKit's collector read it ("10GB" is 10 GiB)."""
    number, unit = text[:-2], text[-2:]
    powers = {"kB": 1, "KB": 1, "MB": 2, "GB": 3, "TB": 4}
    if unit not in powers or not number.isdigit():
        raise DockerError(f"not a bound docker reads: {text!r}")
    return int(number) << (10 * powers[unit])


@dataclass(frozen=True)
class Build:
    tag: str
    image: str  # the image id
    seconds: float
    log: BuildLog
    contended: bool  # another `docker build` ran at some point during this one


def docker_clients() -> list[tuple[int, list[str]]]:
    """Every docker client process running now, with its arguments."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            argv = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if Path(argv[0]).name == "docker":
            found.append((int(proc.name), argv))
    return found


def foreign_builds(ours: int) -> list[int]:
    """PIDs of `docker build` (or `docker buildx build`) clients running now, but for ours."""
    return [pid for pid, argv in docker_clients() if pid != ours and "build" in argv[1:3]]


@dataclass
class Engine:
    """The engine of a Settings, and the images and containers this process created in it."""

    settings: Settings
    images: list[str] = field(default_factory=list)
    containers: list[str] = field(default_factory=list)

    @property
    def client(self) -> str:
        return self.settings.client

    @property
    def env(self) -> dict[str, str]:
        return self.settings.env

    @property
    def network_args(self) -> list[str]:
        """What a build needs here: `--network host` where the engine has no bridge network."""
        return ["--network", "host"] if self.settings.network == "host" else []

    def __call__(self, *args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.client, *args], env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            raise DockerError(
                f"docker {' '.join(args[:4])} failed ({result.returncode}): {(result.stdout + result.stderr)[-3000:]}"
            )
        return result

    def build(
        self,
        context: Path,
        tag: str,
        *,
        dockerfile: str | None = None,
        target: str | None = None,
        build_args: dict[str, str] | None = None,
        options: tuple[str, ...] = (),
        check: bool = True,
    ) -> Build:
        """docker build with BuildKit's plain progress, timed, watching for other builds meanwhile.

        The time is taken by a blocking wait on the client (not a poll); the image is removed by
        cleanup(). A failed build raises DockerError with the end of its log unless check=False.
        Where `./scripts/workshop load` set up the room's mirror, the build's downloads go to it.
        """
        try:
            every_arg = {**room_mirror_args(), **(build_args or {})}
        except OSError as error:
            raise DockerError(str(error)) from None
        with_args = [f"--build-arg={k}={v}" for k, v in every_arg.items()]
        network = ["--network", "host"] if "HTTP_PROXY" in every_arg else self.network_args  # the mirror's 127.0.0.1
        command = [self.client, "build", *network, "--progress", "plain", "--tag", tag, *with_args, *options]
        command += ["--file", str(context / dockerfile)] if dockerfile else []
        command += ["--target", target] if target else []
        seen: list[int] = []
        done = threading.Event()
        started = time.monotonic()
        process = subprocess.Popen(
            [*command, str(context)], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )

        def watch() -> None:
            while not done.wait(0.2):
                seen.extend(foreign_builds(process.pid))

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        output, _ = process.communicate(timeout=3600)
        seconds = time.monotonic() - started
        done.set()
        watcher.join()
        self.images.append(tag)
        if process.returncode != 0:
            if check:
                raise DockerError(f"docker build of {tag} failed:\n{output[-4000:]}")
            return Build(tag, "", seconds, BuildLog(output), bool(seen))
        image = self("image", "inspect", "--format", "{{.Id}}", tag).stdout.strip()
        return Build(tag, image, seconds, BuildLog(output), bool(seen))

    def size(self, image: str) -> int:
        return int(self("image", "inspect", "--format", "{{.Size}}", image).stdout)

    def cleanup(self) -> None:
        """Our containers, then our tags (an image another tag still names is kept: no --force)."""
        if self.containers:
            self("rm", "--force", *self.containers, check=False)
        for name in sorted(set(self.images)):
            self("rmi", name, check=False)
        self.images.clear()
        self.containers.clear()

    def build_cache_bytes(self) -> int:
        """The engine's whole build cache, as `docker system df` counts it."""
        table = self("system", "df", "--format", "{{.Type}}\t{{.Size}}").stdout
        sizes = dict(line.split("\t", 1) for line in table.splitlines() if "\t" in line)
        if "Build Cache" not in sizes:
            raise DockerError(f"docker system df printed no build cache line: {table!r}")
        return parse_size(sizes["Build Cache"].strip())

    def trim_build_cache(self, bound: str = CACHE_BOUND) -> tuple[int, int]:
        """Prune the least recently used build cache down to bound; its size before and after, in bytes."""
        before = self.build_cache_bytes()
        self("builder", "prune", "--force", "--keep-storage", bound, timeout=1800)
        return before, self.build_cache_bytes()

    def stop_started_engine(self) -> None:
        """Stop the dockerd docker-env started for us, unless EBLOG_DOCKER_KEEP=1 keeps it."""
        if self.settings.started_pid and os.environ.get("EBLOG_DOCKER_KEEP") != "1":
            run_script("docker-env", "stop", self.settings.started_pid)
