"""Front matter: both forms, every date form, and the fields an author moving from Jekyll,
Hugo or Zola already writes."""

import datetime as dt
from pathlib import Path

import pytest

from cmd.rendermd import frontmatter, sources
from cmd.rendermd.conventions.base import Convention, SourceFile
from cmd.shared.errors import InputError

UTC = dt.UTC
PATH = Path("articles/my-post.md")


class Parsed:
    """One article read and placed as eblog's own layout places it, seen field by field."""

    def __init__(self, page: sources.Page):
        fields = page.fields
        self.title, self.date, self.tags, self.url = page.title, page.date, page.tags, page.url
        self.updated, self.summary, self.series, self.part = fields.updated, fields.summary, fields.series, fields.part
        self.draft, self.toc, self.authors = fields.draft, fields.toc, fields.authors
        self.author = fields.authors[0] if fields.authors else None
        self.slug = page.url.rsplit("/", 1)[-1]


def place(data: bytes, path: Path = PATH) -> sources.Page:
    convention = Convention(path.parent)
    file = SourceFile(path, path.name, "page", "", path.stem)
    source = sources.Source(file, data, "digest", sources.parse(file, data, convention))
    return sources.place(source, convention, None, frozenset())


def parse(text: str, path: Path = PATH) -> Parsed:
    return Parsed(place(text.encode("utf-8"), path))


def error_of(text: str | bytes, path: Path = PATH) -> InputError:
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    with pytest.raises(InputError) as caught:
        place(data, path)
    return caught.value


def test_yaml_front_matter_gives_fields_and_body() -> None:
    text = b"---\ntitle: Hello\ndate: 2023-07-14\nauthor: Ada\n---\nFirst line of the body.\n"
    meta = Parsed(place(text))
    assert (meta.title, meta.author, meta.slug) == ("Hello", "Ada", "my-post")
    document = frontmatter.read(text, PATH)
    assert document.body == "First line of the body.\n"
    assert document.body_line == 6


def test_toml_front_matter_gives_the_same_fields() -> None:
    text = b'+++\ntitle = "Hello"\ndate = 2023-07-14\nauthor = "Ada"\n+++\nBody.\n'
    meta = Parsed(place(text))
    assert (meta.title, meta.author, meta.date) == ("Hello", "Ada", dt.datetime(2023, 7, 14, tzinfo=UTC))
    assert frontmatter.read(text, PATH).body == "Body.\n"


def test_byte_order_mark_and_crlf_line_ends_are_accepted() -> None:
    meta = parse("\ufeff---\r\ntitle: Windows\r\ndate: 2023-07-14\r\n---\r\nBody\r\n")
    assert meta.title == "Windows"
    assert frontmatter.read("\ufeff---\r\ntitle: W\r\n---\r\nBody\r\nmore\r\n".encode(), PATH).body == "Body\nmore\n"


@pytest.mark.parametrize(
    ("fence", "line", "expected"),
    [
        ("---", "date: 2023-07-14", dt.datetime(2023, 7, 14, tzinfo=UTC)),
        ("---", "date: 2023-07-14 09:30:00", dt.datetime(2023, 7, 14, 9, 30, tzinfo=UTC)),
        ("---", "date: 2023-07-14T09:30:00+02:00", dt.datetime(2023, 7, 14, 7, 30, tzinfo=UTC)),
        ("---", "date: '2023-07-14'", dt.datetime(2023, 7, 14, tzinfo=UTC)),
        ("---", 'date: "2023-07-14T09:30:00Z"', dt.datetime(2023, 7, 14, 9, 30, tzinfo=UTC)),
        ("+++", "date = 2023-07-14", dt.datetime(2023, 7, 14, tzinfo=UTC)),
        ("+++", "date = 2023-07-14T09:30:00", dt.datetime(2023, 7, 14, 9, 30, tzinfo=UTC)),
        ("+++", "date = 2023-07-14T09:30:00-05:00", dt.datetime(2023, 7, 14, 14, 30, tzinfo=UTC)),
        ("+++", 'date = "2023-07-14 09:30"', dt.datetime(2023, 7, 14, 9, 30, tzinfo=UTC)),
    ],
)
def test_date_datetime_and_quoted_string_forms(fence: str, line: str, expected: dt.datetime) -> None:
    title = 'title = "T"' if fence == "+++" else "title: T"
    meta = parse(f"{fence}\n{title}\n{line}\n{fence}\n")
    assert meta.date == expected
    assert meta.date.tzinfo is not None  # naive dates are pinned to UTC, so sorting never mixes kinds


def test_an_offset_is_kept_not_converted() -> None:
    meta = parse("---\ntitle: T\ndate: 2023-07-14T09:30:00+02:00\n---\n")
    assert meta.date is not None
    assert meta.date.utcoffset() == dt.timedelta(hours=2)


