"""./scripts/workshop: the workshop's command line (python -m workshop is the same).

    ./scripts/workshop start [--again]     make workshop.Dockerfile, the file the exercises change
    ./scripts/workshop check N             did my change to exercise N have the expected effect? (one line)
    ./scripts/workshop prep [--output F]   the teacher, the day before: everything the room needs, one file
    ./scripts/workshop load FILE           each attendee: images loaded and the room's mirror started
    ./scripts/workshop mirror [--stop]     start (or stop) the room's mirror again, e.g. after a reboot

Exit status: 0 pass (or done), 1 still off (or a failure, said in one line), 2 a usage error.
"""

import argparse
import sys
from pathlib import Path

from workshop import bundle, exercises, mirror
from workshop.engine import DockerError, Engine, docker_env


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="./scripts/workshop",
        description=__doc__.split("\n\n")[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="make workshop.Dockerfile from the naive step")
    start.add_argument("--again", action="store_true", help="start over, replacing your workshop.Dockerfile")
    check = commands.add_parser("check", help="measure your tree for exercise N of docs/workshop.md")
    check.add_argument("number", type=int, choices=sorted(exercises.CHECKS), metavar="N")
    prep = commands.add_parser("prep", help="write the room's file (needs the network)")
    prep.add_argument("--output", type=Path, default=Path("eblog-workshop.tar"))
    load = commands.add_parser("load", help="load a file `prep` wrote, and start the room's mirror")
    load.add_argument("file", type=Path)
    room = commands.add_parser("mirror", help="start the room's mirror (the builds' PyPI and Debian), offline")
    room.add_argument("--stop", action="store_true", help="stop it instead")
    room.add_argument("--foreground", action="store_true", help=argparse.SUPPRESS)  # what starting it runs
    room.add_argument("--build-args", action="store_true", help="print its proxy build arguments, NAME=VALUE lines")
    room.add_argument("--room", type=Path, default=mirror.ROOM, help=argparse.SUPPRESS)  # the tests' own
    room.add_argument("--port", type=int, default=mirror.PORT, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.command == "start":
        print(exercises.start(args.again))
        return 0
    if args.command == "mirror":
        return room_mirror(args)
    try:
        engine = Engine(docker_env("start"))
        if args.command == "check":
            verdict = exercises.check(args.number, engine)
            print(verdict.line(args.number))
            return 0 if verdict.passed else 1
        if args.command == "prep":
            manifest = bundle.prep(engine, args.output)
            size = args.output.stat().st_size / 1e6
            print(
                f"wrote {args.output} ({size:.0f} MB: {len(manifest['images'])} images, "
                f"{bundle.wheel_count(manifest)} wheels, the mirror's downloads, the git bundle): "
                "copy it to a USB stick or a share"
            )
            return 0
        if not args.file.is_file():
            print(f"workshop: {args.file}: no such file", file=sys.stderr)
            return 2
        mirror.stop()  # it would serve files load is about to replace
        manifest = bundle.load(engine, args.file)
        print(bundle.describe_load(manifest, mirror.start()))
        return 0
    except (DockerError, OSError) as error:
        print(f"workshop: {error}", file=sys.stderr)
        return 1


def room_mirror(args: argparse.Namespace) -> int:
    if not mirror.loaded(args.room):
        print("workshop: no room is loaded here: ./scripts/workshop load FILE first", file=sys.stderr)
        return 1
    if args.foreground:
        mirror.serve(args.room, args.port)
        return 0
    if args.stop:
        print("the room's mirror stopped" if mirror.stop(args.room) else "the room's mirror was not running")
        return 0
    try:
        address = mirror.start(args.room, args.port)
    except OSError as error:
        print(f"workshop: {error}", file=sys.stderr)
        return 1
    if args.build_args:
        print("\n".join(f"{name}={value}" for name, value in mirror.proxy_build_args(address).items()))
    else:
        print(f"the room's mirror answers on {address}: builds download through it")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
