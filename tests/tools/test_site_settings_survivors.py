"""site.toml refusals, each checked to the exact line rendermd prints (see bench/mutation-survivors.md).

These run rendermd in this process, so mutmut sees that they reach cmd/shared/config.py and
cmd/shared/csp.py; tests/tools/test_cli_habits.py checks the same kind of line through a subprocess.
"""

import re
from pathlib import Path

import pytest

from cmd.buildindex.__main__ import main as buildindex_main
from cmd.rendermd.__main__ import main as rendermd_main
from tests.tools.tools_support import write_article

KNOWN = (
    "author, base_url, convention, csp, description, feed_size, language, license_name, license_url, paginate,"
    " permalink, templates, title"
)
WIDENABLE = "img-src, media-src, frame-src, script-src, style-src, font-src, connect-src"
NOT_SOURCES = 'must be a list of sources such as "https:" or "\'self\'"'


def refusal(tmp_path: Path, capsys: pytest.CaptureFixture[str], settings: str | bytes) -> str:
    """The one line rendermd prints for these settings, after the file's name; nothing is written."""
    articles = tmp_path / "articles"
    write_article(articles, "note.md", "title: Note\ndate: 2001-01-01\n")
    (articles / "site.toml").write_bytes(settings.encode() if isinstance(settings, str) else settings)
    assert rendermd_main([str(articles), str(tmp_path / "out")]) == 1
    [line] = capsys.readouterr().err.splitlines()
    prefix = f"rendermd: error: {articles / 'site.toml'}"
    assert line.startswith(prefix), line
    assert not (tmp_path / "out").exists()
    return line.removeprefix(prefix)


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        # blank lines and comments before the key are skipped, not matched
        ('\n# ours\ntitle = "T"\nfeed_size = 0\n', ":4: setting 'feed_size' must be at least 1"),
        ('title = "T"\npaginate = 0\n', ":2: setting 'paginate' must be at least 1"),
        # a key-like line inside a multi-line string is text, not the key
        (
            'description = """\nbase_url = "x"\n"""\nbase_url = "ftp://x"\n',
            ":4: setting 'base_url' must be an absolute http(s) URL, got 'ftp://x'",
        ),
        (
            'description = """\none\nbase_url = "x"\n"""\nbase_url = "ftp://x"\n',
            ":5: setting 'base_url' must be an absolute http(s) URL, got 'ftp://x'",
        ),
        (
            "description = '''\none\nbase_url = \"x\"\n'''\nbase_url = \"ftp://x\"\n",
            ":5: setting 'base_url' must be an absolute http(s) URL, got 'ftp://x'",
        ),
        # a multi-line string opened and closed on one line leaves the next line a key
        ('description = """one line"""\nfeed_size = 0\n', ":2: setting 'feed_size' must be at least 1"),
        ("description = '''one line'''\nfeed_size = 0\n", ":2: setting 'feed_size' must be at least 1"),
        # quoted names, and names that start or end with an X
        ('"X-Robots-Tag" = "noindex"\n', f":1: unknown setting 'X-Robots-Tag' (known: {KNOWN})"),
        ('title = "T"\n\n[X-Headers]\nx = 1\n', f":3: unknown setting 'X-Headers' (known: {KNOWN})"),
        ('title = "T"\n\n["csp"]\nimg-src = 5\n', f":3: [csp] 'img-src' {NOT_SOURCES}"),
        ('title = "T"\n[csp]\nimg-src = ["https:", "bad source!"]\n', f":2: [csp] 'img-src' {NOT_SOURCES}"),
        ('[csp]\nframe-ancestors = ["*"]\n', f":1: [csp] 'frame-ancestors' cannot be widened (possible: {WIDENABLE})"),
        ('permalink = ":year/:slug/"\n', ":1: setting 'permalink' must start with '/', got ':year/:slug/'"),
        ('base_url = "https://"\n', ":1: setting 'base_url' must be an absolute http(s) URL, got 'https://'"),
        ("title = 5\n", ":1: setting 'title' must be str"),
        ('csp = "img-src https:"\n', ":1: setting 'csp' must be dict"),
    ],
)
def test_a_refused_setting_is_named_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], settings: str, said: str
) -> None:
    assert refusal(tmp_path, capsys, settings) == said


def test_a_settings_file_that_cannot_be_read_or_parsed_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert refusal(tmp_path / "latin1", capsys, '\xfftitle = "T"\n'.encode("latin-1")) == (
        ": malformed site settings: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"
    )
    # tomllib's wording differs between Pythons: the line is what matters
    assert refusal(tmp_path / "syntax", capsys, 'title = "T"\n\nfeed_size = = 3\n').startswith(
        ":3: malformed site settings: "
    )
    assert refusal(tmp_path / "open", capsys, 'title = "T"\ndescription = "no end').startswith(
        ":2: malformed site settings: "
    )


def test_a_folder_where_site_toml_should_be_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    articles = tmp_path / "articles"
    write_article(articles, "note.md", "title: Note\ndate: 2001-01-01\n")
    (articles / "site.toml").mkdir()
    assert rendermd_main([str(articles), str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"rendermd: error: {articles / 'site.toml'}: cannot read: Is a directory"
    ]


def test_the_smallest_sizes_and_a_permalink_are_accepted(tmp_path: Path) -> None:
    """And only the base URL's trailing slash is dropped (its path ends in an X on purpose)."""
    articles = tmp_path / "articles"
    write_article(articles, "note.md", "title: Note\ndate: 2001-01-01\n")
    settings = (
        'feed_size = 1\npaginate = 1\nbase_url = "https://blog.example.org/sub-X/"\npermalink = "/:year/:slug/"\n'
    )
    (articles / "site.toml").write_text(settings, encoding="utf-8")
    assert rendermd_main([str(articles), str(tmp_path / "out"), "-q"]) == 0
    assert (tmp_path / "out" / "2001" / "note" / "index.html").is_file()
    assert buildindex_main([str(tmp_path / "out"), "-q"]) == 0
    rss = (tmp_path / "out" / "rss.xml").read_text(encoding="utf-8")
    assert re.findall(r"<link>(.*?)</link>", rss) == [
        "https://blog.example.org/sub-X/",
        "https://blog.example.org/sub-X/2001/note/",
    ]
