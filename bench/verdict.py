"""One way for every benchmark to judge a figure against its target: met, or by how much it missed and under what load.

A bare "MISSED" says nothing on a noisy machine; the size of the miss and the load beside it say
whether to look at the code or at the machine.
"""

import os


def load_text() -> str:
    """The 1-minute load average and the CPU count, as every verdict prints them."""
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count() or 1} CPUs"


def verdict(value: float, target: float, *, at_least: bool = False, unit: str = "", load: str | None = None) -> str:
    """``met (VALUE)``, or ``missed by X (VALUE, P% over|short), LOAD``; target is a floor if at_least, else a ceiling.

    Three decimals, so a value just short of the target never reads as the target itself.
    """
    shown = f"{value:.3f}{unit}"
    if value >= target if at_least else value <= target:
        return f"met ({shown})"
    miss = abs(value - target)
    side = "short" if at_least else "over"
    return f"missed by {miss:.3f}{unit} ({shown}, {miss / target:.1%} {side}), {load or load_text()}"
