"""Demo step: the county's inclusiveness and fair-share reports, produced in-process so
the demo shows finished reports even before a worker runs."""

from __future__ import annotations

from clusters.models import SchoolYearStats
from demo.context import DemoContext
from reports import services
from reports.models import ReportKind, ReportRun, ScopeKind

# The national % of pupils with an EHCP the demo LA "entered" (DfE, SEN in England).
DEMO_NATIONAL_EHCP_PCT = "2.5"


def load(ctx: DemoContext) -> None:
    current = ctx.shared.get("academic_year") or (
        SchoolYearStats.objects.order_by("-academic_year")
        .values_list("academic_year", flat=True)
        .first()
    )
    if current is None:
        ctx.log("reports: no school figures, no demo reports")
        return
    # The last complete academic year: the current one has only a term of requests, so
    # its report would show almost nothing awarded.
    year = (
        current - 1
        if SchoolYearStats.objects.filter(academic_year=current - 1).exists()
        else current
    )
    officer = ctx.shared.get("users", {}).get("la_send_officer")
    for kind in ReportKind.values:
        if ReportRun.objects.filter(
            kind=kind, scope_kind=ScopeKind.COUNTY, academic_year=year
        ).exists():
            continue
        run = services.request_report(
            user=officer,
            kind=kind,
            scope_kind=ScopeKind.COUNTY,
            scope_id=None,
            academic_year=year,
            national_ehcp_pct=DEMO_NATIONAL_EHCP_PCT,
            queue=False,
        )
        try:
            services.produce(run.pk)
        except services.ReportError as exc:
            services.fail(run.pk, str(exc))
        run.refresh_from_db()
        ctx.log(f"reports: {run} — {run.get_status_display()}")