@pytest.mark.parametrize(
    "text",
    [
        "---\ntitle: T\ndate: '2023-02-30'\n---\n",
        "---\ntitle: T\ndate: 2023-02-30\n---\n",  # unquoted: YAML itself builds the date
        "---\ntitle: T\ndate: 2023-13-01\n---\n",
        "---\ntitle: T\ndate: July 14, 2023\n---\n",
        "---\ntitle: T\ndate: 20230714\n---\n",
        "+++\ntitle = 'T'\ndate = '14/07/2023'\n+++\n",
        "+++\ntitle = 'T'\ndate = 09:30:00\n+++\n",  # a time of day is not a date
    ],
)
def test_invalid_date_is_a_clear_input_error(text: str) -> None:
    error = error_of(text)
    assert str(error).startswith(str(PATH))
    assert "date" in error.message


def test_updated_and_hugo_lastmod() -> None:
    assert parse("---\ntitle: T\ndate: 2023-07-14\nupdated: 2023-08-01\n---\n").updated == dt.datetime(
        2023, 8, 1, tzinfo=UTC
    )
    assert parse("---\ntitle: T\ndate: 2023-07-14\nlastmod: 2023-09-02\n---\n").updated == dt.datetime(
        2023, 9, 2, tzinfo=UTC
    )
    assert parse("---\ntitle: T\ndate: 2023-07-14\n---\n").updated is None
    assert "updated" in error_of("---\ntitle: T\ndate: 2023-07-14\nupdated: soon\n---\n").message


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("tags: [Python, Docker]", ("docker", "python")),
        ("tags: python, docker  go", ("docker", "go", "python")),
        ("tags: [Docker Compose, 'C++', python, Python]", ("c-plus-plus", "docker-compose", "python")),
        ("tags: []", ()),
        ("tags:", ()),  # an empty YAML key, as Hugo's archetypes leave it
        ("author: no tags at all", ()),
    ],
)
def test_tags_are_normalised_to_sorted_unique_slugs(line: str, expected: tuple[str, ...]) -> None:
    assert parse(f"---\ntitle: T\ndate: 2023-07-14\n{line}\n---\n").tags == expected


@pytest.mark.parametrize("line", ["tags: [[a, b]]", "tags: {a: 1}", "tags: ['!!!']", "tags: 3"])
def test_bad_tags_are_input_errors(line: str) -> None:
    assert "tag" in error_of(f"---\ntitle: T\ndate: 2023-07-14\n{line}\n---\n").message


def test_series_and_part() -> None:
    meta = parse("---\ntitle: T\ndate: 2023-07-14\nseries: Fast builds\npart: 2\n---\n")
    assert (meta.series, meta.part) == ("Fast builds", 2)
    assert parse("---\ntitle: T\ndate: 2023-07-14\nseries: Solo\n---\n").part is None


@pytest.mark.parametrize("lines", ["part: 2", "series: S\npart: 0", "series: S\npart: two", "series: S\npart: true"])
def test_bad_part_is_an_input_error(lines: str) -> None:
    assert "part" in error_of(f"---\ntitle: T\ndate: 2023-07-14\n{lines}\n---\n").message


def test_draft_flag() -> None:
    assert parse("---\ntitle: T\ndate: 2023-07-14\ndraft: true\n---\n").draft is True
    assert parse('+++\ntitle = "T"\ndate = 2023-07-14\ndraft = false\n+++\n').draft is False
    assert parse("---\ntitle: T\ndate: 2023-07-14\n---\n").draft is False
    assert "draft" in error_of("---\ntitle: T\ndate: 2023-07-14\ndraft: 'yes'\n---\n").message


def test_toc_flag() -> None:
    assert parse("---\ntitle: T\ndate: 2023-07-14\ntoc: true\n---\n").toc is True
    assert parse("---\ntitle: T\ndate: 2023-07-14\n---\n").toc is False
    assert "toc" in error_of("---\ntitle: T\ndate: 2023-07-14\ntoc: 'false'\n---\n").message


def test_slug_defaults_to_file_name_and_can_be_overridden() -> None:
    assert parse("---\ntitle: T\ndate: 2023-07-14\n---\n").slug == "my-post"
    assert parse("---\ntitle: T\ndate: 2023-07-14\nslug: other-name\n---\n").slug == "other-name"


@pytest.mark.parametrize("slug", ["Has Spaces", "../escape", "a/b", "-leading", ".hidden", "tab\tin", "_redirects"])
def test_unusable_slug_is_an_input_error(slug: str) -> None:
    """A slug names a file in OUT_DIR: it must not leave it."""
    assert "slug" in error_of(f"---\ntitle: T\ndate: 2023-07-14\nslug: '{slug}'\n---\n").message


@pytest.mark.parametrize("slug", ["index", "404", "tags", "rss.xml", "sitemap.xml", "archive"])
def test_a_slug_that_takes_a_page_buildindex_writes_is_an_input_error(slug: str) -> None:
    assert "buildindex writes" in error_of(f"---\ntitle: T\ndate: 2023-07-14\nslug: '{slug}'\n---\n").message


@pytest.mark.parametrize("slug", ["notes.v2", "Why-I-Switched", "café-au-lait", "日本語"])
def test_capitals_dots_and_any_letters_make_a_slug(slug: str) -> None:
    assert parse(f"---\ntitle: T\ndate: 2023-07-14\nslug: '{slug}'\n---\n").url == f"/{slug}"


