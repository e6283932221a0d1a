"""bench/docker_build.py's figures: the table, the targets with the load beside them, and the cost of waiting.

    python bench/docker_report.py [FILE.json] [--team N --builds-per-day N --rate USD]

prints the table again, from saved figures, with the cost table for those inputs (nothing is built).
The chart is bench/docker_chart.py's; the blocks of the docs, bench/docker_docs.py's.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

Report = dict[str, Any]  # bench/docker_build.py's JSON, as written

MB = 1_000_000
NAIVE, SLIM, MINIMAL = "1-naive", "4-cache-mounts", "5-minimal"
WARM_EDITS = ("article", "server", "lock")  # the everyday rebuilds, whose waiting the cost counts
# The article's arithmetic: 1,920 working hours a year at 8 hours a day, and its example team.
WORKING_DAYS = 240
DEFAULT_RATE = 85  # dollars an hour
ARTICLE_TEAM, ARTICLE_MINUTES_A_DAY = 10, 60
SCENARIO_TITLES = {
    "cold": "cold (build cache pruned)",
    "unchanged": "warm, nothing changed",
    "article": "warm, an article edited",
    "server": "warm, server code edited",
    "lock": "warm, a dependency changed in uv.lock",
}
EDIT_NAMES = {"article": "an article edit", "server": "a server edit", "lock": "a lock change"}


def find(report: Report, step: str, scenario: str) -> dict[str, Any] | None:
    return next((r for r in report["results"] if r["step"] == step and r["scenario"] == scenario), None)


def scenarios(report: Report) -> list[str]:
    return list(dict.fromkeys(r["scenario"] for r in report["results"]))


def rows(report: Report) -> list[dict[str, Any]]:
    """The results in the table's order (scenario, then step), with % of the scenario's largest figure."""
    ordered = []
    for scenario in scenarios(report):
        group = [r for r in report["results"] if r["scenario"] == scenario]
        slowest, biggest = max(r["seconds"] for r in group), max(r["size"] for r in group)
        ordered += [
            {**r, "time_pct": 100 * r["seconds"] / slowest, "size_pct": 100 * r["size"] / biggest} for r in group
        ]
    return ordered


def load_of(report: Report, *cells: dict[str, Any]) -> list[float] | None:
    """The highest 1-minute load average measured right after these cells' builds, else the run's."""
    measured = [c["load1"] for c in cells if c.get("load1") is not None]
    if measured:
        return [max(measured)]
    end: list[float] | None = report.get("load", {}).get("end")
    return end


def load_text(load: list[float] | None, cores: int) -> str:
    if not load:
        return f"load not recorded, {cores} CPUs"
    return f"load average {' '.join(f'{x:.2f}' for x in load)} on {cores} CPUs"


# The speed targets: after each everyday edit, the optimized build (4) this many times faster than the
# naive one (1). 50x after an article edit is the article's headline; a server edit in at most a
# quarter of the naive time, a lock change in at most a third.
SPEEDUP_GOALS = {"article": 50, "server": 4, "lock": 3}
# The size targets: each image this many times smaller than the naive one, and the minimal image's ceiling.
SIZE_GOALS = {SLIM: 5, MINIMAL: 25}
MINIMAL_CEILING_MB = 24


def target(name: str, ratio: float, goal: float, needs: str, load: list[float] | None, cores: int) -> dict[str, Any]:
    """A target whose figure must reach goal (a speedup, or a size ratio), with by how much it missed."""
    return {
        "target": name,
        "ratio": round(ratio, 1),
        "goal": goal,
        "met": ratio >= goal,
        "short_by_pct": 0.0 if ratio >= goal else round(100 * (goal - ratio) / goal, 1),
        "needs": needs,
        "load": load,
        "cores": cores,
    }


def speed_targets(report: Report, cores: int) -> list[dict[str, Any]]:
    found = []
    for scenario, goal in SPEEDUP_GOALS.items():
        naive, fast = find(report, NAIVE, scenario), find(report, SLIM, scenario)
        if naive and fast:
            needs = f"it needed {naive['seconds'] / goal:.2f} s, measured {fast['seconds']:.2f} s"
            name = f"after {EDIT_NAMES[scenario]}, {SLIM} faster than {NAIVE}"
            load = load_of(report, naive, fast)
            found.append(target(name, naive["seconds"] / fast["seconds"], goal, needs, load, cores))
    return found


def image_sizes(report: Report) -> dict[str, int]:
    """Each step's image size from its cold build (an edit adds a few bytes), else from its first cell."""
    sizes: dict[str, int] = {}
    for cell in report["results"]:
        if cell["scenario"] == "cold" or cell["step"] not in sizes:
            sizes[cell["step"]] = cell["size"]
    return sizes


