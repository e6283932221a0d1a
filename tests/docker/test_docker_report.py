"""The build benchmark's report on known figures: the cost of waiting, the targets, and the chart.

The figures are written here; every expected value is worked out here by hand, not by the code.
No engine is needed.
"""

import math
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from bench.docker_chart import svg_chart
from bench.docker_report import cost_lines, cost_of_waiting, target_line, targets, text_table

MB = 1_000_000
SVG = "{http://www.w3.org/2000/svg}"


def cell(step: str, scenario: str, seconds: float, size_mb: float, load1: float | None = 1.5) -> dict[str, Any]:
    return {
        "step": step,
        "scenario": scenario,
        "seconds": seconds,
        "runs": [seconds],
        "size": int(size_mb * MB),
        "cached_steps": 0,
        "total_steps": 10,
        "contended": False,
        "load1": load1,
    }


@pytest.fixture
def report() -> dict[str, Any]:
    results = [
        cell("1-naive", "cold", 15.0, 760),
        cell("4-cache-mounts", "cold", 25.0, 135),
        cell("5-minimal", "cold", 30.0, 28),
        cell("1-naive", "article", 14.0, 760),
        cell("4-cache-mounts", "article", 0.5, 135, load1=3.1),
        cell("5-minimal", "article", 0.7, 28),
        cell("1-naive", "server", 20.0, 760),
        cell("4-cache-mounts", "server", 8.0, 135),
        cell("1-naive", "lock", 15.0, 760),
        cell("4-cache-mounts", "lock", 16.0, 135),
    ]
    base = {"tag": "python:3.13-slim-trixie", "size": 127 * MB, "lookalike": True}
    return {
        "date": "2026-11-29 10:00 UTC",
        "machine": {"cores": 2, "os": "Debian", "kernel": "6", "docker": "20.10", "bases": {"slim": base}},
        "runs": 3,
        "command": "python bench/docker_build.py",
        "source": "HEAD = abc1234",
        "steps": [{"name": n} for n in ("1-naive", "4-cache-mounts", "5-minimal")],
        "results": results,
        "load": {"start": [0.5, 0.6, 0.7], "end": [2.0, 1.5, 1.0]},
    }


def test_the_cost_of_waiting_is_the_articles_arithmetic(report: dict[str, Any]) -> None:
    cost = cost_of_waiting(report, developers=20, builds_per_day=10, rate=85)
    by_scenario = {row["scenario"]: row for row in cost["rows"]}
    # 20 developers x 10 builds x 13.5 s saved / 3,600 = 0.75 h a day; x 240 days = 180 h; x $85 = $15,300.
    assert by_scenario["article"]["saved_seconds"] == pytest.approx(13.5)
    assert by_scenario["article"]["hours_a_year"] == pytest.approx(180)
    assert by_scenario["article"]["dollars_a_year"] == pytest.approx(15_300)
    # 20 x 10 x 12 s / 3,600 x 240 = 160 h; x $85 = $13,600.
    assert by_scenario["server"]["dollars_a_year"] == pytest.approx(13_600)
    # The optimized build was 1 s slower here: a cost, not a saving (20 x 10 x -1 / 3,600 x 240 x 85).
    assert by_scenario["lock"]["dollars_a_year"] == pytest.approx(-1_133.33, abs=0.01)
    # The article's own example: 10 developers waiting 60 minutes a day, 240 days, $85 an hour.
    assert cost["article"]["dollars_a_year"] == pytest.approx(204_000)
    text = "\n".join(cost_lines(cost))
    assert "| $15,300 |" in text and "| $13,600 |" in text and "| -$1,133 |" in text
    assert "10 developers waiting 60 minutes a day cost $204,000 a year" in text


def test_other_inputs_change_the_cost(report: dict[str, Any]) -> None:
    cost = cost_of_waiting(report, developers=1, builds_per_day=1, rate=100)
    article = next(row for row in cost["rows"] if row["scenario"] == "article")
    assert article["dollars_a_year"] == pytest.approx(13.5 / 3600 * 240 * 100)  # $90
    assert cost["article"]["dollars_a_year"] == pytest.approx(240_000)


def test_a_missed_target_says_by_how_much_and_under_what_load(report: dict[str, Any]) -> None:
    report["results"][4]["seconds"] = 0.8  # 14.0 / 0.8 = 17.5x, 65% short of 50x
    found = {t["target"]: t for t in targets(report)}
    article = found["after an article edit, 4-cache-mounts faster than 1-naive"]
    assert (article["ratio"], article["met"], article["short_by_pct"]) == (17.5, False, 65.0)
    line = target_line(article)
    assert "MISSED" not in line
    assert "17.5x, 65.0% short of the 50x goal" in line
    assert "it needed 0.28 s, measured 0.80 s" in line
    assert "load average 3.10 on 2 CPUs" in line, "the highest load measured after the two builds compared"
    slim = found["4-cache-mounts image smaller than 1-naive's"]
    assert (slim["ratio"], slim["met"]) == (5.6, True)  # 760 / 135
    assert target_line(slim).endswith("met; load average 2.00 1.50 1.00 on 2 CPUs")
    report["targets"] = targets(report)
    assert "65.0% short" in text_table(report)


