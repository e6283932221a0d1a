"""The accessible markup rendermd writes, checked without a browser: it runs wherever the tools do."""

from cmd.rendermd import highlight


def test_a_code_block_is_one_focusable_pre_and_code() -> None:
    html = highlight.render_fence("print(1)\n", "python {linenos=true}")
    assert html.startswith('<pre class="highlight" tabindex="0"><code class="language-python">')
    assert html.count("<pre") == 1 and html.count("<code") == 1 and "<div" not in html
