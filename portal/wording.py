"""Counts in words, for messages built in Python (templates use ``pluralize``)."""


def noun(n: int, word: str) -> str:
    """'headteacher' or 'headteachers', as ``n`` needs."""
    return word if n == 1 else f"{word}s"


def counted(n: int, word: str) -> str:
    """'1 headteacher', '2 headteachers'."""
    return f"{n} {noun(n, word)}"
