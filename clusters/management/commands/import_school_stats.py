"""Import yearly school statistics from the DfE SEN file or the LA template."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from clusters import services
from clusters.importers import (
    LA_TEMPLATE_COLUMNS,
    FileRejected,
    parse_academic_year,
    parse_school_stats,
)

from ._report import open_file, reject


class Command(BaseCommand):
    help = (
        "Create or update yearly school statistics from either the DfE school-level "
        "'Special educational needs in England' CSV (time_period, urn, ehc_plan, sen_support, "
        "total pupils) or the LA template (" + ", ".join(LA_TEMPLATE_COLUMNS) + "). "
        "Only the figures the file gives change. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("stats_csv")
        parser.add_argument("--year", help="import only this academic year (e.g. 2024/25)")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report, write nothing"
        )

    def handle(self, *args, **options):
        year = None
        if options["year"]:
            year, error = parse_academic_year(options["year"])
            if error:
                raise CommandError(f"--year: {error}")
        with open_file(options["stats_csv"]) as handle:
            parsed = parse_school_stats(handle, year=year)
        try:
            with transaction.atomic():
                report = services.import_school_stats(parsed)
                if options["dry_run"]:
                    transaction.set_rollback(True)
        except FileRejected as exc:
            raise reject(self, exc) from exc
        prefix = "Dry run, nothing written. " if options["dry_run"] else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{prefix}{report.layout}: {report.created} created, {report.updated} updated."
            )
        )
        if report.skipped_unknown_schools or report.skipped_other_levels:
            self.stdout.write(
                f"Skipped {report.skipped_unknown_schools} rows of schools not in the portal and "
                f"{report.skipped_other_levels} national, regional or LA rows."
            )
