"""Apply the retention schedule now (the nightly beat's task); ``--dry-run`` only says
what would go."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from funding import retention, services
from funding.models import RetentionClass

LABELS = dict(RetentionClass.choices)


class Command(BaseCommand):
    help = (
        "Remove the documents, free text and pupil fields of requests ended longer ago "
        "than the retention schedule keeps them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be removed; change nothing."
        )

    def handle(self, *args, dry_run: bool = False, **options):
        schedule = ", ".join(
            f"{LABELS[c].lower()} {retention.years(c)} years" for c in RetentionClass.values
        )
        self.stdout.write(f"Retention schedule, after a request ends: {schedule}.")
        run = services.apply_retention(now=timezone.now(), dry_run=dry_run)
        verb = "would lose" if dry_run else "lost"
        for item in run.due:
            classes = ", ".join(
                f"{LABELS[c].lower()}"
                + (f" ({item.documents})" if c == RetentionClass.DOCUMENTS else "")
                for c in item.classes
            )
            self.stdout.write(
                f"  {item.reference} ({item.state}, ended {item.ended_at:%-d %B %Y}) {verb}: "
                f"{classes}"
            )
        if dry_run:
            self.stdout.write(f"Dry run: {len(run.due)} request(s) due; nothing was changed.")
        else:
            self.stdout.write(
                f"{len(run.purges)} purge(s) made on {len(run.due)} request(s), each audited."
            )
