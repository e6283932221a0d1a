"""Content trees as Jekyll, Hugo and Zola keep them: detected, placed at their old URLs, rendered unchanged.

Each test writes a small tree in the engine's own layout, runs rendermd and
buildindex, and reads the files and the manifest they wrote.  The expected
URLs are written here, from each engine's documented defaults.
"""

import json
import re
from pathlib import Path
from typing import Any

import pytest

from cmd.buildindex.index import build_index
from cmd.rendermd import conventions
from cmd.rendermd.__main__ import main
from cmd.rendermd.build import render_site
from cmd.rendermd.conventions.base import walk

Json = dict[str, Any]  # a parsed JSON object (manifest, expected.json): its shape is what the tests check


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    return root


def build(articles: Path, out: Path) -> Json:
    summary = render_site(articles, out)
    build_index(out)
    manifest: Json = json.loads((out / ".eblog" / "manifest.json").read_text(encoding="utf-8"))
    manifest["summary"] = summary
    return manifest


def urls(manifest: Json) -> dict[str, str]:
    return {article["source"]: article["url"] for article in manifest["articles"]}


def redirects(out: Path, *, first_pages: bool = False) -> dict[str, str]:
    """_redirects as {old: new}; a list's /page/1/ (which Hugo and Zola answered) only if asked."""
    lines = (out / "_redirects").read_text(encoding="utf-8").splitlines()
    rules = dict(line.split()[:2] for line in lines if line and not line.startswith("#"))
    return {old: new for old, new in rules.items() if first_pages or not old.endswith("/page/1/")}


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, list[str]]:
    status = main([str(arg) for arg in args])
    return status, capsys.readouterr().err.splitlines()


# --- Jekyll ---------------------------------------------------------------------

JEKYLL_POST = "---\nlayout: post\ntitle: {title}\n---\nSome text.\n"


def test_a_jekyll_posts_folder_keeps_jekylls_urls(tmp_path: Path) -> None:
    site = write(
        tmp_path / "blog",
        {
            "_config.yml": "title: Old blog\n",
            "_posts/2024-05-06-my-post.md": JEKYLL_POST.format(title="Mine"),
            "_posts/2023-02-01-Why-I-Switched.markdown": JEKYLL_POST.format(title="Why"),
            "_posts/2022-01-01-release-v1.2.md": JEKYLL_POST.format(title="Release"),
            "_posts/2021-05-05-café-au-lait.md": JEKYLL_POST.format(title="Café"),
            "_posts/2020-03-03-with-categories.md": "---\ntitle: Cats\ncategories: [Tech, go]\n---\nx\n",
            "_posts/2019-01-01-fixed.md": "---\ntitle: Fixed\npermalink: /about/:year/:title/\n---\nx\n",
        },
    )
    manifest = build(site / "_posts", tmp_path / "out")
    assert manifest["convention"] == "jekyll"
    assert urls(manifest) == {
        "2024-05-06-my-post.md": "/2024/05/06/my-post",
        "2023-02-01-Why-I-Switched.markdown": "/2023/02/01/Why-I-Switched",
        "2022-01-01-release-v1.2.md": "/2022/01/01/release-v1.2",
        "2021-05-05-café-au-lait.md": "/2021/05/05/café-au-lait",
        "2020-03-03-with-categories.md": "/tech/go/2020/03/03/with-categories",
        "2019-01-01-fixed.md": "/about/2019/fixed/",
    }
    # /x.html is served by the server's own clean-URL rule: no redirect needed for it.
    assert (tmp_path / "out" / "2021" / "05" / "05" / "café-au-lait.html").is_file()
    assert redirects(tmp_path / "out") == {}


