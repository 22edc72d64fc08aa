"""Opening a file named on the command line."""

import io

from django.core.management.base import CommandError


def open_text(path: str) -> io.TextIOBase:
    try:
        return open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 -- caller closes
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
