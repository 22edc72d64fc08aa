"""Demo step: the county's inclusiveness and fair-share reports, produced in-process so
the demo shows finished reports even before a worker runs."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from clusters.models import SchoolYearStats
from demo.context import DemoContext
from funding.models import FundingRequest
from portal import pupil_key
from reports import escalation, services
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
    for kind in (ReportKind.INCLUSIVENESS, ReportKind.FAIR_SHARE):
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
    load_impact(ctx, year, officer)


# ---------------------------------------------------------------- the impact report
# Deterministic from the requests themselves (no random draws): each pupil's UPN is made
# from the first request of its continuation chain, so a continuation is the same pupil.


def _demo_upn(n: int) -> str:
    rest = f"931{n % 10**8:08d}0"
    return pupil_key.check_letter(rest) + rest


def _pupil_numbers() -> dict[int, int]:
    """Each one-pupil request's pupil number: the first request of its chain."""
    rows = dict(
        FundingRequest.objects.filter(request_type__in=["individual", "urgent"]).values_list(
            "pk", "continues_id"
        )
    )

    def root(pk: int) -> int:
        seen = 0
        while rows.get(pk) and seen < 50:
            pk, seen = rows[pk], seen + 1
        return pk

    return {pk: root(pk) for pk in rows}


def load_impact(ctx: DemoContext, year: int, officer) -> None:
    """Every demo pupil's key, a small escalation extract from the "LA's systems" (as a
    CSV through the import, UPNs and all), and the county's impact report."""
    numbers = _pupil_numbers()
    changed = []
    for fr in FundingRequest.objects.filter(pk__in=numbers, pupil_key="").only("pk"):
        fr.pupil_key = pupil_key.pupil_key(_demo_upn(numbers[fr.pk]))
        changed.append(fr)
    FundingRequest.objects.bulk_update(changed, ["pupil_key"], batch_size=2000)
    today = min(ctx.today, timezone.localdate())  # the import refuses a future date
    firsts = escalation.first_decisions({fr.pupil_key for fr in changed})
    by_key = {pupil_key.pupil_key(_demo_upn(n)): n for n in set(numbers.values())}
    funded = dict(
        FundingRequest.objects.filter(pupil_key__in=firsts, amount_awarded__isnull=False)
        .values_list("pupil_key", "pk")
        .distinct()
    )
    lines = ["UPN,Event,Date,End date"]
    for key_, first in sorted(firsts.items(), key=lambda kv: by_key.get(kv[0], 0)):
        n = by_key.get(key_)
        if n is None:
            continue
        # Declined pupils escalate more often than funded ones, as the DfE report found.
        odds = (3, 4, 6) if key_ not in funded else (7, 13, 17)
        events = []
        if n % odds[0] == 0:
            events.append(("EHC needs assessment requested", 60))
        if n % odds[0] == 0 and n % 2 == 0:
            events.append(("EHCP issued", 200))
        if n % odds[1] == 0:
            events.append(("Specialist placement", 150))
        if n % odds[2] == 0:
            events.append(("Permanent exclusion", 120))
        for event, days in events:
            on = first + timedelta(days=days)
            if on <= today:
                lines.append(f"{_demo_upn(n)},{event},{on:%d-%m-%Y},")
    run = escalation.import_now(
        user=officer, data="\n".join(lines).encode(), filename="demo-escalation-extract.csv"
    )
    ctx.log(f"reports: {len(changed)} pupil keys, escalation extract {run} ({run.records} records)")
    if ReportRun.objects.filter(kind=ReportKind.IMPACT, academic_year=year).exists():
        return
    report = services.request_report(
        user=officer,
        kind=ReportKind.IMPACT,
        scope_kind=ScopeKind.COUNTY,
        scope_id=None,
        academic_year=year,
        queue=False,
    )
    try:
        services.produce(report.pk)
    except services.ReportError as exc:
        services.fail(report.pk, str(exc))
    report.refresh_from_db()
    ctx.log(f"reports: {report} — {report.get_status_display()}")