def test_a_jekyll_site_root_reads_every_posts_folder_with_its_categories(tmp_path: Path) -> None:
    site = write(
        tmp_path / "site",
        {
            "_config.yml": "permalink: pretty\n",
            "_posts/2024-01-01-x.md": JEKYLL_POST.format(title="Top"),
            "inside-rust/_posts/2024-01-01-x.md": JEKYLL_POST.format(title="Inside"),
            "_drafts/someday.md": JEKYLL_POST.format(title="Draft"),
            "_layouts/post.html": "<html>{{ content }}</html>",
        },
    )
    manifest = build(site, tmp_path / "out")
    assert urls(manifest) == {
        "_posts/2024-01-01-x.md": "/2024/01/01/x/",
        "inside-rust/_posts/2024-01-01-x.md": "/inside-rust/2024/01/01/x/",
    }
    assert manifest["summary"].drafts == 1
    sections = {section["path"]: section["url"] for section in manifest["sections"]}
    assert sections == {"inside-rust": "/inside-rust/"}


def test_site_permalink_overrides_and_the_engine_url_redirects(tmp_path: Path) -> None:
    site = write(
        tmp_path / "site",
        {
            "_posts/2024-05-06-my-post.md": "---\ntitle: Mine\nredirect_from: [/old/mine/]\n---\nx\n",
            "_posts/site.toml": 'permalink = "/blog/:year/:slug/"\n',
        },
    )
    manifest = build(site / "_posts", tmp_path / "out")
    assert urls(manifest) == {"2024-05-06-my-post.md": "/blog/2024/my-post/"}
    assert redirects(tmp_path / "out") == {
        "/2024/05/06/my-post.html": "/blog/2024/my-post/",
        "/old/mine/": "/blog/2024/my-post/",
        "/old/mine": "/blog/2024/my-post/",  # a folder's URL without its slash led there too
    }


def test_jekyll_liquid_tags_become_markdown(tmp_path: Path) -> None:
    body = (
        "See [the other]({% post_url 2024-01-01-other %}) and [again]({% link _posts/2024-01-01-other.md %}).\n\n"
        "{% highlight ruby linenos %}\nputs 1\nputs 2\n{% endhighlight %}\n\n"
        "{% raw %}Keep {{ this }} as it is.{% endraw %}\n\n"
        "![logo]({{ site.baseurl }}/assets/logo.png)\n\n"
        "{% include note.html %}\n"
    )
    site = write(
        tmp_path / "site",
        {
            "_posts/2024-01-01-other.md": JEKYLL_POST.format(title="Other"),
            "_posts/2024-02-02-links.md": "---\ntitle: Links\n---\n" + body,
            "assets/logo.png": b"\x89PNG\r\n\x1a\n tiny",
        },
    )
    manifest = build(site, tmp_path / "out")
    html = (tmp_path / "out" / "2024" / "02" / "02" / "links.html").read_text(encoding="utf-8")
    assert '<a href="/2024/01/01/other">the other</a>' in html and '<a href="/2024/01/01/other">again</a>' in html
    assert '<code class="language-ruby"><span class="ln" aria-hidden="true">1</span>' in html
    assert "Keep {{ this }} as it is." in html
    assert '<img src="/assets/logo.png" alt="logo" />' in html
    assert (tmp_path / "out" / "assets" / "logo.png").read_bytes() == b"\x89PNG\r\n\x1a\n tiny"
    [warning] = manifest["summary"].warnings
    assert re.fullmatch(
        r".*2024-02-02-links\.md:15: warning: Liquid tag 'include' is not supported; shown as text", warning
    )
    assert "{% include note.html %}" in html


def test_a_post_url_to_a_missing_post_names_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = write(
        tmp_path / "site", {"_posts/2024-01-01-a.md": "---\ntitle: A\n---\n\nSee {% post_url 2020-01-01-gone %}.\n"}
    )
    status, lines = run(capsys, site / "_posts", tmp_path / "out")
    assert status == 1
    assert lines == [
        f"rendermd: error: {site / '_posts' / '2024-01-01-a.md'}:5: link to '2020-01-01-gone' finds no page"
    ]


