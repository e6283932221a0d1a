"""The repo's ``cmd`` package shadows the standard library's ``cmd`` module from the repo
root; pdb (and so pytest) must keep working there, and so must the documented commands."""

import subprocess
import sys

import pytest

from tests.tools.tools_support import REPO, run_tool

STDLIB_USERS = """
import io, pathlib, pdb, cmd
import cmd.rendermd, cmd.buildindex, cmd.prezip
# The shadowing is real (else this test proves nothing): cmd is the repo's package...
assert pathlib.Path(cmd.__file__).resolve() == pathlib.Path("cmd/__init__.py").resolve(), cmd.__file__
# ...and still the standard module to the code that imports it as such.
assert issubclass(pdb.Pdb, cmd.Cmd)

class Shell(cmd.Cmd):
    def do_greet(self, arg):
        print("hello", arg, file=self.stdout)

def debugged():
    return 1

out = io.StringIO()
Shell(stdout=out).onecmd("greet world")
debugger_out = io.StringIO()  # pdb's prompt loop is cmd.Cmd's
pdb.Pdb(stdin=io.StringIO("p 6 * 7\\ncontinue\\n"), stdout=debugger_out, nosigint=True).runcall(debugged)
print(out.getvalue().strip(), "|", "42" in debugger_out.getvalue())
"""


def test_pdb_and_the_stdlib_cmd_module_work_from_the_repo_root() -> None:
    result = subprocess.run([sys.executable, "-c", STDLIB_USERS], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hello world | True"


@pytest.mark.parametrize("flags", [[], ["--pdb"]])
def test_pytest_starts_from_the_repo_root(flags: list[str]) -> None:
    """With a plain cmd/__init__.py this died with INTERNALERROR: module 'cmd' has no attribute 'Cmd'."""
    result = run_tool(
        "pytest", *flags, "--collect-only", "-q", "-p", "no:cacheprovider", "tests/tools/test_cmd_package.py", text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "INTERNALERROR" not in result.stdout + result.stderr
    assert "test_pytest_starts_from_the_repo_root" in result.stdout


@pytest.mark.parametrize(
    ("tool", "words"),
    [("cmd.rendermd", "ARTICLES_DIR OUT_DIR"), ("cmd.buildindex", "OUT_DIR"), ("cmd.prezip", "OUT_DIR")],
)
def test_each_tool_answers_help(tool: str, words: str) -> None:
    result = run_tool(tool, "--help", text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: python -m {tool} ")
    assert words in result.stdout.splitlines()[0] + result.stdout


def test_a_tool_without_arguments_shows_usage_and_fails() -> None:
    result = run_tool("cmd.rendermd", text=True)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: python -m cmd.rendermd")


def test_the_package_lends_the_standard_modules_names_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Called directly: pdb's first use, in the subprocess above, is out of mutmut's sight."""
    import cmd as package

    for name in ("Cmd", "PROMPT", "IDENTCHARS"):
        if name in vars(package):
            monkeypatch.setitem(vars(package), name, vars(package)[name])  # given back after the test
    loaded = package.__getattr__("Cmd")
    assert isinstance(loaded, type) and loaded.__module__ == "_stdlib_cmd" and hasattr(loaded, "cmdloop")
    assert package.PROMPT == "(Cmd) "
    assert package.IDENTCHARS == "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
    with pytest.raises(AttributeError, match=r"^module 'cmd' has no attribute 'rendermd_x'$"):
        package.__getattr__("rendermd_x")
