"""Markdown to HTML: CommonMark extras, heading anchors, table of contents, code highlighting.

Structure is checked by parsing the output (html.parser), not by string matching
alone: a <div> inside <pre>, an unbalanced tag or an inline style fails the test.
"""

import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cmd.rendermd import highlight, markdown, references
from tests.tools.tools_support import check_html

PYTHON = '''def greet(name):
    """Say hello,
    politely."""
    return f"<hi {name}>" if name else '&amp;'
'''


@pytest.fixture(scope="module")
def md() -> markdown.Parser:
    return markdown.make_parser()


def render(md: markdown.Parser, text: str) -> markdown.Rendered:
    return markdown.render(md, text)


class CodeText(HTMLParser):
    """The text a reader sees in each <pre>, line-number gutters left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.in_pre = False
        self.gutter_depth = 0
        self.depth = 0
        self.numbers: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "pre":
            self.in_pre = True
            self.blocks.append("")
            self.numbers.append([])
        elif self.in_pre:
            self.depth += 1
            if "ln" in (dict(attrs).get("class") or "").split() and not self.gutter_depth:
                self.gutter_depth = self.depth
                self.numbers[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self.in_pre = False
        elif self.in_pre:
            if self.gutter_depth == self.depth:
                self.gutter_depth = 0
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.in_pre:
            return
        if self.gutter_depth:
            self.numbers[-1][-1] += data
        else:
            self.blocks[-1] += data


def code_text(html: str) -> CodeText:
    parser = CodeText()
    parser.feed(html)
    parser.close()
    return parser


def assert_valid(html: str) -> None:
    problems = check_html(html).problems
    assert problems == []


def test_headings_get_ids_and_link_to_themselves(md: markdown.Parser) -> None:
    html = render(md, "# Top\n\n## Setup & install\n\n### Über `uv`\n").html
    checker = check_html(html)
    headings = [(tag, attrs) for tag, attrs in checker.elements if re.fullmatch(r"h[1-6]", tag)]
    assert [attrs["id"] for _, attrs in headings] == ["top", "setup--install", "über-uv"]
    for heading_id, words in (("top", "Top"), ("setup--install", "Setup &amp; install"), ("über-uv", "Über uv")):
        assert f'<a class="header-anchor" href="#{heading_id}" aria-label="Link to this section: {words}">#</a>' in html
    assert checker.problems == []


def test_repeated_headings_get_distinct_ids(md: markdown.Parser) -> None:
    checker = check_html(render(md, "## Notes\n\ntext\n\n## Notes\n\n## Notes\n").html)
    assert len(checker.ids) == 3
    assert len(set(checker.ids)) == 3


def test_heading_of_only_symbols_gets_a_usable_id(md: markdown.Parser) -> None:
    """A heading with no word characters ("## ???", an emoji) still gets an id, so its self-link
    does not jump to the top of the page."""
    html = render(md, "## 🚀\n\n## ???\n").html
    checker = check_html(html)
    assert checker.problems == []
    assert 'href="#"' not in html


def test_heading_ids_never_collide_with_footnote_ids(md: markdown.Parser) -> None:
    """Headings and footnotes share one id space: a heading "fn1" must not take the footnote's id."""
    checker = check_html(render(md, "## fn1\n\nClaim.[^1]\n\n[^1]: Source.\n").html)
    assert checker.problems == []


def test_table(md: markdown.Parser) -> None:
    html = render(md, "| Tool | Use |\n|:-----|----:|\n| uv | lock *files* |\n").html
    checker = check_html(html)
    tags = [tag for tag, _ in checker.elements]
    assert tags[:2] == ["table", "thead"]
    assert tags.count("th") == 2 and tags.count("td") == 2
    assert "<em>files</em>" in html
    assert checker.problems == []


def test_strikethrough(md: markdown.Parser) -> None:
    assert "<s>old</s>" in render(md, "Text with ~~old~~ new.\n").html


