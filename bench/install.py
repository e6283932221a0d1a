"""What installing eblog costs: the wheel's size, the time to install it into a fresh venv, and
the installed size of the server-only install (``eblog``) against the full one (``eblog[build]``).

    .venv/bin/python bench/install.py [--runs 3]

Builds the wheel and sdist with ``uv build``, then, --runs times for each of the two installs,
makes a fresh venv and times ``uv pip install`` into it.  Dependencies come from uv's cache,
filled by one untimed install first, so the figure is the install itself, not the network.
Sizes are the bytes of every file in the venv's site-packages (no bytecode: uv does not
compile unless asked).  Prints medians, the ratios, and the load beside them.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
UV = REPO / ".tools" / "bin" / "uv"


def uv(*args: str | Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    subprocess.run([str(UV), *map(str, args)], cwd=REPO, env=env, check=True, capture_output=True)


def build(dist: Path) -> Path:
    uv("build", "--out-dir", dist)
    (wheel,) = dist.glob("eblog-*.whl")
    return wheel


def install(venv: Path, requirement: str) -> float:
    """A fresh venv at ``venv`` with ``requirement`` installed; the seconds the install took."""
    uv("venv", "--quiet", "--python", sys.executable, venv)
    started = time.perf_counter()
    uv("pip", "install", "--quiet", "--python", venv / "bin" / "python", requirement)
    return time.perf_counter() - started


def installed_bytes(venv: Path) -> int:
    (site,) = (venv / "lib").glob("python3*/site-packages")
    return sum(path.stat().st_size for path in site.rglob("*") if path.is_file())


def measure(work: Path, requirement: str, runs: int) -> tuple[float, int]:
    """Median install seconds over ``runs`` fresh venvs, and the installed size."""
    install(work / "warm", requirement)  # fills uv's cache: not timed
    seconds = [install(work / f"run-{run}", requirement) for run in range(runs)]
    return statistics.median(seconds), installed_bytes(work / "run-0")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh venvs timed for each install (default: 3)")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="eblog-install-") as temp:
        work = Path(temp)
        wheel = build(work / "dist")
        (sdist,) = (work / "dist").glob("eblog-*.tar.gz")
        wheel_kib, sdist_kib = wheel.stat().st_size / 1024, sdist.stat().st_size / 1024
        server_time, server_size = measure(work / "server", str(wheel), args.runs)
        full_time, full_size = measure(work / "full", f"{wheel}[build]", args.runs)
    print(f"{os.cpu_count()} CPUs, load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    print(f"wheel {wheel.name}: {wheel_kib:.0f} KiB; sdist {sdist.name}: {sdist_kib:.0f} KiB")
    print(f"{'install':<24} {'time (median)':>14} {'site-packages':>14}")
    for name, seconds, size in (("eblog (server only)", server_time, server_size),
                                ("eblog[build] (full)", full_time, full_size)):  # fmt: skip
        print(f"{name:<24} {seconds:>12.2f} s {size / 1024 / 1024:>11.1f} MiB")
    print(f"server-only / full: size {server_size / full_size:.2f}, time {server_time / full_time:.2f}")


if __name__ == "__main__":
    main()
