"""The minimal image against the slim one, both built and run in this command: size, contents,
cold start and throughput.

    python bench/minimal_image.py [--boots 5] [--rounds 3] [--seconds 5] [--connections 64]
                                  [--port 18080] [--keep]

(`python -m bench.minimal_image` is the same.) Builds the Dockerfile's two images, `run` (slim,
the default) and `--build-arg VARIANT=minimal`, from a temporary copy of the working tree, with
the engine and base image of scripts/docker-env and scripts/base-image (the Docker test's
set-up). Then:
- sizes: `docker image inspect` Size of each, and the ratio;
- composition of the minimal image in MB, from `docker export` of a container that never runs:
  interpreter, shared libraries, standard library (bytecode; extension modules), packages,
  server code, assets (assets.zip), other files (/etc);
- cold start: `docker run` to the first 200 on /, the two images taking turns, median of --boots;
- requests/s: wrk (Debian's; one thread on CPU 1) against each container (pinned to CPU 0 with
  --cpuset-cpus), GET / with and without gzip, --seconds each, the two images taking turns for
  --rounds rounds; the median of each, and minimal/slim as the median of the rounds' ratios
  (background load on a shared machine then weighs on both alike).
Containers run with --network host on 127.0.0.1:--port, access log off (the log goes through the
engine's logging driver, whose cost is not the image's). Everything this run tagged is removed
at the end unless --keep. Targets: minimal <= 24 MB (aim 20), cold start no slower than
slim, requests/s within 5% of slim.
"""

import argparse
import io
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from pathlib import Path

if not __package__:  # run as `python bench/minimal_image.py`: import the packages as `python -m` does
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench.server_wrk import first_status
from bench.verdict import verdict
from testing.ports import port_is_free
from testing.wrk import SERVER_CPU, wrk
from workshop.engine import DockerError, Engine, docker_env, run_script
from workshop.source import copy_tree
from workshop.steps import STEPS, Step

MB = 1_000_000
RUN_ID = uuid.uuid4().hex[:8]
IMAGES: dict[str, Step] = {"slim": STEPS[3], "minimal": STEPS[4]}
SCENARIOS = {"GET / gzip": ["Accept-Encoding: gzip"], "GET / identity": []}
PARTS = (
    "interpreter",
    "shared libraries",
    "stdlib bytecode",
    "stdlib extension modules",
    "packages",
    "server code",
    "assets",
    "other",
)


def part_of(path: str, is_elf: bool) -> str:
    """Which part of the image a file of the minimal tree belongs to (see docker/minimal/tree.py)."""
    name = path.rsplit("/", 1)[-1]
    if path == "/app/server/assets.zip":
        return "assets"
    if path.startswith("/app/"):
        return "server code"
    if path.startswith("/opt/serve/packages/"):
        return "packages"
    if "/lib/python3" in path:
        return "stdlib extension modules" if name.endswith(".so") else "stdlib bytecode"
    if "/bin/python" in path and is_elf:
        return "interpreter"
    if ".so" in name or name == "ld.so.cache":
        return "shared libraries"
    return "other"


def composition(engine: Engine, image: str) -> dict[str, int]:
    """Bytes per part, from the image's exported file system (nothing runs in it)."""
    name = f"eblog-minimal-bench-{RUN_ID}-export"
    engine("create", "--name", name, image)
    try:
        exported = subprocess.run(
            [engine.client, "export", name], env=engine.env, capture_output=True, check=True
        ).stdout
    finally:
        engine("rm", name)
    sizes = dict.fromkeys(PARTS, 0)
    with tarfile.open(fileobj=io.BytesIO(exported)) as tar:
        for member in tar:
            if member.isfile():
                head = tar.extractfile(member).read(4)  # type: ignore[union-attr]
                sizes[part_of("/" + member.name.removeprefix("./"), head == b"\x7fELF")] += member.size
    return sizes


class Container:
    """One container of an image on the host network, answering on 127.0.0.1:port."""

    def __init__(self, engine: Engine, image: str, port: int, pinned: bool) -> None:
        self.engine, self.port = engine, port
        self.name = f"eblog-minimal-bench-{RUN_ID}-{uuid.uuid4().hex[:6]}"
        pin = ["--cpuset-cpus", SERVER_CPU] if pinned else []
        started = time.perf_counter()
        engine(
            "run",
            "--detach",
            "--name",
            self.name,
            "--network",
            "host",
            "--env",
            f"PORT={port}",
            "--env",
            "EBLOG_ACCESS_LOG=off",
            *pin,
            image,
        )
        while first_status(port) != 200:
            if time.perf_counter() - started > 30:
                self.remove()
                raise SystemExit(f"minimal_image: {image} gave no 200 on / within 30 s")
            time.sleep(0.002)
        self.seconds_to_first_200 = time.perf_counter() - started

    def remove(self) -> None:
        subprocess.run(
            [self.engine.client, "rm", "--force", self.name], env=self.engine.env, capture_output=True, check=False
        )