def size_targets(report: Report, cores: int) -> list[dict[str, Any]]:
    sizes = image_sizes(report)
    found = []
    for step, goal in SIZE_GOALS.items():
        if NAIVE in sizes and step in sizes:
            needs = f"it needed {sizes[NAIVE] / goal / MB:.1f} MB, measured {sizes[step] / MB:.1f} MB"
            name = f"{step} image smaller than {NAIVE}'s"
            found.append(target(name, sizes[NAIVE] / sizes[step], goal, needs, load_of(report), cores))
    if MINIMAL in sizes:
        # As a ratio too: the ceiling over the size, which reaches 1 when the image fits under it.
        needs = f"it needed at most {MINIMAL_CEILING_MB} MB, measured {sizes[MINIMAL] / MB:.1f} MB"
        name = f"{MINIMAL} image within {MINIMAL_CEILING_MB} MB (ceiling / size)"
        found.append(target(name, MINIMAL_CEILING_MB * MB / sizes[MINIMAL], 1, needs, load_of(report), cores))
    return found


def targets(report: Report) -> list[dict[str, Any]]:
    """Every target as a ratio with the machine's load beside it; left out when a step was not built."""
    cores = report["machine"]["cores"]
    return speed_targets(report, cores) + size_targets(report, cores)


def target_line(target: dict[str, Any]) -> str:
    """One target in one line: the ratio, met or by how much it missed, and under what load."""
    where = load_text(target.get("load"), target["cores"])
    if target["met"]:
        return f"{target['target']}: {target['ratio']}x (goal {target['goal']}x), met; {where}"
    return (
        f"{target['target']}: {target['ratio']}x, {target['short_by_pct']}% short of the {target['goal']}x goal "
        f"({target['needs']}), with {where}"
    )


def cost_of_waiting(report: Report, developers: int, builds_per_day: int, rate: float = DEFAULT_RATE) -> dict[str, Any]:
    """The article's arithmetic on the times just measured: developers x builds a day x seconds saved
    a build / 3,600 x working days x hourly cost, for each everyday edit (1-naive against 4-cache-mounts)."""
    lines = []
    for scenario in WARM_EDITS:
        naive, fast = find(report, NAIVE, scenario), find(report, SLIM, scenario)
        if naive and fast:
            saved = naive["seconds"] - fast["seconds"]
            hours = developers * builds_per_day * saved / 3600 * WORKING_DAYS
            lines.append(
                {
                    "scenario": scenario,
                    "naive_seconds": naive["seconds"],
                    "optimized_seconds": fast["seconds"],
                    "saved_seconds": saved,
                    "hours_a_year": hours,
                    "dollars_a_year": hours * rate,
                }
            )
    article_dollars = ARTICLE_TEAM * ARTICLE_MINUTES_A_DAY / 60 * WORKING_DAYS * rate
    return {
        "developers": developers,
        "builds_per_day": builds_per_day,
        "rate": rate,
        "working_days": WORKING_DAYS,
        "rows": lines,
        "article": {
            "developers": ARTICLE_TEAM,
            "minutes_a_day": ARTICLE_MINUTES_A_DAY,
            "dollars_a_year": article_dollars,
        },
    }


def dollars(amount: float) -> str:
    """$1,234 (or -$23, when the optimized build was the slower one)."""
    return f"{'-' if round(amount) < 0 else ''}${abs(amount):,.0f}"


