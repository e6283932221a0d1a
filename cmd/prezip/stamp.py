"""prezip's stamp (see cmd.shared.uptodate): a zip of a site that has not changed is not written again.

Only for ``-o FILE``: on stdout the zip is all the output there is.
"""

import os
import zlib
from pathlib import Path

from cmd.shared.uptodate import Watch

TOOL = "prezip"


def asked(site: Path, output: Path | None, epoch: str | None) -> list[object]:
    """Where from, where to, the entries' time, and the zlib that compresses (another version, other bytes)."""
    return [os.path.abspath(site), output and os.path.abspath(output), epoch, zlib.ZLIB_RUNTIME_VERSION]


def watch(site: Path, output: Path | None, epoch: str | None) -> Watch:
    """The site's public files (the zip leaves out dot names, so does the watch) and the tools, before reading."""
    from cmd.shared.version import TOOLS_ROOT  # hashlib's import: only for a run that writes the zip

    return Watch(site, TOOL, asked(site, output, epoch), deep=[site, TOOLS_ROOT], shallow=[], hidden=False)
