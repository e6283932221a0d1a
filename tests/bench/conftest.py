"""Tests of bench/'s own logic (not of the figures it measures).

The Docker test stage copies tests/ without bench/: there nothing here can be imported, so nothing
is collected. Everywhere else (CI included) these run.
"""

from pathlib import Path

if not (Path(__file__).resolve().parents[2] / "bench").is_dir():
    collect_ignore_glob = ["test_*.py"]