def test_footnotes_link_both_ways(md: markdown.Parser) -> None:
    html = render(md, "A claim.[^src] Another.[^2]\n\n[^src]: The source.\n[^2]: More.\n").html
    checker = check_html(html)
    assert checker.problems == []
    hrefs = [attrs.get("href") or "" for tag, attrs in checker.elements if tag == "a"]
    links = [href for href in hrefs if href.startswith("#")]
    assert len(links) == 4  # two references and two back-references
    assert {link[1:] for link in links} <= set(checker.ids)
    assert "The source." in html


def test_table_of_contents_lists_h2_and_h3_with_their_ids(md: markdown.Parser) -> None:
    rendered = render(md, "# Title\n\n## First\n\n### Inner *part*\n\n#### Too deep\n\n## Second\n")
    assert [(h.level, h.id, h.text) for h in rendered.toc] == [
        (2, "first", "First"),
        (3, "inner-part", "Inner part"),
        (2, "second", "Second"),
    ]
    assert {h.id for h in rendered.toc} <= set(check_html(rendered.html).ids)


def test_raw_text_is_escaped_outside_code(md: markdown.Parser) -> None:
    html = render(md, "Fish & chips, 1 < 2.\n").html
    assert "Fish &amp; chips, 1 &lt; 2." in html


def test_highlighting_uses_css_classes_not_inline_styles(md: markdown.Parser) -> None:
    html = render(md, f"```python\n{PYTHON}```\n").html
    checker = check_html(html)
    assert checker.problems == []  # no style="", no <div> in <pre>, balanced
    assert html.startswith('<pre class="highlight" tabindex="0"><code class="language-python">')
    assert '<span class="k">def</span>' in html
    assert '<span class="nf">greet</span>' in html
    assert [tag for tag, _ in checker.elements].count("pre") == 1
    assert code_text(html).blocks == [PYTHON]  # every character survives, escaped then unescaped


def test_stylesheet_defines_the_classes_for_light_and_dark() -> None:
    css = highlight.stylesheet()
    assert re.search(r"^\.highlight \.k \{", css, re.M)
    assert "@media (prefers-color-scheme: dark)" in css
    assert re.search(r"^  \.highlight \.k \{", css, re.M)


@pytest.mark.parametrize("info", ["python {linenos=true}", "python{linenos=table}", "python {linenos=inline}"])
def test_line_numbers_on_request(md: markdown.Parser, info: str) -> None:
    html = render(md, f"```{info}\n{PYTHON}```\n").html
    found = code_text(html)
    assert found.numbers == [["1", "2", "3", "4"]]
    assert found.blocks == [PYTHON]  # numbers are in their own element, not in the code text
    assert check_html(html).problems == []  # the docstring spans two lines: spans stay balanced


def test_line_numbers_are_padded_and_can_start_elsewhere() -> None:
    code = "".join(f"x = {n}\n" for n in range(5))
    found = code_text(highlight.render_fence(code, "python {linenos=true, linenostart=8}"))
    assert found.numbers == [[" 8", " 9", "10", "11", "12"]]


@pytest.mark.parametrize("info", ["python {linenos=true}", "nosuchlang {linenos=true}", ""])
def test_tabs_become_spaces_so_indentation_survives_line_numbers(info: str) -> None:
    code = "if ready:\n\treturn 1\n"
    assert code_text(highlight.render_fence(code, info)).blocks == ["if ready:\n    return 1\n"]


def test_no_line_numbers_unless_asked(md: markdown.Parser) -> None:
    for info in ("python", "python {linenos=false}"):
        assert code_text(render(md, f"```{info}\n{PYTHON}```\n").html).numbers == [[]]


def test_highlighted_lines_are_marked() -> None:
    html = highlight.render_fence("a = 1\nb = 2\nc = 3\n", "python {hl_lines=[2]}")
    assert html.count('<mark class="hll">') == 1
    assert '<mark class="hll"><span class="n">b</span>' in html
    assert check_html(html).problems == []