def test_server_and_lock_edits_are_held_to_a_quarter_and_a_third_of_the_naive_time(report: dict[str, Any]) -> None:
    found = {t["target"]: t for t in targets(report)}
    server = found["after a server edit, 4-cache-mounts faster than 1-naive"]
    # 20 s naive, 8 s optimized: 2.5x where 4x (a quarter of the time) is the goal, 37.5% short.
    assert (server["ratio"], server["goal"], server["met"], server["short_by_pct"]) == (2.5, 4, False, 37.5)
    assert "it needed 5.00 s, measured 8.00 s" in target_line(server)
    lock = found["after a lock change, 4-cache-mounts faster than 1-naive"]
    # 15 s naive, 16 s optimized: 0.94x where 3x is the goal.
    assert (lock["ratio"], lock["goal"], lock["met"]) == (0.9, 3, False)
    report["results"][7]["seconds"] = 5.0  # 20 / 5 = 4x: exactly a quarter of the naive time meets it
    server = {t["target"]: t for t in targets(report)}["after a server edit, 4-cache-mounts faster than 1-naive"]
    assert (server["ratio"], server["met"]) == (4.0, True)


def test_the_minimal_image_is_held_to_24_mb(report: dict[str, Any]) -> None:
    name = "5-minimal image within 24 MB (ceiling / size)"
    ceiling = {t["target"]: t for t in targets(report)}[name]
    assert (ceiling["met"], ceiling["short_by_pct"]) == (False, 14.3)  # 24 / 28 = 0.857
    assert "it needed at most 24 MB, measured 28.0 MB" in target_line(ceiling)
    for cell_ in report["results"]:
        if cell_["step"] == "5-minimal":
            cell_["size"] = 24 * MB
    assert {t["target"]: t for t in targets(report)}[name]["met"]


def test_sizes_are_read_from_each_steps_cold_build(report: dict[str, Any]) -> None:
    report["results"][5]["size"] = 20 * MB  # 5-minimal after an article edit: not the image the target judges
    ceiling = {t["target"]: t for t in targets(report)}["5-minimal image within 24 MB (ceiling / size)"]
    assert "measured 28.0 MB" in target_line(ceiling) and not ceiling["met"]
    report["results"][9]["size"] = 76 * MB  # 4-cache-mounts after a lock change
    report["results"] = [c for c in report["results"] if c["scenario"] != "cold"]
    slim = {t["target"]: t for t in targets(report)}["4-cache-mounts image smaller than 1-naive's"]
    assert slim["ratio"] == 5.6, "with no cold build, the step's first cell: 760 / 135 MB, not 760 / 76"


def parse_chart(report: dict[str, Any]) -> ET.Element:
    return ET.fromstring(svg_chart(report))


def texts(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(f"{SVG}text"))


def bar_labels(root: ET.Element, unit: str = "s|MB") -> list[str]:
    """The texts beside the bars (a figure first), tick labels left out."""
    return [
        t.text or ""
        for t in texts(root)
        if t.get("class") != "fg tick" and re.match(rf"^\d+\.\d+ ({unit})\b", t.text or "")
    ]


def test_chart_text_is_at_least_12_px(report: dict[str, Any]) -> None:
    sizes = [float(t.get("font-size", "0")) for t in texts(parse_chart(report))]
    assert sizes and min(sizes) >= 12


def test_chart_has_one_label_with_the_ratio_per_bar(report: dict[str, Any]) -> None:
    root = parse_chart(report)
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    labels = bar_labels(root)
    assert len(bars) == len(labels) == 10 + 3  # every cell's time, and each step's size
    assert "0.50 s, 28.0x faster" in labels  # 14.0 / 0.5
    assert "14.00 s, the baseline" in labels
    assert "25.00 s, 1.7x slower" in labels  # 25.0 / 15.0
    assert "135.0 MB, 5.6x smaller" in labels and "28.0 MB, 27.1x smaller" in labels  # 760 / 135, 760 / 28


def test_chart_time_panels_share_one_log_axis(report: dict[str, Any]) -> None:
    """Each bar's length is a + b log10(seconds), with the same a and b in every panel."""
    root = parse_chart(report)
    widths = [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    values = [float(label.split()[0]) for label in bar_labels(root, "s")]
    time_widths = widths[: len(values)]
    pairs = sorted(zip(values, time_widths, strict=True))
    (v1, w1), (v2, w2) = pairs[0], pairs[-1]  # the shortest and the longest bar, in different panels
    slope = (w1 - w2) / (math.log10(v1) - math.log10(v2))
    for width, value in zip(time_widths, values, strict=True):
        assert width == pytest.approx(w1 + slope * (math.log10(value) - math.log10(v1)), abs=0.2), value
    tick_labels = [t.text for t in texts(root) if t.get("class") == "fg tick" and (t.text or "").endswith(" s")]
    assert tick_labels == ["0.1 s", "1 s", "10 s", "100 s"], "one axis, labelled once for every time panel"


def luminance(color: str) -> float:
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_chart_reads_on_light_and_dark_backgrounds(report: dict[str, Any]) -> None:
    svg = svg_chart(report)
    root = ET.fromstring(svg)
    style = next(root.iter(f"{SVG}style")).text or ""
    light, dark = style.split("@media (prefers-color-scheme: dark)")
    backgrounds = [re.search(r"\.bg \{ fill: (#[0-9a-f]{6})", part)[1] for part in (light, dark)]  # type: ignore[index]
    foregrounds = [re.search(r"\.fg \{ fill: (#[0-9a-f]{6})", part)[1] for part in (light, dark)]  # type: ignore[index]
    for background, foreground in zip(backgrounds, foregrounds, strict=True):
        assert contrast(background, foreground) >= 7, (background, foreground)
        for bar in {r.get("fill", "") for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"}:
            assert contrast(bar, background) >= 3, f"bar {bar} on {background}"
    assert all(t.get("class", "").startswith("fg") for t in texts(root)), "every text follows the colour scheme"
    assert next(r for r in root.iter(f"{SVG}rect")).get("class") == "bg", "the chart brings its own background"
