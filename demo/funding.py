"""Demo step: the four funding streams, need bands, and a year of requests.

Requests are written through the services, as the demo SENCOs and the LA SEND
officer, so the demo obeys the same rules as a user; afterwards their dates are
spread back over the year (a demo cannot wait a year). Leaves in ``ctx.shared``:
``streams`` ({code: FundingStream}), ``need_bands`` and ``requests`` ({state:
[FundingRequest]}) — many are ``ready`` for the panels demo to schedule.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.test.utils import override_settings
from django.utils import timezone

from clusters.models import Phase
from demo.context import DemoContext
from funding import rules, services
from funding.models import (
    DocumentKind,
    FundingRequest,
    FundingStream,
    NeedBand,
    ProvisionLine,
    ReferenceCounter,
    RequestEvent,
    ReviewCycle,
)
from funding.workflow import State, Submit

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
COUNTY_REQUESTS = 600
# National scale: about this many requests per cluster (30,000 over 1,500 clusters).
NATIONAL_REQUESTS_PER_CLUSTER = 20
BATCH = 2000


def load(ctx: DemoContext) -> None:
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
    if ctx.scale == "national":
        made = _load_in_bulk(ctx, streams, bands_by, schools, sencos, officer)
    else:
        made = _load_through_services(ctx, streams, bands_by, schools, sencos, officer)
    ctx.shared.update(streams=streams, need_bands=bands, requests=made)
    ctx.log(
        "funding: "
        + ", ".join(f"{len(v)} {k}" for k, v in made.items())
        + f" requests over {len({fr.cluster_id for v in made.values() for fr in v})} clusters"
    )


def _picks(ctx, schools, count):
    """(school, days ago) for each request: the demo school always has a few, so the
    SENCO's first page is not empty; created in date order over the past year, so
    references run in order too."""
    rng = ctx.rng
    demo_school = ctx.shared.get("demo_school")
    picks = [demo_school] * 8 if demo_school else []
    picks += [rng.choice(schools) for _ in range(count - len(picks))]
    offsets = sorted((rng.randint(1, 365) for _ in picks), reverse=True)
    return zip(picks, offsets, strict=True)


def _choose(rng, school, streams, states, weights, days_ago):
    """(stream, target state) for a request, or None when no stream is open to the school."""
    eligible = [s for s in streams.values() if school.phase in s.eligible_phases]
    if not eligible:
        return None
    stream = rng.choices(eligible, weights=[6, 3, 1, 1][: len(eligible)])[0]
    target = rng.choices(states, weights=weights)[0]
    if days_ago < 20 and target == State.READY:
        target = State.SUBMITTED  # recent ones are still waiting for triage
    return stream, target


def _load_through_services(ctx, streams, bands_by, schools, sencos, officer):
    made: dict[str, list[FundingRequest]] = {state: [] for state, _ in OUTCOMES}
    states, weights = zip(*OUTCOMES, strict=True)
    # The demo must not print 600 emails to the console.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        for school, days_ago in _picks(ctx, schools, COUNTY_REQUESTS):
            senco = sencos.get(school.pk)
            if senco is None:
                continue
            chosen = _choose(ctx.rng, school, streams, states, weights, days_ago)
            if chosen is None:
                continue
            stream, target = chosen
            try:
                fr = _request(ctx, school, senco, officer, stream, bands_by, target, days_ago)
            except services.TransitionError as exc:
                ctx.log(f"funding: a demo request stopped short: {exc.message}")
                continue
            made.setdefault(fr.state, []).append(fr)
    return made


def _request(ctx, school, senco, officer, stream, bands_by, target, days_ago) -> FundingRequest:
    rng = ctx.rng
    today = ctx.today
    created = today - timedelta(days=days_ago)
    kind = _kind(rng, stream)
    fr = services.create_draft(user=senco, school=school, stream=stream, request_type=kind)
    fields, cycles, lines = _content(rng, today, school, stream, bands_by, kind, target, created)
    services.save_request(fr, user=senco, fields=fields, cycles=cycles, provision_lines=lines)
    moments = [created]
    if target != State.DRAFT:
        # The school's supporting evidence, as the panel reads it in its papers.
        _attach_support_plan(fr, senco, fields)
        submitted = created + timedelta(days=rng.randint(0, 7))
        services.apply_transition(fr, "submit", user=senco, command=Submit(submitted_on=submitted))
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
            # Not drawn from rng: the demo's other draws (and what the demo school shows) stay put.
            note = PANEL_NOTES[fr.pk % len(PANEL_NOTES)]
            services.triage_request(fr, user=officer, message=note)
            moments.append(moments[-1] + timedelta(days=rng.randint(1, 8)))
        if target == State.WITHDRAWN:
            services.withdraw_request(fr, user=senco, message="The family has moved away.")
            moments.append(moments[-1] + timedelta(days=rng.randint(1, 20)))
    _backdate(fr, moments, today)
    fr.refresh_from_db()
    return fr


# The LA's note for the panel, written at triage (the papers show it).
PANEL_NOTES = (
    "Evidence of need is clear; two full APDR cycles with measured impact.",
    "The costed provision is in line with the cluster's rates. EP involvement confirmed.",
    "Ordinarily available provision is well evidenced; the panel may wish to ask about exit.",
    "Parental consent on file. The school has met its own contribution in full.",
)


def _support_plan_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF (Helvetica, no fonts embedded), written by hand: the demo's stand-in
    for a school's SEN support plan, pseudonymised like everything else."""

    def esc(text: str) -> str:
        text = text.encode("latin-1", "replace").decode("latin-1")
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    rows = [f"BT /F1 16 Tf 56 780 Td ({esc(title)}) Tj ET"]
    for i, line in enumerate(lines):
        rows.append(f"BT /F1 10 Tf 56 {750 - 16 * i} Td ({esc(line[:95])}) Tj ET")
    stream = "\n".join(rows).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _attach_support_plan(fr: FundingRequest, senco, fields: dict) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    initials = fields.get("pupil_initials") or "the pupil"
    pdf = _support_plan_pdf(
        f"SEN support plan: {initials}",
        [
            f"School: {fr.school.name}",
            f"Year group: {fields.get('year_group', '')}",
            "Outcomes sought:",
            *str(fields.get("outcomes_sought", "")).splitlines()[:6],
            "Ordinarily available provision:",
            *str(fields.get("ordinarily_available_provision", "")).splitlines()[:6],
        ],
    )
    upload = SimpleUploadedFile(
        f"support-plan-{initials.lower()}.pdf", pdf, content_type="application/pdf"
    )
    services.upload_document(fr, user=senco, upload=upload, kind=DocumentKind.SUPPORT_PLAN)


