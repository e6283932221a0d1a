"""bench/mutation.py --sample: the draw, Wilson's interval and the shares it prints.

The intervals below were worked by hand from Wilson's formula, with z = 1.96:
centre = (p + z²/2n) / (1 + z²/n), half width = z / (1 + z²/n) · sqrt(p(1-p)/n + z²/4n²).
"""

from pathlib import Path

import pytest

from bench import mutation
from bench.mutation_sample import draw, package_of, share, wilson

NAMES = [f"server.site.x_answer__mutmut_{number}" for number in range(1, 101)]


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        (8, 10, 0.4902, 0.9433),  # p = 0.8: centre 0.7167, half width 0.2266
        (0, 10, 0.0, 0.2775),  # none: the interval still reaches 27.7 %, not the textbook's [0, 0]
        (10, 10, 0.7225, 1.0),
        (37, 50, 0.6045, 0.8413),  # p = 0.74: centre 0.7229, half width 0.1184
        (0, 9, 0.0, 0.2991),  # centre 0.1496 = half width: computed, the low end is -2.8e-17, not 0
    ],
)
def test_wilson_interval_worked_by_hand(successes: int, trials: int, low: float, high: float) -> None:
    assert wilson(successes, trials) == pytest.approx((low, high), abs=1e-4)


@pytest.mark.parametrize(("successes", "trials"), [(0, 0), (11, 10), (-1, 10)])
def test_wilson_refuses_what_is_not_a_proportion(successes: int, trials: int) -> None:
    with pytest.raises(ValueError, match=f"{successes} successes out of {trials} trials"):
        wilson(successes, trials)


def test_a_share_is_the_count_the_percentage_and_the_interval() -> None:
    assert share(37, 50) == "37/50 = 74.0% (95%: 60.4% to 84.1%)"
    assert share(0, 9) == "0/9 = 0.0% (95%: 0.0% to 29.9%)"  # not "-0.0%"
    assert share(0, 0) == "-"


def test_the_same_seed_draws_the_same_mutants_whatever_order_they_were_read_in() -> None:
    first = draw(NAMES, 10, seed=7)
    assert draw(list(reversed(NAMES)), 10, seed=7) == first
    assert draw(NAMES + NAMES[:5], 10, seed=7) == first  # a name read twice is drawn at most once
    assert len(set(first)) == 10 and set(first) <= set(NAMES) and first == sorted(first)
    assert draw(NAMES, 10, seed=8) != first


def test_a_draw_covers_the_population_evenly() -> None:
    """Over 200 draws of 10 from 100, each name comes up 20 times on average; none is left out."""
    counts = dict.fromkeys(NAMES, 0)
    for seed in range(200):
        for name in draw(NAMES, 10, seed):
            counts[name] += 1
    assert sum(counts.values()) == 2000
    assert min(counts.values()) >= 5 and max(counts.values()) <= 40


@pytest.mark.parametrize("size", [0, 101])
def test_a_sample_larger_than_the_population_or_empty_is_refused(size: int) -> None:
    with pytest.raises(ValueError, match=f"a sample of {size} from 100 mutants"):
        draw(NAMES, size, seed=1)


def test_package_of_a_module_is_its_folder() -> None:
    assert [package_of(m) for m in ("server/app.py", "cmd/shared/config.py")] == ["server", "cmd/shared"]


def test_the_sample_report_gives_each_package_and_the_shares(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(mutation, "RECHECKED", tmp_path / "none.json")
    by_module: dict[str, dict[str, int | None]] = {
        "cmd/shared/config.py": {"cmd.shared.config.x_a__mutmut_1": 1, "cmd.shared.config.x_a__mutmut_2": 3},
        "server/site.py": {
            "server.site.x_b__mutmut_1": 1,
            "server.site.x_b__mutmut_2": 0,
            "server.site.x_c__mutmut_1": 33,
        },
    }
    total = mutation.report_sample(by_module, population=1000, seed=7)
    lines = capsys.readouterr().out.splitlines()
    assert "sample: 5 of the 1,000 mutants, drawn with seed 7" in lines
    rows = [line.split()[:8] for line in lines if line.startswith(("cmd", "server"))]
    # package, drawn, killed, rechecked, timeout, survived, no tests, not checked
    assert rows == [
        ["cmd", "2", "2", "0", "0", "0", "0", "0"],
        ["cmd/shared", "2", "2", "0", "0", "0", "0", "0"],
        ["server", "3", "1", "0", "0", "1", "1", "0"],
    ]
    assert "killed:                       3/5 = 60.0% (95%: 23.1% to 88.2%)" in lines
    assert "reached by no test:           1/5 = 20.0% (95%: 3.6% to 62.4%)" in lines
    assert "killed, of those a test runs: 3/4 = 75.0% (95%: 30.1% to 95.4%)" in lines
    assert total.missed == ["server.site.x_b__mutmut_2", "server.site.x_c__mutmut_1"]
