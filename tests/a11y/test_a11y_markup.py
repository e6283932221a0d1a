"""The accessible markup rendermd writes, checked without a browser: it runs wherever the tools do."""

from cmd.rendermd import highlight, markdown


def test_a_heading_link_is_named_and_the_heading_words_stay_as_they_were() -> None:
    rendered = markdown.render(markdown.make_parser(), "## Use *uv*, `pip` {#tools}\n\nOne two three.\n")
    assert rendered.html.startswith(
        '<h2 id="tools"><a class="header-anchor" href="#tools" aria-label="Link to this section: Use uv, pip">#</a> '
        "Use <em>uv</em>, <code>pip</code></h2>\n"
    )
    assert [(heading.id, heading.text) for heading in rendered.toc] == [("tools", "Use uv, pip")]
    assert rendered.excerpt == "One two three."
    assert rendered.words == 6


def test_a_heading_link_label_is_escaped() -> None:
    html = markdown.render(markdown.make_parser(), '## Say "hi" & 1 < 2\n').html
    assert 'aria-label="Link to this section: Say &quot;hi&quot; &amp; 1 &lt; 2"' in html


def test_a_code_block_is_one_focusable_pre_and_code() -> None:
    html = highlight.render_fence("print(1)\n", "python {linenos=true}")
    assert html.startswith('<pre class="highlight" tabindex="0"><code class="language-python">')
    assert html.count("<pre") == 1 and html.count("<code") == 1 and "<div" not in html
