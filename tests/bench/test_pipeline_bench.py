"""bench/pipeline.py's verdict on issue 15's targets: met, or by how much it missed and under what load."""

from bench.pipeline import target_lines


def test_the_report_line_names_both_targets_and_never_a_bare_missed() -> None:
    line = target_lines(0.192, 0.25, 0.048, 1.3, 2)
    assert line == (
        "warm no change <= 0.15 s: missed by 0.042 s (0.192 s, 28.0% over), load average 1.30 on 2 CPUs "
        "(4.0x the interpreter floor); one edit <= 0.3 s: met (0.250 s)"
    )
    assert "MISSED" not in line