def test_a_post_with_no_date_anywhere_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = write(
        tmp_path / "site",
        {"_posts/2024-01-01-a.md": JEKYLL_POST.format(title="A"), "_posts/undated.md": "---\ntitle: U\n---\nx\n"},
    )
    status, lines = run(capsys, site / "_posts", tmp_path / "out")
    assert status == 1
    message = "front matter has no 'date': add 'date: YYYY-MM-DD', or name the file YYYY-MM-DD-name.md"
    assert lines == [f"rendermd: error: {site / '_posts' / 'undated.md'}: {message}"]


# --- Hugo -------------------------------------------------------------------------


def hugo_site(root: Path, content: dict[str, str | bytes], config: str = 'baseURL = "https://example.org/"\n') -> Path:
    write(root, {"hugo.toml": config})
    return write(root / "content", content)


def test_hugo_sections_bundles_and_aliases(tmp_path: Path) -> None:
    content = hugo_site(
        tmp_path / "site",
        {
            "posts/_index.md": "---\ntitle: All the posts\n---\nPosts about *things*.\n",
            "posts/Intro.md": "---\ntitle: Intro\ndate: 2024-03-01\naliases: [/old/intro/, relative-alias]\n---\nx\n",
            "notes/intro.md": "---\ntitle: Note intro\ndate: 2024-03-02\n---\nx\n",
            "posts/my-bundle/index.md": "---\ntitle: Bundle\ndate: 2024-03-03\n---\n![Diagram](diagram.png)\n",
            "posts/my-bundle/diagram.png": b"\x89PNG bundle",
            "posts/custom.md": "---\ntitle: Custom\ndate: 2024-03-04\nurl: /elsewhere/custom/\n---\nx\n",
            "posts/sluggy.md": "---\ntitle: Sluggy\ndate: 2024-03-05\nslug: Other-Name\n---\nx\n",
            "about.md": "---\ntitle: About\n---\nNo date: a page, not an article.\n",
        },
    )
    out = tmp_path / "out"
    manifest = build(content, out)
    assert manifest["convention"] == "hugo"
    assert urls(manifest) == {
        "posts/Intro.md": "/posts/intro/",
        "notes/intro.md": "/notes/intro/",
        "posts/my-bundle/index.md": "/posts/my-bundle/",
        "posts/custom.md": "/elsewhere/custom/",
        "posts/sluggy.md": "/posts/other-name/",
        "about.md": "/about/",
    }
    assert redirects(out) == {
        "/old/intro/": "/posts/intro/",
        "/old/intro": "/posts/intro/",
        "/posts/relative-alias/": "/posts/intro/",
        "/posts/relative-alias": "/posts/intro/",
    }
    assert {old: new for old, new in redirects(out, first_pages=True).items() if "/page/1/" in old} == {
        "/posts/page/1/": "/posts/",
        "/notes/page/1/": "/notes/",
    }
    assert (out / "posts" / "my-bundle" / "diagram.png").read_bytes() == b"\x89PNG bundle"
    bundle = (out / "posts" / "my-bundle" / "index.html").read_text(encoding="utf-8")
    assert '<img src="/posts/my-bundle/diagram.png" alt="Diagram" />' in bundle
    section = (out / "posts" / "index.html").read_text(encoding="utf-8")
    assert "<h1>All the posts</h1>" in section and "<em>things</em>" in section
    assert section.count("<li><h2><a href=") == 4  # its pages, wherever their own URL puts them
    listed = {article["url"] for article in manifest["articles"] if article["date"]}
    assert "/about/" not in listed  # an undated page has its page, and no place in lists or feeds
    assert "/about/" not in (out / "rss.xml").read_text(encoding="utf-8")


def test_hugo_permalinks_and_disable_path_to_lower(tmp_path: Path) -> None:
    config = (
        'baseURL = "https://example.org/"\ndisablePathToLower = true\n[permalinks]\nposts = "/:year/:month/:slug/"\n'
    )
    content = hugo_site(
        tmp_path / "site", {"posts/Big-Post.md": "+++\ntitle = 'Big'\ndate = 2024-07-08\n+++\nx\n"}, config
    )
    assert urls(build(content, tmp_path / "out")) == {"posts/Big-Post.md": "/2024/07/Big-Post/"}


