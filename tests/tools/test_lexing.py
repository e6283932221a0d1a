"""Pygments' regex lexers with each state's rules joined into one regex give Pygments' own tokens.

cmd.rendermd.lexing replaces RegexLexer's rule-by-rule loop for speed; the highlighted HTML must
not change, so for every lexer Pygments has, its tokens are compared with Pygments' on text that
walks many states (prompts, strings, comments, markup, unbalanced brackets).
"""

import re
from collections import Counter

import pytest
from pygments.lexer import Lexer, RegexLexer, bygroups
from pygments.lexers import find_lexer_class_by_name, get_all_lexers, get_lexer_by_name
from pygments.token import Keyword, Name, Punctuation, String, Text, Whitespace

from cmd.rendermd import lexing

TEXTS = (
    (
        "$ ls -la /tmp\ntotal 0\n>>> print('hi')\n... \nhi\npostgres=# SELECT 1;\n"
        "irb(main):001:0> 1 + 1\n# a comment & <tag>\n\tindented with a tab\nlast line of output\n"
    ),
    'def f(x: int) -> str:\n    """Doc."""\n    return f"{x!r}" if x else r\'\\d+\'  # done\n',
    '<?php echo $a; ?>\n<div class="a">{{ b | c }}{% if d %}</div>\n/* open comment\nSELECT * FROM t;\n',
    "fn main() { let s = \"unterminated\n  x = [1, 2.5e3, 0x1F] ; `tick` 'q' @decorator %macro\n}}\n",
)
# One alias per lexer class that the joining applies to (the others run as Pygments has them).
JOINED = sorted(
    {
        find_lexer_class_by_name(aliases[0]): aliases[0]
        for _, aliases, _, _ in get_all_lexers()
        if aliases and lexing.plain(find_lexer_class_by_name(aliases[0]))
    }.values()
)


def lexer(alias: str) -> Lexer:
    return get_lexer_by_name(alias, stripnl=False, ensurenl=False)


def test_most_lexers_are_joined() -> None:
    assert len(JOINED) > 400


@pytest.mark.parametrize("alias", JOINED)
def test_every_joined_lexer_gives_pygments_tokens(alias: str) -> None:
    found = lexer(alias)
    for text in TEXTS:
        assert list(lexing.tokens(found, text, join_after=0)) == list(found.get_tokens(text))


@pytest.mark.parametrize(
    "alias", ["python", "go", "bash", "sh", "javascript", "typescript", "rust", "toml", "html", "sql"]
)
def test_the_common_languages_are_joined(alias: str) -> None:
    """The comparison above proves nothing for a lexer left on Pygments' own loop."""
    states = lexing.machine(type(lexer(alias)))
    assert states is not None
    assert any(step.winners for step in states["root"])


def test_a_lexer_is_joined_only_once_it_has_lexed_enough_to_pay_for_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """One page rebuilt must not pay 20 ms to compile Python's joined states; one huge block should."""
    built: list[type[Lexer]] = []
    monkeypatch.setattr(lexing, "machine", built.append)
    monkeypatch.setattr(lexing, "uses", Counter())
    python, go = lexer("python"), lexer("go")
    for _ in range(lexing.JOIN_AFTER // 6):
        list(lexing.tokens(python, "x = 1\n"))
    assert built == []
    list(lexing.tokens(python, "x = 1\n"))
    assert built == [type(python)]
    list(lexing.tokens(go, "x := 1\n" * lexing.JOIN_AFTER))
    assert built == [type(python), type(go)]


class Quoting(RegexLexer):
    """Rules of each kind the joining must handle: a backreference, flags, a verbose comment, a callback."""

    name = "quoting-test"
    tokens = {  # noqa: RUF012 (Pygments' class attribute)
        "root": [
            (r"(['\"])(.*?)\1", String),
            (r"(?i)select\b", Keyword),
            (r"""(?x) \d+  # digits: the comment runs to the end""", Name.Constant),
            (r"(\w+)(\()", bygroups(Name.Function, Punctuation), "call"),
            (r"\w+", Name),
            (r"\s+", Whitespace),
        ],
        "call": [
            (r"\(", Punctuation, ("#push",)),
            (r"\)", Punctuation, "#pop"),
            (r"[^()]+", Text),
        ],
    }


def test_a_rule_with_a_backreference_is_tried_alone_in_its_place() -> None:
    quoting = Quoting(stripnl=False, ensurenl=False)  # Pygments builds the rules on a first instance
    states = lexing.machine(Quoting)
    assert states is not None
    root = states["root"]  # built on first use
    assert root[0].winners is None  # the backreference, alone and first
    assert root[1].winners is not None and len(root[1].winners) == 5
    text = "SELECT 'it' \"a\" 42 f(x, (y)) word) 'z'\n"
    assert list(lexing.tokens(quoting, text, join_after=0)) == list(quoting.get_tokens(text))
    assert (Keyword, "SELECT") in lexing.tokens(quoting, text, join_after=0)


def test_a_lexer_with_options_that_change_the_text_uses_pygments_loop() -> None:
    stripping = get_lexer_by_name("python", stripnl=True)
    text = "\n\nx = 1\n\n"
    assert list(lexing.tokens(stripping, text, join_after=0)) == list(stripping.get_tokens(text))
    assert re.match(r"x", "".join(value for _, value in lexing.tokens(stripping, text, join_after=0)))
