"""The flags every tool shares: ``--version``, ``-q`` and ``-v`` (see README, "Command line").

Exit status, the same for every tool: 0 done, 1 bad input or a failure while running (reported
as ``file:line: message``), 2 a usage mistake (argparse's own status).
"""

import argparse

from server.version import PrintVersion

QUIET, NORMAL, VERBOSE = -1, 0, 1


def common_flags(tool: str) -> argparse.ArgumentParser:
    """A parent parser (``parents=[...]``) holding the shared flags; ``dest="verbosity"``."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--version", action=PrintVersion, tool=tool)
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument(
        "-q", "--quiet", dest="verbosity", action="store_const", const=QUIET, default=NORMAL,
        help="print only warnings and errors",
    )  # fmt: skip
    loudness.add_argument(
        "-v", "--verbose", dest="verbosity", action="store_const", const=VERBOSE, help="say more about each step"
    )
    return parser