def test_hugo_shortcodes(tmp_path: Path) -> None:
    body = (
        '[Intro]({{< ref "intro.md" >}}) and [again]({{< relref "posts/intro.md#part" >}})\n\n'
        '{{< figure src="diagram.png" caption="A diagram" >}}\n\n'
        "{{< youtube dQw4w9WgXcQ >}}\n\n"
        '{{< highlight go "linenos=table,hl_lines=2" >}}\npackage main\nfunc main() {}\n{{< /highlight >}}\n\n'
        '{{< tweet user="x" id="1" >}}\n\n'
        '```\n{{</* figure src="x" */>}}\n```\n'
    )
    content = hugo_site(
        tmp_path / "site",
        {
            "posts/intro.md": "---\ntitle: Intro\ndate: 2024-01-01\n---\nx\n",
            "posts/codes/index.md": "---\ntitle: Codes\ndate: 2024-01-02\n---\n" + body,
            "posts/codes/diagram.png": b"png",
        },
    )
    manifest = build(content, tmp_path / "out")
    html = (tmp_path / "out" / "posts" / "codes" / "index.html").read_text(encoding="utf-8")
    assert '<a href="/posts/intro/">Intro</a>' in html and '<a href="/posts/intro/#part">again</a>' in html
    assert (
        '<figure><img src="/posts/codes/diagram.png" alt="A diagram"><figcaption>A diagram</figcaption></figure>'
        in html
    )
    assert '<a class="video" href="https://www.youtube.com/watch?v=dQw4w9WgXcQ">' in html
    assert (
        '<code class="language-go"><span class="ln" aria-hidden="true">1</span><span class="kn">package</span>' in html
    )
    assert '<mark class="hll"><span class="ln" aria-hidden="true">2</span><span class="kd">func</span>' in html
    assert '{{&lt; figure src="x" &gt;}}' in html  # an escaped example shows as the shortcode
    [warning] = manifest["summary"].warnings
    assert re.fullmatch(
        r".*codes/index\.md:16: warning: Hugo shortcode 'tweet' is not supported; shown as text", warning
    )


# --- Zola -------------------------------------------------------------------------


def zola_site(root: Path, content: dict[str, str | bytes]) -> Path:
    write(root, {"config.toml": 'base_url = "https://example.org"\n'})
    return write(root / "content", content)


def test_zola_dates_in_file_names_paths_and_internal_links(tmp_path: Path) -> None:
    content = zola_site(
        tmp_path / "site",
        {
            "_index.md": "+++\ntitle = 'Home'\n+++\nWelcome home.\n",
            "blog/_index.md": "+++\ntitle = 'Blog'\nsort_by = 'date'\n+++\n",
            "blog/2024-01-15-hello.md": "+++\ntitle = 'Hello'\n+++\nSee [it](@/blog/2024-01-16_Café-Crème.md#top).\n",
            "blog/2024-01-16_Café-Crème.md": "+++\ntitle = 'Crème'\n+++\nx\n",
            "blog/moved.md": (
                "+++\ntitle = 'Moved'\ndate = 2024-02-01\npath = 'somewhere/else'\naliases = ['old/moved/']\n+++\nx\n"
            ),
            "blog/with-assets/index.md": (
                "+++\ntitle = 'Assets'\ndate = 2024-02-02\n[extra]\nx = 1\n+++\n![p](photo.jpg)\n"
            ),
            "blog/with-assets/photo.jpg": b"jpeg",
        },
    )
    out = tmp_path / "out"
    manifest = build(content, out)
    assert manifest["convention"] == "zola"
    assert urls(manifest) == {
        "blog/2024-01-15-hello.md": "/blog/hello/",
        "blog/2024-01-16_Café-Crème.md": "/blog/cafe-creme/",
        "blog/moved.md": "/somewhere/else/",
        "blog/with-assets/index.md": "/blog/with-assets/",
    }
    dates = {article["source"]: article["date"] for article in manifest["articles"]}
    assert dates["blog/2024-01-15-hello.md"] == "2024-01-15T00:00:00+00:00"
    assert redirects(out) == {"/old/moved/": "/somewhere/else/", "/old/moved": "/somewhere/else/"}
    hello = (out / "blog" / "hello" / "index.html").read_text(encoding="utf-8")
    assert '<a href="/blog/cafe-creme/#top">it</a>' in hello
    assert "Welcome home." in (out / "index.html").read_text(encoding="utf-8")
    assert (out / "blog" / "with-assets" / "photo.jpg").read_bytes() == b"jpeg"


