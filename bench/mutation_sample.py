"""A random sample of the mutants, and what it says of all of them: shares with a 95 % interval.

Running every mutant of server/ and cmd/ takes a day on two cores; a few hundred drawn at random
give the share killed within a few points.  The interval is Wilson's score interval: unlike the
textbook p ± 1.96·sqrt(p(1-p)/n), it stays inside [0, 1] and does not shrink to nothing when the
share is near 0 or 1, which is where mutation scores live.
"""

import math
import random
from collections.abc import Iterable

Z_95 = 1.959964  # the normal quantile leaving 2.5 % in each tail


def wilson(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson's score interval for a proportion seen as ``successes`` out of ``trials``."""
    if trials <= 0 or not 0 <= successes <= trials:
        raise ValueError(f"wilson: {successes} successes out of {trials} trials")
    share = successes / trials
    spread = z * z / trials
    centre = (share + spread / 2) / (1 + spread)
    half = z / (1 + spread) * math.sqrt(share * (1 - share) / trials + spread / (4 * trials))
    return max(0.0, centre - half), min(1.0, centre + half)  # rounding can stray past 0 or 1 (0/9: -2.8e-17)


def share(successes: int, trials: int) -> str:
    """``37/50 = 74.0% (95%: 60.4% to 84.1%)``, or ``-`` when nothing was tried."""
    if not trials:
        return "-"
    low, high = wilson(successes, trials)
    return f"{successes}/{trials} = {successes / trials:.1%} (95%: {low:.1%} to {high:.1%})"


def draw(names: Iterable[str], size: int, seed: int) -> list[str]:
    """``size`` of the names, drawn without replacement; the same names and seed give the same draw.

    The names are sorted first, so the draw does not depend on the order the files were read in.
    """
    population = sorted(set(names))
    if not 0 < size <= len(population):
        raise ValueError(f"a sample of {size} from {len(population)} mutants")
    return sorted(random.Random(seed).sample(population, size))


def package_of(module: str) -> str:
    """The folder of a module's file: ``cmd/shared/config.py`` -> ``cmd/shared``, ``server/app.py`` -> ``server``."""
    return module.rpartition("/")[0]
