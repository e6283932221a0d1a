"""Which test folders collect where: the Docker test stage copies tests/ without some of their subjects."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def only_beside(folder: str) -> list[str]:
    """A conftest's ``collect_ignore_glob``: nothing when ``folder`` (at the repo root) is absent, else no ignore.

    The test stage copies tests/, testing/, server/ and cmd/ alone; a test folder whose subject
    (bench/, deploy/) is not there would stop the run at an import error instead.
    """
    return [] if (REPO / folder).is_dir() else ["test_*.py"]
