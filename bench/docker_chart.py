"""bench/docker_build.py's figures as one SVG bar chart, drawn here (no plotting library).

One panel per scenario (build time) and one for image size. Every time panel shares one log-scale
axis, so a bar in one panel compares with a bar in any other (a 14 s naive rebuild beside a 0.7 s
one, and beside the cold builds); each bar says its figure and its ratio to the naive step in the
same panel. Text is at least 12 px. The chart brings its own background, light or dark with the
reader's colour scheme, and the bar colours hold at least 3:1 against both, so it reads the same
in a light or dark README, article or file viewer.
"""

import math
from collections.abc import Callable
from html import escape

from bench.docker_report import MB, NAIVE, SCENARIO_TITLES, Report, caption, scenarios

# By step number; each at least 3:1 against both backgrounds below (tests/docker/test_docker_report.py).
COLORS = ("#c0504d", "#b06f1c", "#7f8c1f", "#3f9a5a", "#3d7fc4", "#8a63b8")
LIGHT, DARK = ("#ffffff", "#1f2328"), ("#0d1117", "#e6edf3")  # (background, text)
STYLE = (
    f".bg {{ fill: {LIGHT[0]}; }} .fg {{ fill: {LIGHT[1]}; }} .grid {{ stroke: {LIGHT[1]}; stroke-opacity: 0.25; }}\n"
    f"@media (prefers-color-scheme: dark) {{ .bg {{ fill: {DARK[0]}; }} .fg {{ fill: {DARK[1]}; }} "
    f".grid {{ stroke: {DARK[1]}; }} }}"
)
WIDTH, LEFT, BAR_AREA, ROW, BAR = 980, 150, 500, 22, 16
FONT, SMALL = 14, 12  # px


def log_axis(values: list[float]) -> tuple[list[float], Callable[[float], float]]:
    """Ticks at the powers of ten around values, and the bar length of a value on that axis."""
    low = 10 ** math.floor(math.log10(min(values)))
    high = 10 ** math.ceil(math.log10(max(values)))
    high = high * 10 if high == low else high
    ticks = [low * 10**i for i in range(round(math.log10(high / low)) + 1)]

    def length(value: float) -> float:
        return BAR_AREA * math.log10(value / low) / math.log10(high / low)

    return ticks, length


def tick_label(value: float, unit: str) -> str:
    return f"{value:g} {unit}"


class Canvas:
    """The SVG's elements as they are added, top to bottom."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.y = 0.0

    def text(
        self, x: float, y: float, content: str, size: int = FONT, anchor: str = "start", bold: bool = False
    ) -> None:
        weight = ' font-weight="bold"' if bold else ""
        self.parts.append(
            f'<text class="fg" x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{weight}>'
            f"{escape(content)}</text>"
        )

    def axis(
        self, ticks: list[float], length: Callable[[float], float], unit: str, top: float, bottom: float, at: int
    ) -> None:
        """Grid lines from top to bottom, with the tick labels above them, drawn under the bars (at index at)."""
        lines = []
        for tick in ticks:
            x = LEFT + length(tick)
            lines.append(f'<line class="grid axis" x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom:.1f}"/>')
            lines.append(
                f'<text class="fg tick" x="{x:.1f}" y="{top - 6:.1f}" font-size="{SMALL}" text-anchor="middle">'
                f"{escape(tick_label(tick, unit))}</text>"
            )
        self.parts[at:at] = lines

    def bars(
        self, group: list[tuple[str, float, str]], length: Callable[[float], float], color: dict[str, str]
    ) -> None:
        for name, value, label in group:
            width = max(2.0, length(value))
            self.text(LEFT - 8, self.y + BAR - 3, name, FONT, "end")
            self.parts.append(
                f'<rect class="bar" x="{LEFT}" y="{self.y:.1f}" width="{width:.1f}" height="{BAR}" '
                f'fill="{color[name]}"/>'
            )
            self.text(LEFT + width + 6, self.y + BAR - 3, label, FONT)
            self.y += ROW


def ratio_label(value: float, naive: float | None, unit: str, fmt: str, word: str) -> str:
    """ "0.66 s, 21x faster" (against the naive step in the same panel), or the naive step's own figure."""
    figure = f"{value:{fmt}} {unit}"
    if naive is None:
        return figure
    if math.isclose(value, naive):
        return f"{figure}, the baseline"
    ratio = naive / value
    return (
        f"{figure}, {ratio:.1f}x {word}"
        if ratio >= 1
        else f"{figure}, {1 / ratio:.1f}x {'slower' if word == 'faster' else 'bigger'}"
    )


def svg_chart(report: Report) -> str:
    steps = [s["name"] for s in report["steps"]]
    color = {name: COLORS[(int(name.split("-")[0]) - 1) % len(COLORS)] for name in steps}
    canvas = Canvas()
    canvas.y = 32
    canvas.text(WIDTH / 2, canvas.y, "eblog: the Docker build, step by step", 18, "middle", bold=True)
    for line in wrap(caption(report), 130):
        canvas.y += 18
        canvas.text(WIDTH / 2, canvas.y, line, SMALL, "middle")
    times = [r["seconds"] for r in report["results"]]
    ticks, length = log_axis(times)
    canvas.y += 34
    canvas.text(12, canvas.y, "Build time (seconds, log scale shared by every panel; ratio to 1-naive)", 16, bold=True)
    canvas.y += 34
    axis_top, under = canvas.y, len(canvas.parts)
    for scenario in scenarios(report):
        group = [r for r in report["results"] if r["scenario"] == scenario]
        naive = next((r["seconds"] for r in group if r["step"] == NAIVE), None)
        canvas.y += 6
        canvas.text(12, canvas.y + 10, SCENARIO_TITLES.get(scenario, scenario), FONT, bold=True)
        canvas.y += 18
        canvas.bars(
            [
                (
                    r["step"],
                    r["seconds"],
                    ratio_label(r["seconds"], naive, "s", ".2f", "faster") + (" *" if r["contended"] else ""),
                )
                for r in group
            ],
            length,
            color,
        )
    canvas.axis(ticks, length, "s", axis_top, canvas.y, under)
    sizes = {r["step"]: r["size"] / MB for r in report["results"]}
    size_ticks, size_length = log_axis(list(sizes.values()))
    canvas.y += 40
    canvas.text(12, canvas.y, "Final image size (MB, docker image inspect; log scale; ratio to 1-naive)", 16, bold=True)
    canvas.y += 34
    size_top, under = canvas.y, len(canvas.parts)
    canvas.bars(
        [
            (name, sizes[name], ratio_label(sizes[name], sizes.get(NAIVE), "MB", ".1f", "smaller"))
            for name in steps
            if name in sizes
        ],
        size_length,
        color,
    )
    canvas.axis(size_ticks, size_length, "MB", size_top, canvas.y, under)
    canvas.y += 24
    canvas.text(12, canvas.y, "* another docker build ran on the machine meanwhile", SMALL)
    height = canvas.y + 16
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">\n'
        f"<style>\n{STYLE}\n</style>\n"
        f'<rect class="bg" width="{WIDTH}" height="{height:.0f}" rx="8"/>\n' + "\n".join(canvas.parts) + "\n</svg>\n"
    )


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most width characters, broken at "; " (the caption's separators) or spaces."""
    lines: list[str] = []
    for piece in text.split("; "):
        if lines and len(lines[-1]) + 2 + len(piece) <= width:
            lines[-1] += "; " + piece
        else:
            lines.append(piece)
    return lines