def _kind(rng, stream) -> str:
    if stream.code == "IMF":
        return rng.choice(["group", "project", "individual"])
    return "urgent" if rng.random() < 0.05 else "individual"


def _content(rng, today, school, stream, bands_by, kind, target, created):
    """What the SENCO types for one request: (fields, cycles, provision lines).

    A half-finished draft has only a few fields, and ``None`` for cycles and lines.
    """
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
    return fields, cycles, lines


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


# --- National scale: the same requests, written in bulk ---------------------------------


def _load_in_bulk(ctx, streams, bands_by, schools, sencos, officer):
    """Tens of thousands of requests in a few bulk inserts rather than through the services.

    Each request is made as the county's are (the same content, the same story of
    submit, return, resubmit, triage or withdraw, the same timeline) and checked with
    the rules the submit guards apply (a request they would refuse stays a draft), but
    written directly: rows, cycles, provision lines, timeline events, then references
    numbered per stream and year in order of submission and the ReferenceCounter rows
    moved on to match, so a request submitted later through the services numbers on.
    No notifications: nobody is waiting for 30,000 emails.
    """
    rng, today = ctx.rng, ctx.today
    schools = [s for s in schools if s.pk in sencos]
    count = NATIONAL_REQUESTS_PER_CLUSTER * len({s.cluster_id for s in schools})
    states, weights = zip(*OUTCOMES, strict=True)
    made: dict[str, list[FundingRequest]] = {state: [] for state, _ in OUTCOMES}
    requests, cycles, lines, events = [], [], [], []
    submitted_on: dict[int, date] = {}  # index in ``requests`` -> day submitted

    for school, days_ago in _picks(ctx, schools, count):
        chosen = _choose(rng, school, streams, states, weights, days_ago)
        if chosen is None:
            continue
        stream, target = chosen
        senco = sencos[school.pk]
        created = today - timedelta(days=days_ago)
        kind = _kind(rng, stream)
        fields, cycle_rows, line_rows = _content(
            rng, today, school, stream, bands_by, kind, target, created
        )
        fr = FundingRequest(
            school=school,
            cluster_id=school.cluster_id,
            stream=stream,
            request_type=kind,
            created_by=senco,
            **fields,
        )
        if kind in ("individual", "urgent"):
            fr.number_of_pupils = 1  # as services.update_request keeps it
        new_cycles = [ReviewCycle(order=n, **c) for n, c in enumerate(cycle_rows or [], 1)]
        new_lines = [ProvisionLine(order=n, **li) for n, li in enumerate(line_rows or [], 1)]
        fr.total_cost, fr.school_contribution, fr.amount_requested = rules.money(fr, new_lines)
        if target != State.DRAFT and _refused(fr, new_cycles, new_lines, today):
            target = State.DRAFT
        steps = _story(rng, target, senco, officer, created)
        fr.state = steps[-1][2]
        tz = timezone.get_current_timezone()
        times = [_at(min(day, today), n, tz) for n, (*_, day) in enumerate(steps)]
        fr.created_at, fr.updated_at = times[0], times[-1]
        if len(steps) > 1:
            fr.submitted_at, fr.state_changed_at = times[1], times[-1]
            submitted_on[len(requests)] = steps[1][-1]
        for n, (kind_, actor, to_state, message, _day) in enumerate(steps):
            from_state = steps[n - 1][2] if n else ""
            events.append(
                (
                    len(requests),
                    RequestEvent(
                        kind=kind_,
                        actor=actor,
                        from_state=from_state,
                        to_state=to_state,
                        message=message,
                        created_at=times[n],
                    ),
                )
            )
        cycles += [(len(requests), c) for c in new_cycles]
        lines += [(len(requests), li) for li in new_lines]
        requests.append(fr)

    _number(requests, submitted_on)
    with _dates_as_given(FundingRequest, RequestEvent):
        FundingRequest.objects.bulk_create(requests, batch_size=BATCH)
        for rows in (cycles, lines, events):
            for i, row in rows:
                row.request = requests[i]
        ReviewCycle.objects.bulk_create([c for _, c in cycles], batch_size=BATCH)
        ProvisionLine.objects.bulk_create([li for _, li in lines], batch_size=BATCH)
        RequestEvent.objects.bulk_create([e for _, e in events], batch_size=BATCH)
    for fr in requests:
        made.setdefault(fr.state, []).append(fr)
    ctx.log(
        f"funding: national scale: {len(requests)} requests written in bulk "
        f"({len(cycles)} cycles, {len(lines)} provision lines, {len(events)} events)"
    )
    return made


