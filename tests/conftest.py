"""Suite-wide rules.

In CI (CI=true) nothing may be skipped: a test that should have run but did
not is reported and fails the run, so a missing service can never turn into
a quietly green build.
"""

import pytest

from testing.ci import in_ci

IN_CI = in_ci()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    if IN_CI and skipped:
        terminalreporter.write_line(f"CI: {len(skipped)} test(s) skipped; in CI every test must run", red=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if IN_CI and skipped and exitstatus == 0:
        session.exitstatus = 1
