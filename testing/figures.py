"""What a group of tests measured (build times, hit ratios, contrast), printed in pytest's summary.

Figures are shown even when every test passes: a conftest.py collects them in a list and hands
it to print_figures from its pytest_terminal_summary hook.
"""

import pytest


def print_figures(reporter: pytest.TerminalReporter, title: str, figures: list[str]) -> None:
    """A section named ``title`` with one line per figure; nothing when none was measured."""
    if figures:
        reporter.section(title)
        for line in figures:
            reporter.write_line(line)
