"""What a page says, matched by whole words: never as a substring of the markup, where
a short marker (a pupil's initials) turns up by chance inside the page's random CSRF
token (64 letters and digits) in a few runs in a hundred."""

from __future__ import annotations

import re

# A word is bounded by anything that is not a letter or a digit (the characters of
# random tokens), so "QXA" is found in "QXA, Year 4" and never inside "…aQXAz…".
_ALNUM = r"[^\W_]"


def has_word(text: str | bytes, word: str) -> bool:
    """Whether ``word`` (one word or several, e.g. ``"PARENT-SECRET-A"``) is in ``text``
    as a whole: not preceded or followed by a letter or a digit."""
    if isinstance(text, bytes):
        text = text.decode(errors="replace")
    return re.search(rf"(?<!{_ALNUM}){re.escape(word)}(?!{_ALNUM})", text) is not None