@pytest.mark.parametrize("info", ["nosuchlang", "", "{linenos=true}", 'bad"lang'])
def test_unknown_or_missing_language_is_escaped_plain_text(md: markdown.Parser, info: str) -> None:
    source = '<script>alert("&")</script>\n  indented\n'
    html = render(md, f"```{info}\n{source}```\n").html
    checker = check_html(html)
    assert checker.problems == []
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert code_text(html).blocks == [source]
    assert '<span class="k"' not in html


def test_indented_code_block_is_plain_text(md: markdown.Parser) -> None:
    html = render(md, "Para.\n\n    <b>bold?</b>\n").html
    assert code_text(html).blocks == ["<b>bold?</b>\n"]
    assert check_html(html).problems == []


def test_empty_code_block(md: markdown.Parser) -> None:
    html = render(md, "```python\n```\n").html
    assert check_html(html).problems == []
    assert code_text(html).blocks == ["\n"]


def test_every_fence_form_together_is_valid_html(md: markdown.Parser) -> None:
    text = "\n".join(
        f"```{info}\n{PYTHON}```\n"
        for info in (
            "python",
            "python {linenos=true}",
            'go {linenos=table hl_lines=[1,"3-4"]}',
            "dockerfile",
            "sh",
            "",
            "nope",
        )
    )
    html = render(md, f"# Code\n\n{text}\n> quote with `code`\n").html
    checker = check_html(html)
    assert checker.problems == []
    assert [tag for tag, _ in checker.elements].count("pre") == 7
    assert "<div" not in html


def test_reading_time_and_excerpt(md: markdown.Parser) -> None:
    words = " ".join(["word"] * 460)
    rendered = render(md, f"## Heading\n\n{words}\n\nSecond paragraph.\n")
    assert rendered.reading_minutes == 2
    assert rendered.excerpt.endswith("…") and len(rendered.excerpt) <= markdown.EXCERPT_CHARS + 1
    assert render(md, "Short *first* paragraph.\n\nMore.\n").excerpt == "Short first paragraph."


def test_marked_lines_are_kept_within_the_block() -> None:
    """A huge range in hl_lines must not build a huge set (it used to end in MemoryError)."""
    html = highlight.render_fence("a = 1\nb = 2\n", 'python {hl_lines=["2-300000000"]}')
    assert html.count('<mark class="hll">') == 1


def test_every_heading_level_gets_an_id_and_a_self_link(md: markdown.Parser) -> None:
    html = render(md, "\n\n".join(f"{'#' * level} Level {level}" for level in range(1, 7))).html
    for level in range(1, 7):
        assert f'<h{level} id="level-{level}"><a class="header-anchor" href="#level-{level}" ' in html


def test_the_excerpt_keeps_words_apart_across_line_breaks(md: markdown.Parser) -> None:
    assert render(md, "First line\nsecond line  \nthird.\n").excerpt == "First line second line third."


@pytest.mark.parametrize(
    ("info", "language"),
    [
        ("rust,ignore", "rust"),
        ("rust=", "rust"),
        ('python title="x.py"', "python"),
        ("{.python}", "python"),
        ("{.python .numberLines}", "python"),
        ("go {linenos=table}", "go"),
        ("Shell-Session", "shell-session"),
    ],
)
def test_the_language_is_the_first_word_of_the_info_string(md: markdown.Parser, info: str, language: str) -> None:
    html = render(md, f"```{info}\n$ echo hi\nhi\n```\n").html
    assert f'<code class="language-{language}">' in html
    assert code_text(html).blocks == ["$ echo hi\nhi\n"]


def test_an_attribute_block_alone_is_no_language(md: markdown.Parser) -> None:
    html = render(md, "```{linenos=true}\nplain\n```\n").html
    assert "<code>" in html
    assert code_text(html).numbers == [["1"]]


def heading_ids(html: str) -> list[str]:
    return [attrs["id"] or "" for tag, attrs in check_html(html).elements if re.fullmatch(r"h[1-6]", tag)]


