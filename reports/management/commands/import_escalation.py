"""Import the LA's escalation extract (UPN, Event, Date, optional End date)."""

from django.core.management.base import BaseCommand

from clusters.management.commands._report import open_file, reject
from reports import escalation
from reports.models import ImportStatus


class Command(BaseCommand):
    help = (
        "Replace the escalation records (EHC needs assessment requests, EHCPs issued, "
        "specialist and alternative-provision placements, permanent exclusions) with the "
        "LA's extract: a CSV of UPN, Event, Date and, for placements, End date. The UPNs "
        "are hashed as they are read; the file is not kept. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("extract_csv")

    def handle(self, *args, **options):
        path = options["extract_csv"]
        with open_file(path) as handle:
            run = escalation.import_now(user=None, data=handle, filename=path.rsplit("/", 1)[-1])
        if run.status != ImportStatus.SUCCEEDED:
            raise reject(self, escalation.rejected(run))
        self.stdout.write(self.style.SUCCESS(f"{run.records} escalation records imported."))
