"""Tests for mutants of server/ that the rest of the suite let live (see bench/mutation-survivors.md).

Each one checks an exact value, written here, that the mutated code gets wrong.
"""

import pytest

from server.assets import SiteError
from server.headers_file import policy_in
from server.negotiation import byte_range, gzip_preferred
from server.urls import location_of, redirect_rules, url_table

STRICT = "default-src 'none'"


@pytest.mark.parametrize(
    ("accept_encoding", "gzip"),
    [
        (b"gzip;foo=1;q=0", False),  # q is looked for among every parameter, not only the first
        (b"gzip;q=0=1", False),  # a malformed q is 0: not acceptable
        (b"gzip;q=1, identity", True),  # identity with no q is worth 1, a tie, and ties go to gzip
        (b"identity;q=0.5, gzip;q=0.4", False),
    ],
)
def test_q_parameters_of_accept_encoding(accept_encoding: bytes, gzip: bool) -> None:
    assert gzip_preferred(accept_encoding) is gzip


def test_a_headers_file_without_a_policy_sets_none() -> None:
    """None, not "": the server then sends its own strict policy rather than an empty one."""
    assert policy_in("# written by hand\n\n") is None


@pytest.mark.parametrize(
    "text",
    [
        f"  # an indented comment\n/*\n  Content-Security-Policy: {STRICT}\n",
        f"/*\n Content-Security-Policy: {STRICT}\n",  # one space of indentation is enough
    ],
)
def test_comments_and_indentation_in_a_headers_file(text: str) -> None:
    assert policy_in(text) == STRICT


def test_range_numbers_past_18_digits_all_stand_for_one_huge_number() -> None:
    """Up to 18 digits a number is itself (so a last before the first is a bad range, ignored);
    from 19 digits every number is the same huge one (so first == last, past the body: 416)."""
    assert byte_range(b"bytes=999999999999999999-100000000000000000", 100) is None
    assert byte_range(b"bytes=9999999999999999999-1000000000000000000", 100) == (-1, -1)


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/caf\u00e9/(1)!:@x", "/caf%C3%A9/(1)!:@x"),  # RFC 3986 pchars stay as they are; non-ASCII is encoded
        ("/p?a=1&b=2", "/p?a=1&b=2"),  # a query's = and & stay
        ("/a?b?c", "/a?b?c"),  # the first ? starts the query; a later one is a plain query character
    ],
)
def test_a_redirect_location_is_percent_encoded_only_where_it_must_be(target: str, location: str) -> None:
    assert location_of(target) == location


def test_a_redirect_from_a_path_with_a_query_is_refused_naming_the_line_and_the_path() -> None:
    with pytest.raises(SiteError) as error:
        redirect_rules("# moved\n/search?q=1 /find\n")
    assert (
        str(error.value) == "_redirects:2: FROM must be a plain path starting with / (no splat, no query): /search?q=1"
    )


def test_an_absolute_redirect_target_is_kept_as_written() -> None:
    """Only a path target is percent-decoded (to be encoded once, later): a URL keeps its %2F."""
    assert redirect_rules("/old https://example.org/a%2Fb 302\n") == [(1, "/old", "https://example.org/a%2Fb", 302)]


def test_a_redirect_target_with_a_fragment_is_checked_without_it() -> None:
    _, redirects = url_table(["hello.html"], "/old /hello#top\n")
    assert redirects["/old"].status == 301


def test_every_redirect_rule_is_checked_not_only_the_first_to_a_real_page() -> None:
    with pytest.raises(SiteError) as error:
        url_table(["hello.html"], "/a /hello\n/b /nowhere\n")
    assert str(error.value) == "_redirects:2: /b redirects to /nowhere, which nothing answers"
