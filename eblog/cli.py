"""eblog COMMAND [ARGS...]: ``new``, ``build``, ``serve``, ``preview`` (see README, "Command line").

Each command is a module of this package, imported only when run: the server-only install
(no build extra) can still ``eblog serve --zip FILE``.
"""

import argparse
import importlib
import sys

from eblog import tree

COMMANDS = {
    "new": ("eblog.scaffold", 'write a new article with its front matter: eblog new "My first post"'),
    "build": ("eblog.build", "rendermd, buildindex and prezip in one go: eblog build [ARTICLES] [OUT]"),
    "serve": ("eblog.serve", "build, then serve the zip as production does (or serve --zip FILE as it is)"),
    "preview": ("eblog.preview", "serve ARTICLES live, rebuilt on every save (the preview extra)"),
}
OURS = frozenset({"cmd", "server", "eblog"})  # missing one of these is a broken install, not a missing extra
EXTRAS = {"build": "eblog[build]", "new": "eblog[build]", "serve": "eblog[build]", "preview": "eblog[preview]"}


def parser() -> argparse.ArgumentParser:
    from server.version import PrintVersion  # only once tree.ship() has said where `server` comes from

    listing = "\n".join(f"  {name:<8} {about}" for name, (_, about) in COMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="eblog",
        description="A blog pipeline: Markdown to HTML, one deterministic zip, served from memory.",
        epilog=f"commands:\n{listing}\n\n'eblog COMMAND --help' for each one's flags.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=PrintVersion, tool="eblog")
    parser.add_argument("command", choices=COMMANDS, metavar="COMMAND", help=", ".join(COMMANDS))
    parser.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    tree.ship()
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    module_name, _ = COMMANDS[args.command]
    try:  # the libraries a command needs are imported as it runs (serve imports the build's only to build)
        status: int = importlib.import_module(module_name).main(args.args)
    except ModuleNotFoundError as error:
        if error.name is None or error.name.split(".")[0] in OURS:
            raise
        extra = EXTRAS[args.command]
        print(f"eblog: error: 'eblog {args.command}' needs {error.name}: pip install '{extra}'", file=sys.stderr)
        return 1
    return status