def cold_starts(engine: Engine, tags: dict[str, str], port: int, boots: int) -> dict[str, list[float]]:
    seconds: dict[str, list[float]] = {kind: [] for kind in tags}
    for _ in range(boots):
        for kind, tag in tags.items():
            container = Container(engine, tag, port, pinned=False)
            seconds[kind].append(container.seconds_to_first_200)
            container.remove()
    return seconds


def throughput(
    engine: Engine, tags: dict[str, str], port: int, rounds: int, seconds: int, connections: int
) -> dict[str, dict[str, list[float]]]:
    """requests/s per scenario and image, one list entry per round."""
    rps: dict[str, dict[str, list[float]]] = {s: {kind: [] for kind in tags} for s in SCENARIOS}
    for _ in range(rounds):
        for kind, tag in tags.items():
            container = Container(engine, tag, port, pinned=True)
            try:
                wrk(f"http://127.0.0.1:{port}/", connections, 1, [])  # warm-up, not counted
                for scenario, headers in SCENARIOS.items():
                    result = wrk(f"http://127.0.0.1:{port}/", connections, seconds, headers)
                    if result.socket_errors or result.non_2xx_3xx:
                        raise SystemExit(f"minimal_image: {kind} {scenario}: errors in wrk's run: {result}")
                    rps[scenario][kind].append(result.rps)
            finally:
                container.remove()
    return rps


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--boots", type=int, default=5, help="cold starts per image (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="wrk rounds per image (default: %(default)s)")
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run (default: %(default)s)")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections (default: %(default)s)")
    parser.add_argument("--port", type=int, default=18080, help="port on 127.0.0.1 (default: %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the images this run built")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if not port_is_free(args.port):
        print(f"minimal_image: port {args.port} is taken on 127.0.0.1; pass --port", file=sys.stderr)
        return 2
    try:
        engine = Engine(docker_env("start"))
    except DockerError as error:
        print(f"minimal_image: {error}", file=sys.stderr)
        return 1
    try:
        run_script("base-image", "slim", env=engine.env)
        with tempfile.TemporaryDirectory() as scratch:
            tree = copy_tree(Path(scratch) / "eblog")
            tags = {}
            for kind, step in IMAGES.items():
                tags[kind] = f"eblog-minimal-bench-{RUN_ID}:{kind}"
                build = engine.build(tree, tags[kind], dockerfile=step.dockerfile, build_args=dict(step.build_args))
                print(f"built {kind:8} ({step.name}) in {build.seconds:.1f} s", flush=True)
        report(engine, tags, args)
    except DockerError as error:
        print(f"minimal_image: {error}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            engine.images.clear()
        engine.cleanup()
        engine.stop_started_engine()
    return 0


def report(engine: Engine, tags: dict[str, str], args: argparse.Namespace) -> None:
    sizes = {kind: engine.size(tag) for kind, tag in tags.items()}
    print(
        f"\nimage size: slim {sizes['slim'] / MB:.1f} MB, minimal {sizes['minimal'] / MB:.1f} MB "
        f"({sizes['minimal'] / sizes['slim']:.3f} of slim, {sizes['slim'] / sizes['minimal']:.1f}x smaller)  "
        f"target <= 24 MB (aim 20): {verdict(24 * MB / sizes['minimal'], 1.0, at_least=True)}"
    )
    parts = composition(engine, tags["minimal"])
    print("\nminimal image, composition (MB, file bytes):")
    for part in PARTS:
        print(f"  {part:30} {parts[part] / MB:6.2f}")
    print(f"  {'total':30} {sum(parts.values()) / MB:6.2f}")

    starts = cold_starts(engine, tags, args.port, args.boots)
    medians = {kind: statistics.median(s) for kind, s in starts.items()}
    print(f"\ncold start, docker run to the first 200 on / (median of {args.boots}, taking turns):")
    for kind, values in starts.items():
        print(f"  {kind:8} {medians[kind] * 1000:6.0f} ms   runs: {' '.join(f'{v * 1000:.0f}' for v in values)}")
    print(
        f"  minimal/slim {medians['minimal'] / medians['slim']:.3f}  target <= 1.0 (no slower): "
        f"{verdict(medians['slim'] / medians['minimal'], 1.0, at_least=True)}"
    )

    rps = throughput(engine, tags, args.port, args.rounds, args.seconds, args.connections)
    print(
        f"\nrequests/s, wrk -t1 -c{args.connections} -d{args.seconds}s, container on CPU {SERVER_CPU}, "
        f"{args.rounds} rounds taking turns (median):"
    )
    for scenario, by_kind in rps.items():
        ratios = [m / s for m, s in zip(by_kind["minimal"], by_kind["slim"], strict=True)]
        ratio = statistics.median(ratios)
        print(
            f"  {scenario:16} slim {statistics.median(by_kind['slim']):8.0f}  minimal "
            f"{statistics.median(by_kind['minimal']):8.0f}  minimal/slim {ratio:.3f} "
            f"(rounds {min(ratios):.3f}-{max(ratios):.3f})  target >= 0.95: {verdict(ratio, 0.95, at_least=True)}"
        )


if __name__ == "__main__":
    sys.exit(main())