def _refused(fr, cycles, lines, today) -> bool:
    """Whether the submit guards would refuse this request (it then stays a draft)."""
    missing = any(rules.missing_by_section(fr, cycles, lines).values())
    return bool(
        missing
        or rules.consent_problems(fr, today)
        or rules.stream_rule_problems(fr, lines, today)
        or not fr.stream.is_open
    )


def _story(rng, target, senco, officer, created):
    """The request's timeline to ``target``: [(event kind, actor, state after, message, day)].

    The same story, and the same random draws, as :func:`_request` tells through the services.
    """
    steps = [("created", senco, State.DRAFT, "", created)]
    if target == State.DRAFT:
        return steps
    submitted = created + timedelta(days=rng.randint(0, 7))
    steps.append(("submit", senco, State.SUBMITTED, "", submitted))
    if target in (State.RETURNED, State.READY) and rng.random() < 0.35 or target == State.RETURNED:
        returned = submitted + timedelta(days=rng.randint(2, 6))
        steps.append(
            ("return", officer, State.RETURNED, "Please add the most recent APDR review notes.",
             returned)
        )  # fmt: skip
        if target != State.RETURNED:
            day = returned + timedelta(days=rng.randint(1, 5))
            steps.append(("resubmit", senco, State.SUBMITTED, "Review notes added.", day))
    if target == State.READY:
        day = steps[-1][-1] + timedelta(days=rng.randint(1, 8))
        steps.append(("triage", officer, State.READY, "", day))
    if target == State.WITHDRAWN:
        day = steps[-1][-1] + timedelta(days=rng.randint(1, 20))
        steps.append(("withdraw", senco, State.WITHDRAWN, "The family has moved away.", day))
    return steps


