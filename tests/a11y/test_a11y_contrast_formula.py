"""The contrast formula the colour tests rely on, held to published figures (no browser needed)."""

import pytest

from tests.a11y.a11y_support import contrast_ratio, over, parse_colour


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ((0, 0, 0), (255, 255, 255), 21.0),  # the largest ratio there is
        ((255, 255, 255), (0, 0, 0), 21.0),  # the order does not matter
        ((119, 119, 119), (119, 119, 119), 1.0),  # the same colour twice
        ((0x76, 0x76, 0x76), (255, 255, 255), 4.54),  # the lightest grey that passes AA on white
        ((0x77, 0x77, 0x77), (255, 255, 255), 4.48),  # one step lighter fails
        ((255, 0, 0), (255, 255, 255), 4.0),
        ((0, 0, 255), (255, 255, 255), 8.59),
        ((0x60, 0xA0, 0xB0), (0xF0, 0xF0, 0xF0), 2.58),  # Pygments "friendly"'s comments, as the issue measured
    ],
)
def test_contrast_ratio_matches_published_figures(
    first: tuple[int, int, int], second: tuple[int, int, int], expected: float
) -> None:
    assert round(contrast_ratio(first, second), 2) == expected


def test_computed_colours_are_read_with_their_alpha() -> None:
    assert parse_colour("rgb(13, 17, 23)") == ((13, 17, 23), 1.0)
    assert parse_colour("rgba(255, 214, 0, 0.18)") == ((255, 214, 0), 0.18)
    assert parse_colour("rgba(0, 0, 0, 0)") == ((0, 0, 0), 0.0)
    with pytest.raises(ValueError, match="not a computed"):
        parse_colour("#fff")


def test_a_translucent_colour_is_composited_over_the_one_below() -> None:
    assert over((0, 0, 0), 0.5, (255, 255, 255)) == (127.5, 127.5, 127.5)
    assert over((255, 214, 0), 0.0, (1, 2, 3)) == (1, 2, 3)
    assert over((255, 214, 0), 1.0, (1, 2, 3)) == (255, 214, 0)
