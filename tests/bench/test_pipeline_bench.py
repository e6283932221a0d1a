"""bench/pipeline.py's verdict on issue 15's targets: met, or by how much it missed and under what load."""

from bench.pipeline import target_lines, verdict


def test_a_time_within_its_target_is_met() -> None:
    assert verdict(0.128, 0.15, 0.5, 2) == "met (0.128 s)"
    assert verdict(0.15, 0.15, 0.5, 2) == "met (0.150 s)"


def test_a_miss_says_by_how_much_and_under_what_load() -> None:
    assert verdict(0.73, 0.3, 1.3, 2) == "missed by 0.430 s (0.730 s, 143% over), load average 1.30 on 2 CPUs"


def test_the_report_line_names_both_targets_and_never_a_bare_missed() -> None:
    line = target_lines(0.192, 0.25, 0.048, 1.3, 2)
    assert line == (
        "warm no change <= 0.15 s: missed by 0.042 s (0.192 s, 28% over), load average 1.30 on 2 CPUs "
        "(4.0x the interpreter floor); one edit <= 0.3 s: met (0.250 s)"
    )
    assert "MISSED" not in line