# --- all engines ------------------------------------------------------------------


def test_a_url_two_pages_claim_names_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    content = hugo_site(
        tmp_path / "site",
        {
            "posts/a.md": "---\ntitle: A\ndate: 2024-01-01\n---\n",
            "posts/b.md": "---\ntitle: B\ndate: 2024-01-02\nslug: a\n---\n",
        },
    )
    status, lines = run(capsys, content, tmp_path / "out")
    assert status == 1
    assert lines == [
        f"rendermd: error: {content / 'posts' / 'b.md'}: URL /posts/a/ is already taken by {content / 'posts' / 'a.md'}"
    ]


def test_raw_html_the_policy_blocks_gives_one_warning_per_page_and_site_toml_widens_it(tmp_path: Path) -> None:
    body = (
        'Text.\n\n<script>alert(1)</script>\n\n<p style="color: red">red</p>\n\n'
        '<iframe src="https://www.youtube-nocookie.com/embed/x"></iframe>\n\n![far](https://images.example.com/a.png)\n'
    )
    articles = write(tmp_path / "a", {"post.md": "---\ntitle: T\ndate: 2024-01-01\n---\n" + body})
    manifest = build(articles, tmp_path / "out")
    [warning] = manifest["summary"].warnings
    assert warning == (
        f"{articles / 'post.md'}:7: warning: the Content-Security-Policy will block inline script (line 7), "
        "style attribute (line 9), frame from www.youtube-nocookie.com (line 11), image from images.example.com "
        "(line 13); allow it in site.toml's [csp], or remove it"
    )
    (articles / "site.toml").write_text(
        '[csp]\nimg-src = ["https:"]\nframe-src = ["https://www.youtube-nocookie.com"]\n'
    )
    manifest = build(articles, tmp_path / "out")
    [warning] = manifest["summary"].warnings
    assert "frame" not in warning and "image" not in warning and "inline script (line 7)" in warning
    [rule, header] = (tmp_path / "out" / "_headers").read_text(encoding="utf-8").splitlines()
    name, _, value = header.strip().partition(": ")
    directives = dict(item.split(" ", 1) for item in value.split("; "))
    assert (rule, name) == ("/*", "Content-Security-Policy")
    assert directives["img-src"] == "'self' data: https:"
    assert directives["frame-src"] == "https://www.youtube-nocookie.com"
    assert directives["script-src" if "script-src" in directives else "default-src"] == "'none'"


def test_strict_lists_the_keys_eblog_ignores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    articles = write(tmp_path / "a", {"post.md": "---\ntitle: T\nlayout: post\ndate: 2024-01-01\nweight: 3\n---\nx\n"})
    status, lines = run(capsys, "--strict", articles, tmp_path / "out")
    assert status == 0
    assert f"rendermd: {articles / 'post.md'}:3: note: front matter keys eblog ignores: layout, weight" in lines
    status, lines = run(capsys, articles, tmp_path / "out2")
    assert not [line for line in lines if "ignores" in line]


