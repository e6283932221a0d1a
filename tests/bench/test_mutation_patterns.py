"""bench/mutation.py's module arguments: which mutants each one selects, `__init__.py` included."""

import pytest

from bench.mutation import matching, patterns_of

NAMES = [
    "cmd.x___getattr____mutmut_1",
    "cmd.shared.errors.x_report__mutmut_6",
    "cmd.shared.errors.xǁInputErrorǁ__str____mutmut_1",
    "cmd.rendermd.conventions.x_detect__mutmut_2",
    "cmd.rendermd.conventions.hugo.x_place__mutmut_3",
    "server.site.xǁSiteǁanswer__mutmut_9",
]


@pytest.mark.parametrize(
    ("module", "selected"),
    [
        ("cmd/__init__.py", ["cmd.x___getattr____mutmut_1"]),
        ("cmd/shared/errors.py", NAMES[1:3]),
        ("cmd.shared.errors", NAMES[1:3]),
        ("cmd/rendermd/conventions/__init__.py", ["cmd.rendermd.conventions.x_detect__mutmut_2"]),
        ("cmd/rendermd/conventions", NAMES[3:5]),
        ("server", NAMES[5:]),
    ],
)
def test_each_module_selects_its_own_mutants(module: str, selected: list[str]) -> None:
    assert [name for name in NAMES if matching(patterns_of(module))(name)] == selected


def test_a_module_outside_server_and_cmd_is_refused() -> None:
    with pytest.raises(SystemExit, match=r"mutation: bench/corpus\.py: not a module of server or cmd"):
        patterns_of("bench/corpus.py")
