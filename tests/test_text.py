"""Markers are matched as whole words, so a random token that contains one by chance is
not a leak, and a marker shown to the reader is always found."""

from tests.text import has_word

PAGE = (
    '<input type="hidden" name="csrfmiddlewaretoken" value="k2ZQXp9aQXAb7AB">'
    "<p>Pupil: QXA, Year 4</p><td>PARENT-SECRET-A</td>"
)


def test_a_marker_inside_a_random_token_is_not_a_word():
    assert not has_word(PAGE, "ZQX")
    assert not has_word(PAGE, "AB")


def test_a_marker_the_reader_sees_is_found():
    assert has_word(PAGE, "QXA")
    assert has_word(PAGE, "PARENT-SECRET-A")
    assert has_word(PAGE.encode(), "Year 4")