def cost_lines(cost: dict[str, Any]) -> list[str]:
    """The cost table as Markdown, then the article's own figure beside it."""
    team = f"{cost['developers']} developers, {cost['builds_per_day']} builds a day each, after"
    lines = [
        f"| {team} | {NAIVE} | {SLIM} | saved a build | hours a year | at ${cost['rate']:g} an hour |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in cost["rows"]:
        lines.append(
            f"| {SCENARIO_TITLES[row['scenario']].removeprefix('warm, ')} | {row['naive_seconds']:.2f} s "
            f"| {row['optimized_seconds']:.2f} s | {row['saved_seconds']:.2f} s | {abs(row['hours_a_year']):,.0f} "
            f"| {dollars(row['dollars_a_year'])} |"
        )
    article = cost["article"]
    lines.append("")
    lines.append(
        f"The article's own example, with the same arithmetic ({cost['working_days']} working days of 8 hours, "
        f"${cost['rate']:g} an hour): {article['developers']} developers waiting {article['minutes_a_day']} minutes "
        f"a day cost {dollars(article['dollars_a_year'])} a year."
    )
    return lines


def caption(report: Report) -> str:
    """Where, when, what was built and with what, and the load: one sentence."""
    m = report["machine"]
    bases = ", ".join(
        f"{b['tag']} ({'look-alike' if b['lookalike'] else 'official'}, {b['size'] / MB:.0f} MB)"
        for b in m["bases"].values()
    )
    load = report.get("load")
    load_part = (
        f"load average {load['start'][0]:.2f} at the start, {load['end'][0]:.2f} at the end, on {m['cores']} CPUs"
        if load
        else f"{m['cores']} CPUs"
    )
    parts = [
        f"{report['date']}, {m['os']} host, Docker {m['docker']}, {load_part}",
        report.get("source"),
        f"bases {bases}",
        f"median of {report['runs']} run(s)",
        f"`{report['command']}`" if report.get("command") else None,
    ]
    return "; ".join(p for p in parts if p)


def text_table(report: Report) -> str:
    lines = [
        caption(report),
        "",
        f"{'step':<16}{'scenario':<11}{'time':>9}{'% of max':>10}{'size':>11}{'% of max':>10}",
    ]
    for r in rows(report):
        mark = "*" if r["contended"] else " "
        lines.append(
            f"{r['step']:<16}{r['scenario']:<11}{r['seconds']:>8.2f}s{mark}{r['time_pct']:>8.0f}%"
            f"{r['size'] / MB:>9.1f}MB{r['size_pct']:>9.0f}%"
        )
    lines.append("% of the largest figure in the same scenario; * another docker build ran meanwhile")
    lines += [f"target: {target_line(t)}" for t in report.get("targets", [])]
    if report.get("cost"):
        lines += ["", "Cost of waiting:", *cost_lines(report["cost"])]
    return "\n".join(lines)


def markdown_table(report: Report) -> str:
    lines = ["| step | scenario | time | % of max | size | % of max |", "| --- | --- | ---: | ---: | ---: | ---: |"]
    for r in rows(report):
        lines.append(
            f"| {r['step']} | {r['scenario']} | {r['seconds']:.2f} s{' *' if r['contended'] else ''} "
            f"| {r['time_pct']:.0f}% | {r['size'] / MB:.1f} MB | {r['size_pct']:.0f}% |"
        )
    return "\n".join(lines) + "\n\n" + caption(report) + ".\n"


def parse_cost_args(parser: argparse.ArgumentParser) -> None:
    """The cost table's inputs, shared by bench/docker_build.py and this script."""
    parser.add_argument("--team", type=int, default=ARTICLE_TEAM, help="developers (default: %(default)s)")
    parser.add_argument(
        "--builds-per-day", type=int, default=10, help="builds a developer starts a day (default: %(default)s)"
    )
    parser.add_argument(
        "--rate", type=float, default=DEFAULT_RATE, help="hourly cost in dollars (default: %(default)s)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print bench/docker_build.py's table again from a saved JSON.")
    parser.add_argument("report", nargs="?", default="bench/results/docker_build.json")
    parse_cost_args(parser)
    args = parser.parse_args(argv)
    path = Path(args.report)
    try:
        report = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        print(f"docker_report: {path}: {error}", file=sys.stderr)
        return 1
    report["targets"] = targets(report)
    report["cost"] = cost_of_waiting(report, args.team, args.builds_per_day, args.rate)
    print(text_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