def _number(requests: list[FundingRequest], submitted_on: dict[int, date]) -> None:
    """References for the submitted requests, as allocate_reference would have given them.

    Per stream and year of submission, gap-free, in order of submission, carrying on from
    each ReferenceCounter; the counters are then moved on to the last number given.
    """
    last = {
        (c.stream_id, c.year): c.last_number for c in ReferenceCounter.objects.select_for_update()
    }
    order = sorted(submitted_on, key=lambda i: (requests[i].submitted_at, i))
    for i in order:
        fr = requests[i]
        key = (fr.stream_id, submitted_on[i].year)
        last[key] = last.get(key, 0) + 1
        fr.reference = f"{fr.stream.code}-{key[1]}-{last[key]:05d}"
    for (stream_id, year), number in last.items():
        ReferenceCounter.objects.update_or_create(
            stream_id=stream_id, year=year, defaults={"last_number": number}
        )


@contextmanager
def _dates_as_given(*models):
    """Let bulk inserts keep the back-dated times (auto_now and auto_now_add would replace
    them with now); for the demo's own inserts only, restored straight after."""
    fields = [
        f
        for model in models
        for f in model._meta.concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _at(day, n, tz):
    return datetime.combine(day, time(9 + n % 8, 5 * n % 60), tzinfo=tz)


def load_notices(ctx: DemoContext) -> None:
    """The demo SENCO's notices that requests are coming (the LA's *Requests coming* page),
    one already turned into its draft. Last of the demo and drawing no randomness, so the
    demo's other data stay as they were."""
    from django.contrib.auth import get_user_model

    from .clusters import DEMO_SENCO

    senco = get_user_model().objects.filter(username=DEMO_SENCO).first()
    membership = senco.memberships.select_related("school").first() if senco else None
    stream = FundingStream.objects.filter(is_open=True).order_by("pk").first()
    if membership is None or membership.school is None or stream is None:
        ctx.log("funding: no demo SENCO or open fund: no notices")
        return
    first = max(ctx.today, timezone.localdate()).replace(day=1)
    later = (first.replace(day=28) + timedelta(days=7)).replace(day=1)
    for initials, year, month, awaited in (
        ("RM", "3", first, "Educational psychologist: assessment on the 12th, report soon after"),
        ("KD", "8", later, "Speech and language therapist; CAMHS letter"),
    ):
        notice = services.give_notice(
            user=senco, school=membership.school, stream=stream, pupil_initials=initials,
            year_group=year, expected_month=month, reports_awaited=awaited,
        )  # fmt: skip
    services.start_request_from_notice(notice, user=senco)
