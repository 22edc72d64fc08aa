"""Restore a backup into an empty environment (portal/backups.py)."""

import time

from django.core.management.base import BaseCommand, CommandError

from portal import backups


class Command(BaseCommand):
    help = (
        "Restore the backup in DIRECTORY into this environment's database and file store. "
        "Refused, changing nothing, unless both are empty. Every table and file is checked "
        "against the backup's checksums afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory")

    def handle(self, *args, directory, **options):
        started = time.monotonic()
        try:
            done = backups.restore(directory, say=self.stdout.write)
        except backups.BackupRefused as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {done['rows']} rows in {done['tables']} tables and "
                f"{done['objects']} files ({done['bytes']} bytes) in "
                f"{time.monotonic() - started:.1f} s; every checksum matches the backup."
            )
        )
