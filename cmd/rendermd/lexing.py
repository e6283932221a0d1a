"""Pygments' regex lexers, faster: each state's rules tried in one regular expression.

A RegexLexer tries the rules of its current state one after another at each
position, one Python call per rule; Python's lexer has dozens, so most of the
time highlighting goes to rules that fail.  Here the consecutive rules of a
state that can share a regular expression become one alternation, tried in one
call: the regex engine, like the lexer, takes the first alternative that
matches, so the tokens are the same ones (the tests compare them for every
lexer).  A rule that cannot share (a backreference counts groups) is tried
alone, in its place.  Lexers that are not plain RegexLexers, or that filter
their tokens, run as Pygments has them.
"""

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pygments.lexer import Lexer, RegexLexer
from pygments.token import Error, Whitespace, _TokenType

# Python refuses, in an alternative, a global flag group anywhere but at the start; the
# pattern's own flags are scoped to its alternative instead.
LEADING_FLAGS = re.compile(r"^\(\?[aiLmsux]+\)")
FLAG_LETTERS = ((re.ASCII, "a"), (re.IGNORECASE, "i"), (re.MULTILINE, "m"), (re.DOTALL, "s"), (re.VERBOSE, "x"))
# Group numbers change in an alternation: backreferences and conditionals would point elsewhere.
COUNTS_GROUPS = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")

JOIN_AFTER = 10_000  # characters: past about this many, compiling the joined states has paid back
PLAIN_LOOP = RegexLexer.get_tokens_unprocessed
Match = Callable[[str, int], "re.Match[str] | None"]
Rule = tuple[Match, Any, Any]  # as Pygments keeps one: its match, its action (token or callback), its new state


uses: Counter[type[Lexer]] = Counter()  # characters lexed so far in this process, per lexer class


@dataclass(frozen=True)
class Step:
    """One regular expression to try: a rule of its own, or several joined (``winners`` tells which matched)."""

    match: Match
    rule: Rule
    winners: dict[int, Rule] | None = None


def alternative(pattern: "re.Pattern[str]") -> str | None:
    """The rule's pattern with its flags scoped to it, or None if it cannot share a regular expression."""
    source = pattern.pattern
    if COUNTS_GROUPS.search(source):
        return None
    source = LEADING_FLAGS.sub("", source)
    letters = "".join(letter for flag, letter in FLAG_LETTERS if pattern.flags & flag)
    ending = "\n" if pattern.flags & re.VERBOSE else ""  # a comment on the last line must not swallow ")"
    return f"(?{letters}:{source}{ending})" if letters else f"(?:{source}{ending})"


def joined(rules: list[Rule]) -> list[Step]:
    """Several rules as one alternation, each in a named group whose number says it won.

    Should Python refuse the alternation (a flag it will not scope), each rule is tried alone.
    """
    if len(rules) == 1:
        return [Step(rules[0][0], rules[0])]
    parts = [f"(?P<_rule{index}>{alternative(_pattern(rule))})" for index, rule in enumerate(rules)]
    try:
        compiled = re.compile("|".join(parts))
    except re.error:
        return [Step(rule[0], rule) for rule in rules]
    winners = {compiled.groupindex[f"_rule{index}"]: rule for index, rule in enumerate(rules)}
    return [Step(compiled.match, rules[0], winners)]


def _pattern(rule: Rule) -> "re.Pattern[str]":
    pattern: re.Pattern[str] = getattr(rule[0], "__self__")  # noqa: B009 (a bound Pattern.match)
    return pattern


def steps(rules: list[Rule]) -> list[Step]:
    """A state's rules in order: runs that can share a regular expression joined, the others alone."""
    result: list[Step] = []
    run: list[Rule] = []
    names: set[str] = set()
    for rule in rules:
        pattern = _pattern(rule)
        if alternative(pattern) is None:
            result += joined(run) if run else []
            result.append(Step(rule[0], rule))
            run, names = [], set()
            continue
        if names & set(pattern.groupindex):  # a group name twice in one expression is an error
            result += joined(run)
            run, names = [], set()
        run.append(rule)
        names |= set(pattern.groupindex)
    return result + joined(run) if run else result