def test_reserved_slug_from_the_file_name_is_an_input_error() -> None:
    assert "buildindex writes" in error_of("---\ntitle: T\ndate: 2023-07-14\n---\n", Path("articles/index.md")).message


def test_description_is_the_summary_when_there_is_no_summary() -> None:
    assert parse("---\ntitle: T\ndate: 2023-07-14\ndescription: From Hugo.\n---\n").summary == "From Hugo."
    both = parse("---\ntitle: T\ndate: 2023-07-14\ndescription: No.\nsummary: Yes.\n---\n")
    assert both.summary == "Yes."
    assert parse("---\ntitle: T\ndate: 2023-07-14\n---\n").summary is None


def test_scalar_title_is_text() -> None:
    assert parse("---\ntitle: 1984\ndate: 2023-07-14\n---\n").title == "1984"
    assert "title" in error_of("---\ntitle: [a, b]\ndate: 2023-07-14\n---\n").message


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("Just Markdown.\n", 1, "missing front matter"),
        ("\n---\ntitle: T\ndate: 2023-07-14\n---\n", 1, "missing front matter"),
        ("---\ntitle: T\ndate: 2023-07-14\nNo closing fence.\n", 1, "never closed"),
        ("+++\ntitle = 'T'\ndate = 2023-07-14\n---\n", 1, "never closed"),
        ("---\ntitle: T\ndate: 2023-07-14\nauthor: a: b\n---\n", 4, "malformed YAML"),
        ("---\ntitle: T\nsummary: 'open\n---\n", 3, "malformed YAML"),
        ("+++\ntitle = 'T'\ndate =\n+++\n", 3, "malformed TOML"),
        ("+++\ntitle = 'T'\n\n\nsummary = nope\n+++\n", 5, "malformed TOML"),
        ("---\n- a list\n- not a mapping\n---\n", 2, "mapping"),
    ],
)
def test_malformed_front_matter_names_file_and_line(text: str, line: int, words: str) -> None:
    error = error_of(text)
    assert words in error.message
    assert error.line == line
    assert str(error).startswith(f"{PATH}:{line}: ")
    assert "\n" not in str(error)


def test_non_utf8_bytes_name_the_line() -> None:
    error = error_of(b"---\ntitle: T\ndate: 2023-07-14\n---\nfine\nbad \xff byte\n")
    assert "UTF-8" in error.message
    assert error.line == 6


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("---\ndate: 2023-07-14\n---\n", "title"),
        ("---\ntitle: ''\ndate: 2023-07-14\n---\n", "title"),
        ("---\ntitle: T\n---\n", "date"),
        ("---\ntitle: T\ndate:\n---\n", "date"),
        ("---\n---\n", "title"),
    ],
)
def test_missing_required_field(text: str, field: str) -> None:
    error = error_of(text)
    assert f"'{field}'" in error.message
    assert str(error).startswith(str(PATH))


def test_a_control_character_in_the_body_is_replaced_with_a_warning_naming_its_line() -> None:
    """XML 1.0 cannot carry it: the feeds would stop parsing. A form feed is white space to CommonMark."""
    document = frontmatter.read(b"---\ntitle: T\ndate: 2023-07-14\n---\nfine\nbell \x07 here\npage\x0cbreak\n", PATH)
    assert document.body == "fine\nbell \ufffd here\npage break\n"
    assert document.warnings == (f"{PATH}:6: control character U+0007 replaced by U+FFFD (feeds cannot carry it)",)


@pytest.mark.parametrize("escape", ["\\x07", "\\x1b", "\\ufffe", "\\x00"])
def test_a_control_character_decoded_from_a_yaml_escape_is_refused_with_its_field_and_line(escape: str) -> None:
    error = error_of(f'---\ntitle: T\ndate: 2023-07-14\nsummary: "bad {escape} text"\n---\nBody.\n')
    assert (error.line, "summary" in error.message, "control character" in error.message) == (4, True, True)


def test_a_lone_surrogate_escape_is_a_yaml_error_with_its_line() -> None:
    error = error_of('---\ntitle: T\ndate: 2023-07-14\nsummary: "bad \\ud800 text"\n---\nBody.\n')
    assert error.line == 4 and "YAML" in error.message


def test_a_control_character_in_a_tag_is_refused_too() -> None:
    error = error_of('+++\ntitle = "T"\ndate = 2023-07-14\ntags = ["ok", "bad\\u0007"]\n+++\n')
    assert "'tags'" in error.message and error.line == 4


def test_hugo_series_as_a_one_item_list_and_zola_taxonomy_tags() -> None:
    hugo = parse('---\ntitle: T\ndate: 2023-07-14\nseries: ["Builds"]\npart: 2\n---\n')
    assert (hugo.series, hugo.part) == ("Builds", 2)
    zola = parse('+++\ntitle = "T"\ndate = 2023-07-14\n[taxonomies]\ntags = ["Go", "HTTP"]\n+++\n')
    assert zola.tags == ("go", "http")
