"""Shared output for the import commands."""

from typing import BinaryIO

from django.core.management.base import BaseCommand, CommandError

from clusters.importers import FileRejected, MoreProblems

# Enough to fix a file in one pass without flooding a terminal.
SHOW_ERRORS = 200


def reject(command: BaseCommand, exc: FileRejected) -> CommandError:
    """Print every problem (line, column, message) and return the error to raise."""
    listed = [e for e in exc.errors if not isinstance(e, MoreProblems)]
    for error in listed[:SHOW_ERRORS]:
        command.stderr.write(f"  {error}")
    if len(listed) > SHOW_ERRORS:
        command.stderr.write(f"  … and {len(listed) - SHOW_ERRORS} more")
    more = [e for e in exc.errors if isinstance(e, MoreProblems)]
    for error in more:
        command.stderr.write(f"  {error}")
    found = f"More than {len(listed)}" if more else str(len(listed))
    return CommandError(f"{found} problem(s) found: nothing was imported.")


def open_file(path: str) -> BinaryIO:
    """The file, opened to be read as a stream (the parsers never read it whole)."""
    try:
        return open(path, "rb")  # noqa: SIM115 -- the caller closes it
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