def test_big_blogs_are_paged_and_archived(tmp_path: Path) -> None:
    articles = write(
        tmp_path / "a",
        {f"p{n:02d}.md": f"---\ntitle: Post {n}\ndate: 20{n:02d}-01-01\ntags: [t]\n---\nx\n" for n in range(1, 24)},
    )
    write(articles, {"site.toml": "paginate = 10\n"})
    out = tmp_path / "out"
    build(articles, out)
    home, second, third = (out / "index.html", out / "page" / "2" / "index.html", out / "page" / "3" / "index.html")
    assert [len(re.findall(r"<h2><a href=", page.read_text(encoding="utf-8"))) for page in (home, second, third)] == [
        10,
        10,
        3,
    ]
    assert '<a rel="next" href="/page/2/">Older articles</a>' in home.read_text(encoding="utf-8")
    assert (out / "tags" / "t" / "page" / "3" / "index.html").is_file()
    archive = (out / "archive.html").read_text(encoding="utf-8")
    assert archive.count("<h2 id=") == 23 and archive.index("2023") < archive.index("2001")
    assert not (out / "page" / "4").exists()


# --- incremental and deterministic ------------------------------------------------


def hugo_posts(root: Path) -> Path:
    return hugo_site(
        root,
        {f"posts/p{n}.md": f"---\ntitle: Post {n}\ndate: 2024-01-0{n}\n---\nText {n}.\n" for n in range(1, 7)},
    )


def test_an_alias_change_renders_only_that_page(tmp_path: Path) -> None:
    content = hugo_posts(tmp_path / "site")
    build(content, tmp_path / "out")
    (content / "posts" / "p3.md").write_text(
        "---\ntitle: Post 3\ndate: 2024-01-03\naliases: [/old/three/]\n---\nText 3.\n"
    )
    manifest = build(content, tmp_path / "out")
    assert (manifest["summary"].rendered, manifest["summary"].unchanged) == (1, 5)
    assert redirects(tmp_path / "out")["/old/three/"] == "/posts/p3/"


def test_a_rename_renders_the_page_and_the_neighbours_that_link_to_it(tmp_path: Path) -> None:
    content = hugo_posts(tmp_path / "site")
    build(content, tmp_path / "out")
    (content / "posts" / "p3.md").rename(content / "posts" / "renamed.md")
    manifest = build(content, tmp_path / "out")
    assert (manifest["summary"].rendered, manifest["summary"].removed) == (3, 1)  # itself, p2 and p4
    assert (tmp_path / "out" / "posts" / "renamed" / "index.html").is_file()
    assert not (tmp_path / "out" / "posts" / "p3").exists()


def test_the_same_tree_gives_byte_identical_sites(tmp_path: Path) -> None:
    from tests.tools.tools_support import public_files

    content = hugo_posts(tmp_path / "site")
    build(content, tmp_path / "one")
    build(content, tmp_path / "two")
    assert public_files(tmp_path / "one") == public_files(tmp_path / "two")


def test_reading_the_tree_detection_walked_leaves_out_the_reserved_folders_as_a_walk_would(tmp_path: Path) -> None:
    """eblog's tree: detection walks it whole (is it Jekyll's?); the read leaves out static/ and the theme folder."""
    names = ["a.md", "static/x.md", "static/deep/y.md", "theme/z.md", "notes/static/n.md", "notes/old/o.md"]
    names += ["notes/older.md", "b/index.md", "b/c.md"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("---\ntitle: T\n---\n", encoding="utf-8")
    (tmp_path / "b" / "static").mkdir()
    (tmp_path / "b" / "static" / "pic.png").write_bytes(b"png")
    convention = conventions.detect(tmp_path)
    convention.reserved |= {"theme", "notes/old"}
    found = convention.discover()
    assert [(file.name, file.bundle) for file in found] == [
        ("a.md", ()),
        ("b/index.md", ("b/static/pic.png",)),
        ("notes/older.md", ()),
        ("notes/static/n.md", ()),
    ]
    assert found == walk(tmp_path, skip=convention.reserved.__contains__)  # what it read before detection kept its walk
