"""Back up the database and the file store into a new folder (portal/backups.py)."""

import time

from django.core.management.base import BaseCommand, CommandError

from portal import backups


class Command(BaseCommand):
    help = (
        "Write a consistent backup of the database (pg_dump custom format, or SQLite's "
        "backup) and of every object in the file store, with a manifest of sizes and "
        "SHA-256 checksums, into DIRECTORY (new or empty)."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory")

    def handle(self, *args, directory, **options):
        started = time.monotonic()
        try:
            manifest = backups.backup(directory, say=self.stdout.write)
        except backups.BackupRefused as exc:
            raise CommandError(exc.message) from exc
        rows = sum(t["rows"] for t in manifest["tables"].values())
        size = sum(o["bytes"] for o in manifest["objects"])
        for name in manifest["missing_objects"]:
            self.stderr.write(f"A record names a file the store does not hold: {name}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {rows} rows in {len(manifest['tables'])} tables "
                f"({manifest['database']['bytes']} bytes) and {len(manifest['objects'])} "
                f"files ({size} bytes) to {directory} in {time.monotonic() - started:.1f} s."
            )
        )
