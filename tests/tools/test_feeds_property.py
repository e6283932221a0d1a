"""Whatever an article says, if the build accepts it, every feed parses.

Hypothesis writes articles with any text in the title, summary, author, tags
and body (control characters, U+FFFE, markup, entities...).  The build may
refuse one, with a one-line error; when it accepts it, RSS and Atom must be
well-formed XML, and a feed reader's parser (feedparser) must read the
entry back without complaint.
"""

import json
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cmd.buildindex.index import build_index
from cmd.rendermd.build import render_site
from cmd.shared.errors import InputError

pytestmark = pytest.mark.slow  # processes, sockets or many cases: outside the Docker build's test run

# Every code point but surrogates (which UTF-8 cannot even write to the file); the
# control characters and U+FFFE/U+FFFF are there on purpose.
ANY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
BODY_PIECES = st.sampled_from(
    ["\x07", "\x0c", "\x1b", "\ufffe", "&#1;", "&#xFFFE;", "<b>", "]]>", "<![CDATA[", "&amp;", "\n\n", "# h\n", "`c`"]
)
BODIES = st.lists(st.one_of(ANY_TEXT, BODY_PIECES), max_size=8).map("".join)
# Mostly printable text (letters, digits, punctuation and symbols of any script), sometimes anything.
PRINTABLE = st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=30)
FIELD = st.one_of(PRINTABLE, PRINTABLE, PRINTABLE, ANY_TEXT)
TAG = st.one_of(st.text(st.characters(categories=("L", "N")), min_size=1, max_size=12), FIELD)


def article(title: str, summary: str, author: str, tags: list[str], body: str) -> str:
    """YAML front matter with JSON strings (valid YAML), escapes and all, then the body as it is."""
    front = {"title": title, "date": "2024-05-06", "summary": summary, "author": author, "tags": tags}
    lines = "".join(f"{key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in front.items())
    return f"---\n{lines}---\n{body}\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=FIELD, summary=FIELD, author=FIELD, tags=st.lists(TAG, max_size=3), body=BODIES)
def test_every_accepted_article_gives_feeds_that_parse(
    title: str, summary: str, author: str, tags: list[str], body: str
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "a").mkdir()
        (root / "a" / "post.md").write_text(article(title, summary, author, tags, body), encoding="utf-8")
        try:
            render_site(root / "a", root / "out")
        except (InputError, ExceptionGroup):
            assume(False)  # refused, with a clear error: nothing to publish
        build_index(root / "out")
        for name in ("rss.xml", "atom.xml"):
            data = (root / "out" / name).read_bytes()
            ET.fromstring(data)  # raises on anything that is not well-formed
            parsed = feedparser.parse(data)
            assert not parsed.bozo, (name, parsed.get("bozo_exception"))
            assert len(parsed.entries) == 1
        json.loads((root / "out" / "feed.json").read_text(encoding="utf-8"))
