"""Rotate the secret of the pupil keys, with the LA's list of UPNs.

A pupil key is HMAC-SHA256(secret, UPN) and the UPN is never stored, so a key under
the old secret cannot be turned into one under the new without the UPN: the LA gives
its current list of UPNs (one a line, or a CSV with a "UPN" column; from its pupil
database or the census). Each UPN gives the pair (old key, new key) and every stored
key (requests and escalation records) is replaced by its partner, in one
transaction. A stored key that no UPN in the list matches (a pupil who left the LA's
records) makes the rotation refuse, nothing changed, unless ``--forget-unmatched``:
those pupils' requests are then no longer linked, and their escalation records
deleted (they cannot be matched to anyone again). The secrets are read from
environment variables (never the command line, which other users can see):
PUPIL_KEY_SECRET_OLD and PUPIL_KEY_SECRET_NEW unless named otherwise. Afterwards set
PUPIL_KEY_SECRET to the new secret and restart the web and worker processes; run it
when nobody is entering UPNs (a quiet hour), since a UPN entered between the
rotation and the restart is keyed under the old secret.
"""

import csv
import os

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from funding import services as funding_services
from portal import pupil_key
from reports import escalation

from ._files import open_text


def _upn_lines(handle):
    """(line number, UPN) from a plain list or a CSV with a UPN column."""
    first = handle.readline()
    header = next(csv.reader([first]), [])
    columns = [h.strip().lower() for h in header]
    if "upn" in columns:
        at = columns.index("upn")
        for line, row in enumerate(csv.reader(handle), start=2):
            yield line, row[at] if at < len(row) else ""
        return
    yield 1, first.strip()
    for line, text in enumerate(handle, start=2):
        yield line, text.strip()


class Command(BaseCommand):
    help = (
        "Re-key every stored pupil key from the old secret to the new, using the LA's "
        "list of UPNs. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "upn_list", help="the LA's UPNs: one a line, or a CSV with a UPN column"
        )
        parser.add_argument("--old-secret-env", default="PUPIL_KEY_SECRET_OLD")
        parser.add_argument("--new-secret-env", default="PUPIL_KEY_SECRET_NEW")
        parser.add_argument(
            "--forget-unmatched",
            action="store_true",
            help="clear the keys no UPN in the list matches, instead of refusing",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report, write nothing"
        )

    def handle(self, *args, **options):
        old = os.environ.get(options["old_secret_env"], "")
        new = os.environ.get(options["new_secret_env"], "")
        with open_text(options["upn_list"]) as handle:
            try:
                mapping, problems = pupil_key.rekey_map(_upn_lines(handle), old, new)
            except ValueError as exc:
                raise CommandError(f"Cannot rotate: {exc}.") from exc
        if problems:
            for problem in problems[:200]:
                self.stderr.write(f"  {problem}")
            raise CommandError(f"{len(problems)} problem(s) in the list: nothing was changed.")
        with transaction.atomic():
            stored = funding_services.stored_pupil_keys() | escalation.stored_pupil_keys()
            unmatched = stored - mapping.keys()
            if unmatched and not options["forget_unmatched"]:
                raise CommandError(
                    f"{len(unmatched)} of the {len(stored)} pupils with a key have no UPN in the "
                    "list (or the old secret is not the one in use): nothing was changed. Add "
                    "their UPNs, or use --forget-unmatched to stop linking them."
                )
            requests = funding_services.rekey_pupils(mapping, forget=unmatched)
            records, forgotten = escalation.rekey(mapping, forget=unmatched)
            if options["dry_run"]:
                transaction.set_rollback(True)
        prefix = "Dry run, nothing written. " if options["dry_run"] else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix}{len(stored) - len(unmatched)} pupils re-keyed: {requests} requests, "
                f"{records} escalation records; {len(unmatched)} pupils no longer linked"
                f"{f' ({forgotten} escalation records deleted)' if forgotten else ''}. "
                "Now set PUPIL_KEY_SECRET to the new secret and restart the portal and worker."
            )
        )
