"""buildindex's stamp (see cmd.shared.uptodate): what a run is asked, as the check and the full run both name it.

Kept apart from ``index`` so that ``__main__`` can check before importing it (and Jinja2 with it).
"""

import os
from pathlib import Path

TOOL = "buildindex"


def asked(out_dir: Path, base_url: str | None, feed_size: int | None) -> list[object]:
    """The options (their environment variables included, as argparse read them) and where OUT is."""
    return [os.path.abspath(out_dir), base_url, feed_size]
