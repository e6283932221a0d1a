"""A site's own look: its language, its templates and CSS, the path it lives under, its tags' names."""

import re
from pathlib import Path

import pytest

from cmd.buildindex.__main__ import main as buildindex_main
from cmd.buildindex.index import build_index
from cmd.rendermd.build import render_site
from cmd.shared import i18n, theme
from tests.tools.tools_support import check_html, public_files, write_article

ARTICLE = "title: Bonjour\ndate: 2023-07-14\ntags: [café, C, C++, 'C#']\nseries: Voyage\npart: 1\n"


def site(tmp_path: Path, settings: str = "", article: str = ARTICLE) -> Path:
    articles = tmp_path / "a"
    write_article(articles, "hello.md", article, "Un paragraphe.\n")
    write_article(articles, "later.md", "title: Later\ndate: 2023-08-01\n")
    (articles / "site.toml").write_text(settings, encoding="utf-8")
    return articles


def build(articles: Path, out: Path) -> None:
    render_site(articles, out)
    build_index(out)


# --- languages ------------------------------------------------------------------


def translatable() -> set[str]:
    """Every word the templates mark, and the date words i18n.py asks for."""
    env = theme.environment()
    found: set[str] = {"{month} {year}", "{day} {month} {year}", *i18n.MONTHS}
    for name in env.list_templates(extensions=["html", "xml"]):
        source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
        # extract_translations is added by the jinja2.ext.i18n extension at run time; the stubs lack it.
        for _, _, message in env.extract_translations(source):  # type: ignore[attr-defined]
            found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("language", ["fr", "ja"])
def test_every_word_of_the_templates_is_translated_with_its_placeholders(language: str) -> None:
    catalogue = i18n.catalogue(language)
    assert catalogue.language == language
    words = translatable()
    assert len(words) > 40
    for message in words:
        translated = catalogue.messages.get(message)
        assert translated and all(translated), (language, message)
        assert sorted(re.findall(r"%\(\w+\)[sd]|\{day\}|\{year\}", message)) == sorted(
            re.findall(r"%\(\w+\)[sd]|\{day\}|\{year\}", translated[0])
        ) or message.startswith("{"), (language, message, translated)