def test_heading_ids_take_githubs_form(md: markdown.Parser) -> None:
    html = render(md, "## What's new in v2.0?\n\n## C'est l'été\n\n## snake_case and-dash\n\n## Ünïcode 日本語\n").html
    assert heading_ids(html) == ["whats-new-in-v20", "cest-lété", "snake_case-and-dash", "ünïcode-日本語"]


def test_repeated_headings_are_numbered_like_github(md: markdown.Parser) -> None:
    html = render(md, "## Notes\n\n## Notes\n\n## Notes-1\n\n## Notes\n").html
    # The third heading asks for "notes-1", already taken by the second: it gets the next free one.
    assert heading_ids(html) == ["notes", "notes-1", "notes-1-1", "notes-2"]


def test_a_custom_id_replaces_the_generated_one_and_is_not_shown(md: markdown.Parser) -> None:
    html = render(md, "## Install it {#install}\n\n## Usage {#usage .wide}\n\n## Plain\n").html
    assert heading_ids(html) == ["install", "usage", "plain"]
    assert "{#" not in html and "Install it</h2>" in html
    assert '<a class="header-anchor" href="#install" aria-label="Link to this section: Install it">#</a>' in html


def test_braces_inside_a_heading_are_kept(md: markdown.Parser) -> None:
    html = render(md, "## Sets like {1, 2}\n\n## Code `{#x}`\n").html
    assert "Sets like {1, 2}</h2>" in html
    assert "<code>{#x}</code>" in html


def test_a_custom_id_repeated_is_still_unique(md: markdown.Parser) -> None:
    assert heading_ids(render(md, "## A {#same}\n\n## B {#same}\n").html) == ["same", "same-1"]


def test_many_repeated_headings_all_get_distinct_ids(md: markdown.Parser) -> None:
    html = render(md, "## a\n\n" * 3000).html
    ids = heading_ids(html)
    assert len(ids) == len(set(ids)) == 3000
    assert ids[:3] == ["a", "a-1", "a-2"] and ids[-1] == "a-2999"


# One document with every construct, and the HTML markdown-it-py gave it before the parser became
# pulldown-cmark: pages must not change when the parser does (tags, attributes, newlines).
EVERY_CONSTRUCT = r"""# Title

Intro with *em*, **strong**, ~~old~~, `code` and a [link](/docs/x "Docs").
A second line.\
After a hard break.

- tight
- list with **bold**
  - nested
-
- > quoted in an item

1. loose

2. items

Between.

7) starts at seven
8) eight

- text, then a heading
  ## in the item
- ```
  code in an item
  ```

> quote
>
> > nested

| left | centre | right | none |
|:-----|:------:|------:|------|
| a    | b      | c     | d    |
| e    |

---

<div class="note">
raw <b>html</b>
</div>

![logo](/static/logo.png "The logo") and a footnote[^a], again[^a], another[^b].

[^a]: First note.
[^b]: Second note

    with a second paragraph.
"""
EVERY_CONSTRUCT_HTML = """<h1 id="title"><a class="header-anchor" href="#title" aria-label="Link to this section: Title">#</a> Title</h1>
<p>Intro with <em>em</em>, <strong>strong</strong>, <s>old</s>, <code>code</code> and a <a href="/docs/x" title="Docs">link</a>.
A second line.<br />
After a hard break.</p>
<ul>
<li>tight</li>
<li>list with <strong>bold</strong>
<ul>
<li>nested</li>
</ul>
</li>
<li></li>
<li>
<blockquote>
<p>quoted in an item</p>
</blockquote>
</li>
</ul>
<ol>
<li>
<p>loose</p>
</li>
<li>
<p>items</p>
</li>
</ol>
<p>Between.</p>
<ol start="7">
<li>starts at seven</li>
<li>eight</li>
</ol>
<ul>
<li>text, then a heading
<h2 id="in-the-item"><a class="header-anchor" href="#in-the-item" aria-label="Link to this section: in the item">#</a> in the item</h2>
</li>
<li>
<pre class="highlight" tabindex="0"><code>code in an item
</code></pre>
</li>
</ul>
<blockquote>
<p>quote</p>
<blockquote>
<p>nested</p>
</blockquote>
</blockquote>
<table>
<thead>
<tr>
<th class="align-left">left</th>
<th class="align-center">centre</th>
<th class="align-right">right</th>
<th>none</th>
</tr>
</thead>
<tbody>
<tr>
<td class="align-left">a</td>
<td class="align-center">b</td>
<td class="align-right">c</td>
<td>d</td>
</tr>
<tr>
<td class="align-left">e</td>
<td class="align-center"></td>
<td class="align-right"></td>
<td></td>
</tr>
</tbody>
</table>
<hr />
<div class="note">
raw <b>html</b>
</div>
<p><img src="/static/logo.png" alt="logo" title="The logo" /> and a footnote<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup>, again<sup class="footnote-ref"><a href="#fn1" id="fnref1:1">[1:1]</a></sup>, another<sup class="footnote-ref"><a href="#fn2" id="fnref2">[2]</a></sup>.</p>
<hr class="footnotes-sep" />
<section class="footnotes">
<ol class="footnotes-list">
<li id="fn1" class="footnote-item"><p>First note. <a href="#fnref1" class="footnote-backref">↩︎</a> <a href="#fnref1:1" class="footnote-backref">↩︎</a></p>
</li>
<li id="fn2" class="footnote-item"><p>Second note</p>
<p>with a second paragraph. <a href="#fnref2" class="footnote-backref">↩︎</a></p>
</li>
</ol>
</section>
"""  # noqa: E501 (the page's own lines)


