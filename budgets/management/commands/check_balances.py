"""Prove every budget's balance equals its ledger's sums; ``--repair`` rebuilds them."""

from django.core.management.base import BaseCommand, CommandError

from budgets import services
from portal.money import format_gbp


class Command(BaseCommand):
    help = "Check every budget's balance against its ledger (the nightly task's check)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--repair",
            action="store_true",
            help="Rebuild the balances that differ from their ledgers (the ledger is right).",
        )

    def handle(self, *args, repair: bool = False, **options):
        if repair:
            rebuilt = services.repair_balances()
            self.stdout.write(f"Rebuilt {rebuilt} balance(s) from the ledger.")
            return
        differences = services.check_balances()
        for d in differences:
            self.stderr.write(
                f"  {d.budget}: {d.kind} kept {format_gbp(d.kept)}, ledger {format_gbp(d.ledger)}"
            )
        if differences:
            raise CommandError(
                f"{len(differences)} difference(s) found; the finance officers were told. "
                "Run with --repair to rebuild the balances from the ledger."
            )
        self.stdout.write("Every budget's balance equals its ledger.")
