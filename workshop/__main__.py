"""./scripts/workshop: the workshop's command line (python -m workshop is the same).

    ./scripts/workshop start [--again]     make workshop.Dockerfile, the file the exercises change
    ./scripts/workshop check N             did my change to exercise N have the expected effect? (one line)
    ./scripts/workshop prep [--output F]   the teacher, the day before: everything the room needs, one file
    ./scripts/workshop load FILE           each attendee: images and wheels loaded, nothing pulled

Exit status: 0 pass (or done), 1 still off (or a failure, said in one line), 2 a usage error.
"""

import argparse
import sys
from pathlib import Path

from workshop import bundle, exercises
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
    prep.add_argument("--no-wheels", action="store_true", help="leave the wheelhouse out (a smaller file)")
    load = commands.add_parser("load", help="load a file `prep` wrote")
    load.add_argument("file", type=Path)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.command == "start":
        print(exercises.start(args.again))
        return 0
    try:
        engine = Engine(docker_env("start"))
        if args.command == "check":
            verdict = exercises.check(args.number, engine)
            print(verdict.line(args.number))
            return 0 if verdict.passed else 1
        if args.command == "prep":
            manifest = bundle.prep(engine, args.output, with_wheels=not args.no_wheels)
            size = args.output.stat().st_size / 1e6
            print(
                f"wrote {args.output} ({size:.0f} MB: {len(manifest['images'])} images, "
                f"{bundle.wheel_count(manifest)} wheels, the git bundle): copy it to a USB stick or a share"
            )
            return 0
        if not args.file.is_file():
            print(f"workshop: {args.file}: no such file", file=sys.stderr)
            return 2
        print(bundle.describe_load(bundle.load(engine, args.file)))
        return 0
    except DockerError as error:
        print(f"workshop: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