def test_every_construct_keeps_its_tags_and_newlines(md: markdown.Parser) -> None:
    html = render(md, EVERY_CONSTRUCT).html
    assert html == EVERY_CONSTRUCT_HTML
    assert_valid(html)


@pytest.mark.parametrize(
    "text",
    [
        "[a](javascript:alert(1))",
        "[a](  JavaScript:alert(1))",
        "[a](vbscript:x)",
        "[a](file:///etc/passwd)",
        "[a](data:text/html,<script>x</script>)",
        "<javascript:alert(1)>",
        "[a][r]\n\n[r]: javascript:alert(1)",
    ],
)
def test_a_link_that_could_run_code_is_its_text_alone(md: markdown.Parser, text: str) -> None:
    html = render(md, text + "\n").html
    assert "<a" not in html and "href" not in html
    assert_valid(html)


def test_an_image_that_could_run_code_is_its_alt_text_and_data_images_are_kept(md: markdown.Parser) -> None:
    html = render(md, "![the alt](javascript:x) ![dot](data:image/png;base64,AAAA)\n").html
    assert html == '<p>the alt <img src="data:image/png;base64,AAAA" alt="dot" /></p>\n'


def test_link_destinations_are_percent_encoded_and_hosts_punycoded(md: markdown.Parser) -> None:
    html = render(md, "[s](<a b.html>) [u](ü.html) [h](http://bücher.de/ä?q=1#f) [p](/x%41%zz) [m](<mailto:a@bü.de>)\n")
    assert html.html == (
        '<p><a href="a%20b.html">s</a> <a href="%C3%BC.html">u</a> '
        '<a href="http://xn--bcher-kva.de/%C3%A4?q=1#f">h</a> <a href="/x%41%25zz">p</a> '
        '<a href="mailto:a@xn--b-eha.de">m</a></p>\n'
    )


def test_an_autolink_shows_its_address_as_typed(md: markdown.Parser) -> None:
    html = render(md, "<http://a.example/b%20c> <me@example.org> <http://xn--bcher-kva.de/>\n").html
    assert html == (
        '<p><a href="http://a.example/b%20c">http://a.example/b c</a> '
        '<a href="mailto:me@example.org">me@example.org</a> '
        '<a href="http://xn--bcher-kva.de/">http://bücher.de/</a></p>\n'
    )


