"""Import the LA's schools from a GIAS establishment extract, and their clusters."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from clusters import services
from clusters.importers import FileRejected, parse_academic_year, parse_cluster_mapping, parse_gias

from ._report import open_file, reject


class Command(BaseCommand):
    help = (
        "Create or update the LA's schools from a GIAS extract CSV (all of England is fine: "
        "rows of other LAs are skipped), and connect them to clusters from a mapping CSV "
        "(URN, District, Cluster[, Cluster code][, District code]). All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "gias_csv", help="GIAS 'establishment fields' CSV (Windows-1252 or UTF-8)"
        )
        parser.add_argument(
            "--la", default=settings.LA_CODE, help="LA code to keep (default %(default)s)"
        )
        parser.add_argument("--clusters", metavar="CSV", help="cluster mapping CSV")
        parser.add_argument(
            "--year",
            help="also set this academic year's roll, FSM and SEN counts from GIAS (e.g. 2025/26)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report, write nothing"
        )

    def handle(self, *args, **options):
        year = None
        if options["year"]:
            year, error = parse_academic_year(options["year"])
            if error:
                raise CommandError(f"--year: {error}")
        with open_file(options["gias_csv"]) as handle:
            gias = parse_gias(handle, options["la"])
        mapping = None
        if options["clusters"]:
            with open_file(options["clusters"]) as handle:
                mapping = parse_cluster_mapping(handle)
        try:
            with transaction.atomic():
                report = services.import_gias(gias, mapping, year=year)
                if options["dry_run"]:
                    transaction.set_rollback(True)
        except FileRejected as exc:
            raise reject(self, exc) from exc

        out = self.stdout
        prefix = "Dry run, nothing written. " if options["dry_run"] else ""
        out.write(
            self.style.SUCCESS(
                f"{prefix}LA {gias.la_code}: {report.created} created, {report.updated} updated, "
                f"{report.unchanged} unchanged, {report.closed} closed; "
                f"{report.skipped_other_la} rows of other LAs skipped."
            )
        )
        if mapping is not None:
            out.write(
                f"Clusters: {len(mapping.rows)} schools mapped; "
                f"{report.districts_created} districts and {report.clusters_created} clusters created."
            )
        if year is not None:
            out.write(
                f"Statistics for {year}: {report.stats_created} created, {report.stats_updated} updated."
            )
        if report.unmapped:
            self.stderr.write(
                self.style.WARNING(
                    f"{len(report.unmapped)} open school(s) are in no cluster "
                    "(every school must be connected: add them to the mapping):"
                )
            )
            for urn, name in report.unmapped:
                self.stderr.write(f"  {urn} {name}")
