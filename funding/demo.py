"""Demo step: the four funding streams, need bands, and a year of requests.

Requests are written through the services, as the demo SENCOs and the LA SEND
officer, so the demo obeys the same rules as a user; afterwards their dates are
spread back over the year (a demo cannot wait a year). Leaves in ``ctx.shared``:
``streams`` ({code: FundingStream}), ``need_bands`` and ``requests`` ({state:
[FundingRequest]}) — many are ``ready`` for the panels demo to schedule.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.test.utils import override_settings
from django.utils import timezone

from clusters.models import Phase
from portal.demo import DemoContext

from . import services
from .models import FundingRequest, FundingStream, NeedBand, RequestEvent
from .workflow import State

MAINSTREAM = [Phase.NURSERY, Phase.PRIMARY, Phase.SECONDARY, Phase.ALL_THROUGH, Phase.POST_16]
STREAMS = [
    dict(code="ENG", name="Exceptional Needs Grant", max_award=Decimal("15000"),
         max_duration_weeks=52, eligible_phases=MAINSTREAM,
         description="Time-limited funding for a pupil on SEN support without an EHCP."),
    dict(code="IMF", name="Inclusive Mainstream Fund", max_award=Decimal("25000"),
         max_duration_weeks=52, eligible_phases=MAINSTREAM,
         description="Pooled cluster funding for groups and school projects that keep "
         "pupils in mainstream."),
    dict(code="PTS", name="Phase-transition support", max_award=Decimal("5000"),
         max_duration_weeks=26, eligible_phases=[Phase.PRIMARY, Phase.SECONDARY,
                                                 Phase.ALL_THROUGH],
         description="Support around the move from primary to secondary school."),
    dict(code="CAP", name="Small capital adaptation", max_award=Decimal("10000"),
         max_duration_weeks=12, eligible_phases=[*MAINSTREAM, Phase.SPECIAL],
         description="Small adaptations to buildings and equipment."),
]  # fmt: skip

BAND_NEEDS = ("SEMH", "ASD", "SLCN", "MLD", "SPLD")
BAND_RANGES = [(0, 0), (1000, 3000), (3000, 6000), (6000, 10000), (10000, 15000)]
BAND_WORDS = ["no additional need", "mild", "moderate", "significant", "severe and complex"]

NEEDS = ["SEMH", "ASD", "SLCN", "MLD", "SPLD", "PD", "HI", "VI", "OTH", "NSA"]
PROVISIONS = [
    ("Teaching assistant 1:1", Decimal("22.50")),
    ("Small-group intervention", Decimal("25.00")),
    ("Speech and language therapy", Decimal("65.00")),
    ("Nurture group staffing", Decimal("24.00")),
    ("Specialist teacher outreach", Decimal("55.00")),
]

# Final state of each demo request, by weight.
OUTCOMES = [
    (State.DRAFT, 8),
    (State.SUBMITTED, 12),
    (State.RETURNED, 8),
    (State.READY, 62),
    (State.WITHDRAWN, 10),
]


def load(ctx: DemoContext) -> None:
    rng = ctx.rng
    streams = {s["code"]: FundingStream.objects.create(**s) for s in STREAMS}
    bands = NeedBand.objects.bulk_create(
        [
            NeedBand(
                need=need,
                band=level,
                descriptor=f"{BAND_WORDS[level].capitalize()} {need} needs",
                usual_award_min=Decimal(BAND_RANGES[level][0]),
                usual_award_max=Decimal(BAND_RANGES[level][1]),
            )
            for need in BAND_NEEDS
            for level in range(5)
        ]
    )
    bands_by = {(b.need, b.band): b for b in bands}

    schools = [s for s in ctx.shared.get("schools", []) if s.cluster_id]
    sencos = ctx.shared.get("sencos", {})
    officer = ctx.shared.get("users", {}).get("la_send_officer")
    if not schools or officer is None:
        ctx.log("funding: no schools or LA officer to make requests for; streams only")
        ctx.shared.update(streams=streams, need_bands=bands, requests={})
        return
    count = 600 if ctx.scale == "county" else 3000
    # The demo school always has a few, so the SENCO's first page is not empty.
    demo_school = ctx.shared.get("demo_school")
    picks = [demo_school] * 8 if demo_school else []
    picks += [rng.choice(schools) for _ in range(count - len(picks))]
    # Created in date order over the past year, so references run in order too.
    offsets = sorted((rng.randint(1, 365) for _ in picks), reverse=True)
    made: dict[str, list[FundingRequest]] = {state: [] for state, _ in OUTCOMES}
    states, weights = zip(*OUTCOMES, strict=True)

    # The demo must not print 600 emails to the console.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        for school, days_ago in zip(picks, offsets, strict=True):
            senco = sencos.get(school.pk)
            if senco is None:
                continue
            eligible = [s for s in streams.values() if school.phase in s.eligible_phases]
            if not eligible:
                continue
            stream = rng.choices(eligible, weights=[6, 3, 1, 1][: len(eligible)])[0]
            target = rng.choices(states, weights=weights)[0]
            if days_ago < 20 and target == State.READY:
                target = State.SUBMITTED  # recent ones are still waiting for triage
            try:
                fr = _request(ctx, school, senco, officer, stream, bands_by, target, days_ago)
            except services.TransitionError as exc:
                ctx.log(f"funding: a demo request stopped short: {exc.message}")
                continue
            made.setdefault(fr.state, []).append(fr)
    ctx.shared.update(streams=streams, need_bands=bands, requests=made)
    ctx.log(
        "funding: "
        + ", ".join(f"{len(v)} {k}" for k, v in made.items())
        + f" requests over {len(set(s.cluster_id for s in picks))} clusters"
    )


def _request(ctx, school, senco, officer, stream, bands_by, target, days_ago) -> FundingRequest:
    rng = ctx.rng
    today = ctx.today
    created = today - timedelta(days=days_ago)
    kind = "individual"
    if stream.code == "IMF":
        kind = rng.choice(["group", "project", "individual"])
    elif rng.random() < 0.05:
        kind = "urgent"
    fr = services.create_draft(user=senco, school=school, stream=stream, request_type=kind)
    need = rng.choice(NEEDS)
    secondary = rng.choice([n for n in NEEDS if n != need] + [""])
    year_group = _year_group(rng, school.phase)
    weeks_max = min(stream.max_duration_weeks, 38)
    weeks = rng.randint(max(4, weeks_max // 3), weeks_max)
    start = today + timedelta(days=rng.randint(7, 40))
    pupils = (
        rng.randint(3, 8) if kind == "group" else (rng.randint(20, 90) if kind == "project" else 1)
    )
    contribution = Decimal("6000") * (
        pupils if kind == "group" else (0 if kind == "project" else 1)
    )
    # Cost the provision so the cluster is asked for a plausible amount under the maximum.
    asked = Decimal(rng.randint(15, 95)) / 100 * stream.max_award
    description, rate = rng.choice(PROVISIONS)
    # Whole staff: a line is at most 30 hours a week, so a big group takes several lines.
    hours_total = (contribution + asked) / (rate * weeks)
    n_lines = max(1, int(hours_total // 30) + 1)
    hours = max((hours_total / n_lines).quantize(Decimal("0.01")), Decimal("0.50"))
    level = rng.randint(1, 4)
    fields = dict(
        pupil_initials="".join(rng.choice("ABCDEFGHJKLMNPRSTW") for _ in range(2))
        if kind in ("individual", "urgent")
        else "",
        year_group=year_group,
        sex=rng.choice("FM") if kind in ("individual", "urgent") else "",
        number_of_pupils=pupils,
        project_summary=""
        if kind in ("individual", "urgent")
        else f"{description} for {pupils} pupils across years {year_group} and above",
        primary_need=need,
        secondary_need=secondary,
        sen_support_since=created - timedelta(days=rng.randint(120, 900)),
        band=bands_by.get((need, level)),
        ordinarily_available_provision="Quality-first teaching, visual supports, "
        "a quiet space, small-group literacy.",
        agencies_involved=rng.choice(
            ["Educational psychology", "CAMHS", "Speech and language therapy", "None yet"]
        ),
        outcomes_sought="To take part in whole-class learning for most of the day.",
        start_date=start,
        end_date=start + timedelta(weeks=weeks) - timedelta(days=1),
        parental_consent=kind != "project",
        consent_date=created if kind != "project" else None,
        parent_voice="We want them to be happy and settled at school." if kind != "project" else "",
        pupil_voice="I want help with my work." if kind in ("individual", "urgent") else "",
    )
    cycles = [
        dict(
            assess=f"Assessment {n + 1} of {need} needs",
            plan="Targeted intervention three times a week",
            duration_weeks=rng.randint(6, 12),
            impact=rng.choice(["Some progress", "Little change", "Progress not sustained"]),
        )
        for n in range(rng.randint(1, 3))
    ]
    lines = [
        dict(description=f"{description} ({n + 1})" if n_lines > 1 else description,
             hours_per_week=hours, weeks=weeks, hourly_rate=rate)
        for n in range(n_lines)
    ]  # fmt: skip
    if target == State.DRAFT and rng.random() < 0.6:
        # A half-finished draft.
        fields = {k: fields[k] for k in ("pupil_initials", "year_group", "sex", "primary_need")}
        cycles, lines = None, None
    services.save_request(fr, user=senco, fields=fields, cycles=cycles, provision_lines=lines)
    moments = [created]
    if target != State.DRAFT:
        submitted = created + timedelta(days=rng.randint(0, 7))
        services.apply_transition(fr, "submit", user=senco, submitted_on=submitted)
        moments.append(submitted)
        if (
            target in (State.RETURNED, State.READY)
            and rng.random() < 0.35
            or target == State.RETURNED
        ):
            services.return_request(
                fr, user=officer, message="Please add the most recent APDR review notes."
            )
            moments.append(submitted + timedelta(days=rng.randint(2, 6)))
            if target != State.RETURNED:
                services.resubmit_request(fr, user=senco, message="Review notes added.")
                moments.append(moments[-1] + timedelta(days=rng.randint(1, 5)))
        if target == State.READY:
            services.triage_request(fr, user=officer)
            moments.append(moments[-1] + timedelta(days=rng.randint(1, 8)))
        if target == State.WITHDRAWN:
            services.withdraw_request(fr, user=senco, message="The family has moved away.")
            moments.append(moments[-1] + timedelta(days=rng.randint(1, 20)))
    _backdate(fr, moments, today)
    fr.refresh_from_db()
    return fr


def _year_group(rng, phase) -> str:
    if phase == Phase.SECONDARY:
        return str(rng.randint(7, 11))
    if phase == Phase.POST_16:
        return str(rng.randint(12, 13))
    if phase == Phase.NURSERY:
        return rng.choice(["N1", "N2"])
    if phase in (Phase.ALL_THROUGH, Phase.SPECIAL):
        return str(rng.randint(1, 11))
    return rng.choice(["R", "1", "2", "3", "4", "5", "6"])


def _backdate(fr: FundingRequest, moments, today) -> None:
    """Spread the request's timeline back over the days it would have taken."""
    tz = timezone.get_current_timezone()
    moments = [min(m, today) for m in moments]

    def at(day, n):
        return datetime.combine(day, time(9 + n % 8, 5 * n % 60), tzinfo=tz)

    events = list(RequestEvent.objects.filter(request=fr).order_by("pk"))
    for n, event in enumerate(events):
        event.created_at = at(moments[min(n, len(moments) - 1)], n)
    RequestEvent.objects.bulk_update(events, ["created_at"])
    FundingRequest.objects.filter(pk=fr.pk).update(
        created_at=at(moments[0], 0),
        updated_at=at(moments[-1], len(moments)),
        submitted_at=at(moments[1], 1) if len(moments) > 1 else None,
        state_changed_at=at(moments[-1], len(moments)) if len(moments) > 1 else None,
    )
