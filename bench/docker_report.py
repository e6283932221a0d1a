"""bench/docker_build.py's figures as a text table, a Markdown table and an SVG bar chart.

No plotting library: the chart is a few dozen SVG rectangles, written here, so the project
needs no dependency for it and the blog can serve the file as it is.
"""

from html import escape

MB = 1_000_000
NAIVE, SLIM, MINIMAL = "1-naive", "4-cache-mounts", "5-minimal"
COLORS = ("#b5443b", "#d98a2b", "#8f8f2e", "#3f8a4f", "#2d6ca6", "#6a4c93")
SCENARIO_TITLES = {
    "cold": "cold (build cache pruned)",
    "unchanged": "warm, nothing changed",
    "article": "warm, an article edited",
    "server": "warm, server code edited",
    "lock": "warm, a dependency changed in uv.lock",
}


def rows(report: dict) -> list[dict]:
    """The results in the table's order (scenario, then step), with % of the scenario's largest figure."""
    results = report["results"]
    ordered = []
    for scenario in dict.fromkeys(r["scenario"] for r in results):
        group = [r for r in results if r["scenario"] == scenario]
        slowest, biggest = max(r["seconds"] for r in group), max(r["size"] for r in group)
        ordered += [
            {**r, "time_pct": 100 * r["seconds"] / slowest, "size_pct": 100 * r["size"] / biggest} for r in group
        ]
    return ordered


def find(report: dict, step: str, scenario: str) -> dict | None:
    return next((r for r in report["results"] if r["step"] == step and r["scenario"] == scenario), None)


def targets(report: dict) -> list[dict]:
    """The issue's three targets, each with the measured ratio, or left out when a step was not built."""
    checks = []
    naive, fast = find(report, NAIVE, "article"), find(report, SLIM, "article")
    if naive and fast:
        checks.append(
            ("after an article edit, 4-cache-mounts faster than 1-naive", naive["seconds"] / fast["seconds"], 20)
        )
    sizes = {r["step"]: r["size"] for r in report["results"]}
    for step, goal in ((SLIM, 5), (MINIMAL, 25)):
        if NAIVE in sizes and step in sizes:
            checks.append((f"{step} image smaller than 1-naive's", sizes[NAIVE] / sizes[step], goal))
    return [
        {"target": name, "ratio": round(ratio, 1), "goal": goal, "met": ratio >= goal} for name, ratio, goal in checks
    ]


def caption(report: dict) -> tuple[str, str]:
    """Where and when (the machine), then with what (the base images, the number of runs)."""
    m = report["machine"]
    bases = ", ".join(
        f"{b['tag']} ({'look-alike' if b['lookalike'] else 'official'}, {b['size'] / MB:.0f} MB)"
        for b in m["bases"].values()
    )
    return (
        f"{report['date']}, {m['cores']} cores, {m['os']} host, Docker {m['docker']}",
        "; ".join(filter(None, [report.get("source"), f"bases {bases}", f"median of {report['runs']} run(s)"])),
    )


def text_table(report: dict) -> str:
    lines = [
        *caption(report),
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
    lines += [
        f"target: {t['target']}: {t['ratio']}x (goal {t['goal']}x) {'met' if t['met'] else 'MISSED'}"
        for t in report.get("targets", [])
    ]
    return "\n".join(lines)


def markdown_table(report: dict) -> str:
    lines = ["| step | scenario | time | % of max | size | % of max |", "| --- | --- | ---: | ---: | ---: | ---: |"]
    for r in rows(report):
        lines.append(
            f"| {r['step']} | {r['scenario']} | {r['seconds']:.2f} s{' *' if r['contended'] else ''} "
            f"| {r['time_pct']:.0f}% | {r['size'] / MB:.1f} MB | {r['size_pct']:.0f}% |"
        )
    return "\n".join(lines) + "\n\n" + "; ".join(caption(report)) + ".\n"


def svg_chart(report: dict) -> str:
    """Horizontal bars: build time per scenario (each scaled to its slowest step), then image size."""
    steps = [s["name"] for s in report["steps"]]
    # By the step's number, so a step keeps its colour in a chart of a few steps.
    color = {name: COLORS[(int(name.split("-")[0]) - 1) % len(COLORS)] for name in steps}
    width, left, bar_area, row, bar = 760, 170, 470, 16, 12
    parts, y = [], 30

    def text(x: float, y: float, content: str, size: int = 12, anchor: str = "start", weight: str = "normal") -> None:
        parts.append(
            f'<text x="{x:.0f}" y="{y:.0f}" font-size="{size}" text-anchor="{anchor}" '
            f'font-weight="{weight}">{escape(content)}</text>'
        )

    def bars(group: list[tuple[str, float, str]]) -> None:
        nonlocal y
        largest = max(value for _, value, _ in group) or 1
        for name, value, label in group:
            length = max(1.0, bar_area * value / largest)
            text(left - 8, y + bar - 2, name, 11, "end")
            parts.append(f'<rect x="{left}" y="{y}" width="{length:.1f}" height="{bar}" fill="{color[name]}"/>')
            text(left + length + 6, y + bar - 2, label, 11)
            y += row

    text(width / 2, y, "eblog: the Docker build, step by step", 16, "middle", "bold")
    y += 18
    for line in caption(report):
        text(width / 2, y, line, 10, "middle")
        y += 14
    y += 14
    text(12, y, "Build time (seconds; each scenario scaled to its slowest step)", 13, weight="bold")
    y += 10
    for scenario in dict.fromkeys(r["scenario"] for r in report["results"]):
        y += 16
        text(12, y, SCENARIO_TITLES.get(scenario, scenario), 12, weight="bold")
        y += 6
        bars(
            [
                (r["step"], r["seconds"], f"{r['seconds']:.2f} s" + (" *" if r["contended"] else ""))
                for r in report["results"]
                if r["scenario"] == scenario
            ]
        )
    y += 24
    text(12, y, "Final image size (MB, docker image inspect)", 13, weight="bold")
    y += 8
    sizes = {r["step"]: r["size"] for r in report["results"]}
    bars([(name, sizes[name] / MB, f"{sizes[name] / MB:.1f} MB") for name in steps if name in sizes])
    y += 12
    text(12, y, "* another docker build ran on the machine meanwhile", 10)
    height = y + 12
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="DejaVu Sans, Helvetica, Arial, sans-serif">\n'
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>\n' + "\n".join(parts) + "\n</svg>\n"
    )


def main() -> None:
    """Print the table again and redraw the chart from a saved JSON, without building anything."""
    import json
    import sys
    from pathlib import Path

    source = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/results/docker_build.json")
    report = json.loads(source.read_text())
    source.with_suffix(".svg").write_text(svg_chart(report))
    source.with_suffix(".md").write_text(markdown_table(report))
    print(text_table(report))


if __name__ == "__main__":
    main()