def test_a_numeric_reference_to_a_control_character_is_the_replacement_character(md: markdown.Parser) -> None:
    """The feeds are XML 1.0: ``&#1;`` must not become U+0001 (Hypothesis found this one)."""
    rendered = render(md, "a&#1;b &#x7F; [l](/x 't&#2;') ![&#3;](i.png)\n\n```py&#12;\nx\n```\n")
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", rendered.html + rendered.excerpt)
    assert rendered.excerpt == "a\ufffdb \ufffd l"
    assert 'title="t\ufffd"' in rendered.html and 'alt="\ufffd"' in rendered.html


def test_single_tildes_are_text_and_double_tildes_strike(md: markdown.Parser) -> None:
    rendered = render(md, "About ~5 and ~10~ items, ~~gone~~.\n")
    assert rendered.html == "<p>About ~5 and ~10~ items, <s>gone</s>.</p>\n"
    assert rendered.excerpt == "About ~5 and ~10~ items, gone."


def test_the_excerpt_is_everything_before_the_more_line(md: markdown.Parser) -> None:
    text = "First *one*.\n\nSecond.\n\n<!-- more -->\n\nAfter.\n"
    assert render(md, text).excerpt == "First one. Second."
    assert render(md, text.replace("<!-- more -->", "<!--more-->")).excerpt == "First one. Second."
    assert render(md, text.replace("<!-- more -->", "<!-- not more -->")).excerpt == "First one."


def test_a_fence_info_string_is_read_with_its_escapes_resolved(md: markdown.Parser) -> None:
    html = render(md, "```c\\+\\+\nint x;\n```\n").html
    assert '<code class="language-c++">' in html
    assert '<span class="kt">int</span>' in html


def test_footnote_labels_match_regardless_of_case(md: markdown.Parser) -> None:
    html = render(md, "Claim.[^Note]\n\n[^note]: The source.\n").html
    assert '<a href="#fn1" id="fnref1">[1]</a>' in html
    assert '<li id="fn1" class="footnote-item"><p>The source. <a href="#fnref1"' in html


def test_words_are_the_text_a_reader_reads_not_the_markup(md: markdown.Parser) -> None:
    text = "[two words](http://example.org/a/b 'a title') ![alt](x.png) <span class=\"x\">one</span> **bold**word\n"
    assert render(md, text).words == 4
    assert render(md, text + "\n```\nalpha beta gamma delta\n```\n").words == 4 + 2  # code is skimmed: half


def test_a_heading_ends_in_no_blanks(md: markdown.Parser) -> None:
    html = render(md, "# Title\t\n\n## Custom {#mine}\t\n").html
    assert "Title</h1>" in html and "Custom</h2>" in html


def test_what_the_policy_blocks_is_named_with_the_line_it_is_on(md: markdown.Parser) -> None:
    text = (
        "Intro line.\n"
        "\n"
        "<div>\n"
        "<script>alert(1)</script>\n"
        "</div>\n"
        "\n"
        "A paragraph with <span\n"
        'style="color: red">a styled span</span> after a line break,\n'
        "and ![remote](https://images.example.net/a.png) on line 9.\n"
        "\n"
        "- item\n"
        '- <iframe src="https://video.example.com/x"></iframe>\n'
        "\n"
        "Claim.[^1]\n"
        "\n"
        '[^1]: See <b onclick="go()">this</b>.\n'
        "[^2]: Never called: ![x](https://other.example/x.png) [a](/never/called)\n"
    )
    rendered = render(md, text)
    assert rendered.blocked == (
        ("inline script", 4),
        ("style attribute", 7),
        ("image from images.example.net", 9),
        ("frame from video.example.com", 12),
        ("event handler attribute", 16),
    )
    assert rendered.site_refs == ()  # the footnote no reference calls is not on the page