def test_a_french_site_reads_in_french(tmp_path: Path) -> None:
    articles = site(tmp_path, 'language = "fr"\n')
    build(articles, tmp_path / "out")
    page = (tmp_path / "out" / "hello.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in page
    assert ">juillet 2023</time>" in page and 'title="14 juillet 2023"' in page
    assert "1 min de lecture" in page
    assert "Partie 1 sur 1 de la série <strong>Voyage</strong> :" in page
    assert ">Tous les articles</a>" in page and "Aller au contenu" in page
    tag = (tmp_path / "out" / "tags" / "café.html").read_text(encoding="utf-8")
    assert "<h1>Étiquette « café »</h1>" in tag and "1 article ·" in tag
    assert "Page introuvable" in (tmp_path / "out" / "404.html").read_text(encoding="utf-8")
    assert check_html(page).problems == []


def test_a_japanese_site_reads_in_japanese_with_its_date_order(tmp_path: Path) -> None:
    articles = site(tmp_path, 'language = "ja"\n')
    build(articles, tmp_path / "out")
    page = (tmp_path / "out" / "hello.html").read_text(encoding="utf-8")
    assert ">2023年7月</time>" in page and 'title="2023年7月14日"' in page
    assert "1 分で読めます" in page
    archive = (tmp_path / "out" / "archive.html").read_text(encoding="utf-8")
    assert "<h1>アーカイブ</h1>" in archive and ">2023年8月1日</time>" in archive


def test_a_language_without_a_catalogue_reads_in_english(tmp_path: Path) -> None:
    articles = site(tmp_path, 'language = "nl"\n')
    build(articles, tmp_path / "out")
    page = (tmp_path / "out" / "hello.html").read_text(encoding="utf-8")
    assert '<html lang="nl">' in page and ">July 2023</time>" in page and "1 min read" in page


def test_a_catalogue_change_renders_the_pages_again() -> None:
    from cmd.shared.version import TOOL_SUFFIXES

    assert ".po" in TOOL_SUFFIXES  # the catalogues are part of the tools' fingerprint


# --- tags -------------------------------------------------------------------------


def test_tags_keep_their_letters_and_c_cpp_csharp_stay_apart(tmp_path: Path) -> None:
    build(site(tmp_path), tmp_path / "out")
    tags = sorted(path.name for path in (tmp_path / "out" / "tags").glob("*.html"))
    assert tags == ["c-plus-plus.html", "c-sharp.html", "c.html", "café.html"]


def test_an_old_ascii_tag_url_redirects_to_its_new_name(tmp_path: Path) -> None:
    build(site(tmp_path), tmp_path / "out")
    rules = (tmp_path / "out" / "_redirects").read_text(encoding="utf-8")
    assert "/tags/caf /tags/caf%C3%A9 301" in rules.splitlines()


def test_two_spellings_that_share_a_tag_page_are_a_warning(tmp_path: Path) -> None:
    articles = site(tmp_path, article="title: T\ndate: 2023-07-14\ntags: ['C++', 'c plus plus', 'Cplusplus']\n")
    summary = render_site(articles, tmp_path / "out")
    assert [w for w in summary.warnings if "share the page /tags/c-plus-plus" in w]
    quiet = site(tmp_path / "b", article="title: T\ndate: 2023-07-14\ntags: [Docker Compose, docker-compose]\n")
    assert not [w for w in render_site(quiet, tmp_path / "out-b").warnings if "share the page" in w]


# --- themes -----------------------------------------------------------------------


def test_a_sites_own_template_and_css_win_and_a_change_renders_again(tmp_path: Path) -> None:
    articles = site(tmp_path)
    templates = articles / "templates"
    templates.mkdir()
    ours = (theme.TEMPLATES / "article.html").read_text(encoding="utf-8")
    (templates / "article.html").write_text(ours.replace("<article>", '<article class="mine">'), encoding="utf-8")
    (templates / "extra.css").write_text(".mine { border: 1px solid; }\n", encoding="utf-8")
    out = tmp_path / "out"
    build(articles, out)
    assert '<article class="mine">' in (out / "hello.html").read_text(encoding="utf-8")
    [css] = (out / "static").glob("style.*.css")
    assert css.read_text(encoding="utf-8").count(".mine { border: 1px solid; }") == 1
    assert not (out / "templates").exists()  # the theme's own files are never published

    (templates / "article.html").write_text(ours.replace("<article>", '<article class="yours">'), encoding="utf-8")
    summary = render_site(articles, out)
    assert summary.rendered == 2
    assert '<article class="yours">' in (out / "hello.html").read_text(encoding="utf-8")


def test_a_theme_base_template_reaches_the_list_pages_too(tmp_path: Path) -> None:
    articles = site(tmp_path)
    (articles / "templates").mkdir()
    ours = (theme.TEMPLATES / "base.html").read_text(encoding="utf-8")
    (articles / "templates" / "base.html").write_text(ours.replace("<body>", '<body class="themed">'))
    (articles / "templates" / "style.css").write_text("body { color: teal; }\n")
    build(articles, tmp_path / "out")
    for page in ("index.html", "tags.html", "archive.html", "404.html", "hello.html"):
        assert '<body class="themed">' in (tmp_path / "out" / page).read_text(encoding="utf-8"), page
    [css] = (tmp_path / "out" / "static").glob("style.*.css")
    assert css.read_text(encoding="utf-8").startswith("body { color: teal; }")


# --- a site under a path ----------------------------------------------------------


def test_a_site_under_a_path_links_everything_under_it(tmp_path: Path) -> None:
    articles = site(tmp_path, 'base_url = "https://example.org/blog/"\n')
    media = '<img srcset="/static/x.png 1x, /static/y.png 2x" alt=""> <video poster="/static/p.jpg"></video>'
    write_article(
        articles, "linking.md", "title: Links\ndate: 2023-07-20\n", f"[Hello](/hello) ![x](/static/x.png)\n\n{media}\n"
    )
    write_article(articles, "_index.md", "title: Home\n", "Start at [hello](/hello).\n")
    out = tmp_path / "out"
    build(articles, out)
    for name, data in public_files(out).items():
        if name.endswith(".html"):
            text = data.decode("utf-8")
            links = re.findall(r'(?:href|src|poster)="(/[^"]*)"', text)
            links += [each.split()[0] for srcset in re.findall(r'srcset="([^"]*)"', text) for each in srcset.split(",")]
            assert links and all(link.startswith("/blog/") for link in links), (name, links)
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://example.org/blog/hello</loc>" in sitemap
    assert 'href="https://example.org/blog/hello"' in (out / "atom.xml").read_text(encoding="utf-8")


def test_a_base_url_for_another_path_than_the_pages_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    articles = site(tmp_path, 'base_url = "https://example.org/blog/"\n')
    render_site(articles, tmp_path / "out")
    assert buildindex_main([str(tmp_path / "out"), "--base-url", "https://example.org/"]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert "rendered for /blog" in line and line.startswith("buildindex: error: ")
