"""Every line of every code block survives highlighting, whatever the language.

Pygments' session lexers (console, pycon, psql...) only emit a line once its
newline arrives; fed a block without its last newline they dropped the last
line, so a shell session lost its final output.  This renders one block with
every alias Pygments knows and compares the text a reader sees, line by line.
"""

import html
import re

import pytest
from pygments.lexers import get_all_lexers

from cmd.rendermd import highlight

pytestmark = pytest.mark.slow  # processes, sockets or many cases: outside the Docker build's test run

# Shapes that session and REPL lexers treat specially (prompts, output, continuation lines),
# and a last line that is output, the line that used to vanish.
SAMPLE = (
    "$ ls -la /tmp\n"
    "total 0\n"
    ">>> print('hi')\n"
    "... \n"
    "hi\n"
    "postgres=# SELECT 1;\n"
    "irb(main):001:0> 1 + 1\n"
    "# a comment & <tag>\n"
    "\tindented with a tab\n"
    "last line of output\n"
)
ALIASES = sorted({alias for _, aliases, _, _ in get_all_lexers() for alias in aliases})
TAG = re.compile(r"<[^>]+>")


def visible_lines(fence_html: str) -> list[str]:
    inner = fence_html.split("<code", 1)[1].split(">", 1)[1].rsplit("</code>", 1)[0]
    return html.unescape(TAG.sub("", inner)).split("\n")


def test_there_are_many_aliases() -> None:
    assert len(ALIASES) > 500
    assert {"console", "shell-session", "pycon", "psql", "rconsole"} <= set(ALIASES)


@pytest.mark.parametrize("alias", ALIASES)
def test_every_source_line_is_in_the_output(alias: str) -> None:
    expected = SAMPLE.expandtabs(4).split("\n")
    assert visible_lines(highlight.render_fence(SAMPLE, alias)) == expected