def test_relative_references_in_a_bundle_become_root_relative(md: markdown.Parser) -> None:
    text = (
        "[notes](notes.pdf) ![chart](img/chart.png) [up](../other/) [top](/static/site.css) [web](https://x.org/a)\n"
        "\n"
        '<img src="raw.png"> <a href="#frag">f</a>\n'
    )
    rendered = markdown.render(md, text, asset_base="/posts/bundle/")
    assert 'href="/posts/bundle/notes.pdf"' in rendered.html
    assert 'src="/posts/bundle/img/chart.png"' in rendered.html
    assert 'href="/posts/other/"' in rendered.html
    assert '<img src="/posts/bundle/raw.png">' in rendered.html and 'href="#frag"' in rendered.html
    assert rendered.site_refs == (
        "/posts/bundle/img/chart.png",
        "/posts/bundle/notes.pdf",
        "/posts/bundle/raw.png",
        "/posts/other/",
        "/static/site.css",
    )


def test_code_past_the_pages_budget_is_shown_plain_and_counted(md: markdown.Parser) -> None:
    """128 KiB of code are highlighted per page; later blocks keep their text, class and line numbers."""
    block = "x = 1\n" * 12_000  # 72,000 characters: one fits the budget, two do not
    text = f"```python\n{block}```\n\n```python\n{block}```\n\n```python {{linenos=true}}\ny = 2\n```\n"
    rendered = render(md, text)
    first, second, third = rendered.html.split("</pre>")[:3]
    assert '<span class="n">x</span>' in first
    assert "<span class=" not in second and 'class="language-python"' in second
    assert "\nx = 1\nx = 1\n" in second
    assert '<span class="n">y</span>' in third  # small blocks after a plain one fit again
    assert rendered.plain_code_blocks == 1
    assert code_text(rendered.html).blocks == [block, block, "y = 2\n"]


def test_a_page_under_the_budget_is_highlighted_whole(md: markdown.Parser) -> None:
    block = "x = 1\n" * 10_000  # 60,000 characters, twice: 120,000, under 131,072
    rendered = render(md, f"```python\n{block}```\n\n```python\n{block}```\n")
    assert rendered.plain_code_blocks == 0
    assert rendered.html.count('<span class="n">x</span>') == 20_000


KEPT_FENCE = (
    '<pre class="highlight" tabindex="0"><code class="language-python"><span class="n">x</span> '
    '<span class="o">=</span> <span class="mi">1</span>\n</code></pre>\n'
)


def test_a_code_block_highlighted_before_is_not_lexed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = tmp_path / "kept"
    assert highlight.render_fence("x = 1\n", "python", kept=kept) == KEPT_FENCE
    monkeypatch.setattr(highlight, "lexed", lambda code, lang: pytest.fail("lexed again"))
    assert highlight.render_fence("x = 1\n", "python", kept=kept) == KEPT_FENCE


@pytest.mark.parametrize("tear", [lambda data: data[:-3], lambda data: b"<b>wrong</b>" + data[-4:], lambda data: b""])
def test_a_torn_kept_block_is_lexed_again(tmp_path: Path, tear: Callable[[bytes], bytes]) -> None:
    kept = tmp_path / "kept"
    highlight.render_fence("x = 1\n", "python", kept=kept)
    [entry] = kept.iterdir()
    entry.write_bytes(tear(entry.read_bytes()))
    assert highlight.render_fence("x = 1\n", "python", kept=kept) == KEPT_FENCE


def test_a_host_is_letters_digits_underscore_plus_minus_dot_and_any_non_ascii_character() -> None:
    """references.HOST's class, spelled as the ASCII it excludes, checked on every code point."""
    for code in range(0x110000):
        char = chr(code)
        found = references.HOST.match(f"HTTPS://{char}z")
        in_host = not char.isascii() or char.isalnum() or char in "_+-."
        assert (found is not None and found.group(2) == f"{char}z") is in_host, hex(code)
    mail = references.HOST.match("MailTo:ann@Exämple.org/x")
    assert mail is not None
    assert mail.groups() == ("MailTo:ann@", "Exämple.org")
