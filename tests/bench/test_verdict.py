"""bench/verdict.py on known figures: met, or by how much a target missed, and under what load."""

from bench.verdict import load_text, verdict


def test_a_ceiling_met_or_missed() -> None:
    assert verdict(0.128, 0.15, unit=" s") == "met (0.128 s)"
    assert verdict(0.15, 0.15, unit=" s") == "met (0.150 s)", "the target itself is met"
    # 0.73 - 0.3 = 0.43 over; 0.43 / 0.3 = 143.3 %.
    missed = verdict(0.73, 0.3, unit=" s", load="load average 1.30 on 2 CPUs")
    assert missed == "missed by 0.430 s (0.730 s, 143.3% over), load average 1.30 on 2 CPUs"


def test_a_floor_met_or_missed() -> None:
    assert verdict(0.751, 0.65, at_least=True) == "met (0.751)"
    # 0.65 - 0.635 = 0.015 short; 0.015 / 0.65 = 2.3 %.
    missed = verdict(0.635, 0.65, at_least=True, load="load average 2.00 on 2 CPUs")
    assert missed == "missed by 0.015 (0.635, 2.3% short), load average 2.00 on 2 CPUs"
    assert "MISSED" not in missed


def test_the_load_is_this_machines_when_none_is_given() -> None:
    missed = verdict(2.0, 1.0)
    assert missed.startswith("missed by 1.000 (2.000, 100.0% over), load average ") and missed.endswith(" CPUs")
    assert missed.endswith(load_text().split(" average ")[1].split(" on ")[1])