class States(dict[str, list[Step]]):
    """A lexer's states as steps, each joined the first time the lexer enters it: compiling a
    large alternation costs milliseconds, and most texts visit a few of a lexer's states."""

    def __init__(self, rules: dict[str, list[Rule]]) -> None:
        super().__init__()
        self.rules = rules

    def __missing__(self, state: str) -> list[Step]:
        self[state] = steps(self.rules[state])
        return self[state]


def plain(lexer_class: type[Lexer]) -> bool:
    """A RegexLexer that keeps RegexLexer's loop (others add to it: C's, Ruby's, PHP's...)."""
    return issubclass(lexer_class, RegexLexer) and lexer_class.get_tokens_unprocessed is PLAIN_LOOP


@functools.cache
def machine(lexer_class: type[Lexer]) -> States | None:
    """The states of a plain RegexLexer class (one table per class), or None for other lexers."""
    if not plain(lexer_class):
        return None
    # The class's own table, which Pygments builds when the class is first instantiated (an
    # inherited one would be its parent's).
    rules: dict[str, list[Rule]] = lexer_class.__dict__.get("_tokens", {})
    if not rules or not all(
        isinstance(getattr(rule[0], "__self__", None), re.Pattern) for state in rules.values() for rule in state
    ):
        return None
    return States(rules)


def tokens(lexer: Lexer, code: str, *, join_after: int = JOIN_AFTER) -> Iterator[tuple[_TokenType, str]]:
    """The (token type, text) pairs ``lexer.get_tokens(code)`` gives.

    A lexer's states are joined once it has lexed ``join_after`` characters in this process
    (this block included): compiling them costs 20 ms for Python's lexer, which joining saves
    back over some 14,000 characters of Python; one page rebuilt rarely gets there.
    """
    uses[type(lexer)] += len(code)
    options = lexer.filters or lexer.stripnl or lexer.stripall or lexer.ensurenl or lexer.tabsize
    states = None if options or uses[type(lexer)] <= join_after else machine(type(lexer))
    if states is None:
        yield from lexer.get_tokens(code)
        return
    # What get_tokens does first with these options: no byte order mark, LF line ends.
    code = code.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    for _, token, text in run(lexer, states, code):
        yield token, text


def run(lexer: Lexer, states: States, text: str) -> Iterator[tuple[int, _TokenType, str]]:
    """RegexLexer's loop over the joined steps: the first rule that matches acts, then moves the state."""
    position = 0
    stack = ["root"]
    current = states["root"]
    while True:
        for step in current:
            found = step.match(text, position)
            if found is None:
                continue
            rule = step.rule if step.winners is None else step.winners[found.lastindex or 0]
            action = rule[1]
            if type(action) is _TokenType:
                yield position, action, found.group()
            elif action is not None:  # a callback reads the rule's own groups
                yield from action(lexer, found if step.winners is None else rule[0](text, position))
            position = found.end()
            if rule[2] is not None:
                move(stack, rule[2])
                current = states[stack[-1]]
            break
        else:
            if position >= len(text):
                return
            if text[position] == "\n":  # no rule matches a newline: back to the root state
                stack = ["root"]
                current = states["root"]
                yield position, Whitespace, "\n"
            else:
                yield position, Error, text[position]
            position += 1


def move(stack: list[str], new_state: Any) -> None:
    """Pygments' state changes: push states ("#push" repeats the top), or pop (never the last)."""
    if isinstance(new_state, tuple):
        for state in new_state:
            if state == "#pop":
                if len(stack) > 1:
                    stack.pop()
            elif state == "#push":
                stack.append(stack[-1])
            else:
                stack.append(state)
    elif isinstance(new_state, int):  # pop that many
        del stack[new_state if -new_state < len(stack) else 1 :]
    elif new_state == "#push":
        stack.append(stack[-1])
