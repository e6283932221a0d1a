"""rendermd's stamp (see cmd.shared.uptodate): what a run is asked, as the check and the full run both name it.

Kept apart from ``build`` so that ``__main__`` can check before importing it:
``build`` brings in the conventions, the front matter parser and, through
``pages``, pyromark, Pygments and Jinja2.
"""

import os
from pathlib import Path

TOOL = "rendermd"


def asked(articles_dir: Path, out_dir: Path, *, drafts: bool, strict: bool) -> list[object]:
    """Everything a run is asked besides the files it reads (another path to the same tree is another run)."""
    return [os.path.abspath(articles_dir), os.path.abspath(out_dir), drafts, strict]
