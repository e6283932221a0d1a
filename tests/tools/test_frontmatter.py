"""Front matter: both forms, every date form, and the fields an author moving from Jekyll,
Hugo or Zola already writes."""

import datetime as dt
from pathlib import Path

import pytest

from cmd.rendermd import frontmatter
from cmd.shared.errors import InputError

UTC = dt.UTC
PATH = Path("articles/my-post.md")


def parse(text: str) -> frontmatter.Meta:
    return frontmatter.parse(text.encode("utf-8"), PATH)[0]


def error_of(text: str | bytes) -> InputError:
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    with pytest.raises(InputError) as caught:
        frontmatter.parse(data, PATH)
    return caught.value


def test_yaml_front_matter_gives_fields_and_body() -> None:
    meta, body, body_line = frontmatter.parse(
        b"---\ntitle: Hello\ndate: 2023-07-14\nauthor: Ada\n---\nFirst line of the body.\n", PATH
    )
    assert (meta.title, meta.author, meta.slug) == ("Hello", "Ada", "my-post")
    assert body == "First line of the body.\n"
    assert body_line == 6


def test_toml_front_matter_gives_the_same_fields() -> None:
    meta, body, _ = frontmatter.parse(b'+++\ntitle = "Hello"\ndate = 2023-07-14\nauthor = "Ada"\n+++\nBody.\n', PATH)
    assert (meta.title, meta.author, meta.date) == ("Hello", "Ada", dt.datetime(2023, 7, 14, tzinfo=UTC))
    assert body == "Body.\n"


def test_byte_order_mark_and_crlf_line_ends_are_accepted() -> None:
    meta = frontmatter.parse("\ufeff---\r\ntitle: Windows\r\ndate: 2023-07-14\r\n---\r\nBody\r\n".encode(), PATH)[0]
    assert meta.title == "Windows"


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
        ("tags: [Docker Compose, 'C++', python, Python]", ("c", "docker-compose", "python")),
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


@pytest.mark.parametrize(
    "slug", ["Has Spaces", "../escape", "a/b", "-leading", "index", "404", "tags", "rss.xml", "notes.v2"]
)
def test_unusable_or_reserved_slug_is_an_input_error(slug: str) -> None:
    """A slug names a file in OUT_DIR: it must not leave it, nor take a page buildindex writes."""
    assert "slug" in error_of(f"---\ntitle: T\ndate: 2023-07-14\nslug: '{slug}'\n---\n").message


def test_reserved_slug_from_the_file_name_is_an_input_error() -> None:
    with pytest.raises(InputError, match="slug"):
        frontmatter.parse(b"---\ntitle: T\ndate: 2023-07-14\n---\n", Path("articles/index.md"))


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


def test_a_control_character_is_refused_with_its_line() -> None:
    """XML 1.0 cannot carry it: the feeds would stop parsing."""
    error = error_of("---\ntitle: T\ndate: 2023-07-14\n---\nfine\nbell \x07 here\n")
    assert error.line == 6 and "U+0007" in error.message


def test_hugo_series_as_a_one_item_list_and_zola_taxonomy_tags() -> None:
    hugo = parse('---\ntitle: T\ndate: 2023-07-14\nseries: ["Builds"]\npart: 2\n---\n')
    assert (hugo.series, hugo.part) == ("Builds", 2)
    zola = parse('+++\ntitle = "T"\ndate = 2023-07-14\n[taxonomies]\ntags = ["Go", "HTTP"]\n+++\n')
    assert zola.tags == ("go", "http")
