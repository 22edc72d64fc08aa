"""Panel pages: thin views over selectors (reads, scoped) and services (writes)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from budgets.selectors import request_totals
from funding.rules import outcomes_of
from funding.selectors import continuation_of, get_request
from funding.services import TransitionError
from funding.workflow import State
from portal.audit import record_view
from portal.filters import as_id
from portal.money import format_gbp
from portal.versions import StaleVersion, conflict_context, posted

from . import policy, selectors, services
from .calendar import plan_year
from .forms import (
    AbsenceForm,
    ActingChairForm,
    AddMemberForm,
    AppealForm,
    AttendanceForm,
    BulkFilterForm,
    CancelMeetingForm,
    ChairsActionForm,
    ConflictForm,
    DecisionForm,
    EndMembershipForm,
    GenerateYearForm,
    MeetingDetailsForm,
    ModerationForm,
    MoveMeetingForm,
    PanelSetupForm,
    RefuseProposalForm,
    ReviewForm,
    ScheduleForm,
    SwapChairForm,
    ViceChairForm,
    WithdrawConflictForm,
    WithdrawProposalForm,
)
from .models import CRITERIA, MeetingStatus, PanelMember, ProposalStatus
from .pack import pack_download
from .room import meeting_room
from .services import PanelError, RotaChangesUnconfirmed, chair_recused_warning
from .services.membership import PANEL_FIELDS


def _acting(view: Callable) -> Callable:
    """Show a refused action as a message and go back where the user was."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except (PanelError, TransitionError) as exc:
            messages.error(request, exc.message)
            back = request.POST.get("next") or request.META.get("HTTP_REFERER") or ""
            # Only back to this site: never an open redirect.
            if not url_has_allowed_host_and_scheme(
                back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                back = "/panels/"
            return redirect(back)

    return wrapper


def _found_only_if(allowed: bool) -> None:
    # A page the user may not use is one they cannot find.
    if not allowed:
        raise Http404("Not found")


# --- Panels and the rota -------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "panels/index.html",
        {
            "panels": selectors.visible_panels(request.user),
            "upcoming": selectors.meetings_for_dashboard(request.user, limit=20),
        },
    )


@login_required
def panel_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _panel_page(request, selectors.get_panel(request.user, pk))


def _panel_page(
    request: HttpRequest, panel, *, stale: StaleVersion | None = None, **forms
) -> HttpResponse:
    """The panel page; after a stale set-up edit (``stale``), with status 409, what differs
    and "keep mine" (the user's input posted again on the saved version)."""
    panel.refresh_from_db()  # the version on the page is the one saved now
    members = selectors.panel_members(panel)
    rota = selectors.rota_for(panel)
    conflict = {}
    if stale is not None:
        conflict = conflict_context(
            stale,
            data=request.POST,
            retry_url=request.path,
            saved_url=reverse("panels:panel", args=[panel.pk]),
        )
    context = {
        "panel": panel,
        "version": panel.version,
        "members": members,
        "meetings": rota["meetings"],
        "counts": [(m, rota["counts"].get(m.pk, 0)) for m in members if m.role == "headteacher"],
        "member_form": AddMemberForm(),
        "year_form": GenerateYearForm(),
        "vice_chair_form": ViceChairForm(
            members=_vice_chair_candidates(members),
            initial={"member": panel.vice_chair_id},
        )
        if policy.can_set_vice_chair(request.user, panel)
        else None,
        **forms,
        **conflict,
    }
    return render(request, "panels/panel.html", context, status=409 if stale else 200)


@login_required
def setup(request: HttpRequest, pk: int) -> HttpResponse:
    """The LA SEND officer changes the panel's name, quorum rule and closing days; a save
    based on an out-of-date page is refused (409) with both values shown."""
    panel = selectors.get_panel(request.user, pk)
    _found_only_if(policy.can_manage_panels(request.user))
    initial = {f: getattr(panel, f) for f in PANEL_FIELDS}
    form = PanelSetupForm(request.POST if request.method == "POST" else None, initial=initial)
    conflict: dict = {}
    if request.method == "POST" and form.is_valid():
        try:
            services.update_panel(
                panel, by=request.user, version=posted(request.POST), **form.cleaned_data
            )
        except StaleVersion as exc:
            conflict = conflict_context(
                exc,
                data=request.POST,
                retry_url=request.path,
                saved_url=request.path,
            )
        except PanelError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "The panel's set-up is saved.")
            return redirect("panels:panel", pk=panel.pk)
    panel.refresh_from_db()
    return render(
        request,
        "panels/setup.html",
        {"panel": panel, "form": form, "version": panel.version, **conflict},
        status=409 if conflict else 400 if form.errors else 200,
    )


def _vice_chair_candidates(members: list[PanelMember]) -> list[PanelMember]:
    today = timezone.localdate()
    return [m for m in members if m.voting and m.serves_on(today)]


@login_required
@require_POST
@_acting
def vice_chair(request: HttpRequest, pk: int) -> HttpResponse:
    panel = selectors.get_panel(request.user, pk)
    form = ViceChairForm(
        request.POST, members=_vice_chair_candidates(selectors.panel_members(panel))
    )
    if not form.is_valid():
        raise PanelError("Choose a voting member of this panel as vice-chair.")
    member = form.cleaned_data["member"]
    try:
        services.set_vice_chair(panel, by=request.user, member=member, version=posted(request.POST))
    except StaleVersion as exc:
        return _panel_page(request, panel, stale=exc, vice_chair_form=form)
    messages.success(
        request,
        f"{member.name} is the panel's vice-chair." if member else "The panel has no vice-chair.",
    )
    return redirect("panels:panel", pk=panel.pk)


@login_required
@require_POST
@_acting
def add_member(request: HttpRequest, pk: int) -> HttpResponse:
    panel = selectors.get_panel(request.user, pk)
    form = AddMemberForm(request.POST)
    if not form.is_valid():
        raise PanelError(" ".join(e for errs in form.errors.values() for e in errs))
    try:
        member = services.add_member(
            panel,
            by=request.user,
            version=posted(request.POST),
            confirm_chair_changes=_confirmed(request),
            **form.cleaned_data,
        )
    except StaleVersion as exc:
        return _panel_page(request, panel, stale=exc, member_form=form)
    except RotaChangesUnconfirmed as exc:
        return _confirm_rota(request, panel, exc)
    messages.success(request, f"{member.name} joined the panel; the rota is re-balanced.")
    return redirect("panels:panel", pk=panel.pk)


@login_required
@require_POST
@_acting
def end_membership(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(request, pk)
    form = EndMembershipForm(request.POST)
    if not form.is_valid():
        raise PanelError("Enter the last day as a member.")
    try:
        services.end_membership(
            member,
            by=request.user,
            end_date=form.cleaned_data["end_date"],
            version=posted(request.POST),
            confirm_chair_changes=_confirmed(request),
        )
    except StaleVersion as exc:
        return _panel_page(request, member.panel, stale=exc)
    except RotaChangesUnconfirmed as exc:
        return _confirm_rota(request, member.panel, exc)
    messages.success(request, f"{member.name}'s membership ends; the rota is re-balanced.")
    return redirect("panels:panel", pk=member.panel_id)


@login_required
@require_POST
@_acting
def record_absence(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member(request, pk)
    form = AbsenceForm(request.POST)
    if not form.is_valid():
        raise PanelError("Enter when the member is away.")
    try:
        services.record_absence(
            member,
            by=request.user,
            version=posted(request.POST),
            confirm_chair_changes=_confirmed(request),
            **form.cleaned_data,
        )
    except StaleVersion as exc:
        return _panel_page(request, member.panel, stale=exc)
    except RotaChangesUnconfirmed as exc:
        return _confirm_rota(request, member.panel, exc)
    messages.success(request, f"{member.name} is away; the rota is re-balanced.")
    return redirect("panels:panel", pk=member.panel_id)


def _confirm_rota(request: HttpRequest, panel, exc: RotaChangesUnconfirmed) -> HttpResponse:
    """The changes of chair a change of membership would make, to confirm or cancel: the
    form posts the same answers again with the confirmation."""
    resend = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", "confirm_chair_changes")
        for value in values
    ]
    return render(
        request,
        "panels/confirm_rota.html",
        {"panel": panel, "changes": exc.changes, "what": exc.what, "resend": resend},
        status=409,
    )


def _confirmed(request: HttpRequest) -> bool:
    return request.POST.get("confirm_chair_changes") == "yes"


def _member(request: HttpRequest, pk: int) -> PanelMember:
    try:
        return PanelMember.objects.select_related("user").get(
            pk=pk, panel__in=selectors.visible_panels(request.user)
        )
    except PanelMember.DoesNotExist:
        raise Http404("No such member") from None


@login_required
@require_POST
@_acting
def generate_year(request: HttpRequest, pk: int) -> HttpResponse:
    """The year's meetings as they would be published (days moved off holidays, closing
    dates, chairs, and any change to a published meeting's chair); only the confirmation
    on that preview publishes them."""
    panel = selectors.get_panel(request.user, pk)
    policy.require_manage_panels(request.user)
    form = GenerateYearForm(request.POST)
    if not form.is_valid():
        raise PanelError("Enter the date of the first meeting and the weeks between meetings.")
    plan = plan_year(panel, **form.cleaned_data, today=timezone.localdate())
    error = ""
    if request.POST.get("confirm") == "yes" and not plan.problem:
        confirmed = request.POST.get("confirm_chair_changes") == "yes"
        if plan.chair_changes and not confirmed:
            error = "Confirm the changes of chair to publish these meetings."
        else:
            made = services.generate_year(
                panel, by=request.user, confirm_chair_changes=confirmed, **form.cleaned_data
            )
            messages.success(request, f"{len(made)} meetings published, chairs assigned by rota.")
            return redirect("panels:panel", pk=panel.pk)
    return render(
        request, "panels/year_preview.html", {"panel": panel, "plan": plan, "error": error}
    )


@login_required
def participation(request: HttpRequest, pk: int) -> HttpResponse:
    panel = selectors.get_panel(request.user, pk)
    rows = selectors.participation(request.user, panel)
    return render(request, "panels/participation.html", {"panel": panel, "rows": rows})


# --- Scheduling ------------------------------------------------------------------


@login_required
def schedule(request: HttpRequest) -> HttpResponse:
    _found_only_if(policy.can_manage_panels(request.user))
    waiting = list(selectors.schedulable_requests(request.user)[:200])
    open_meetings = selectors.visible_meetings(request.user).filter(status=MeetingStatus.SCHEDULED)
    if request.method == "POST":
        return _schedule_one(request, open_meetings)
    by_cluster: dict[int, list] = {}
    for m in open_meetings.filter(closing_date__gte=timezone.localdate()).order_by("date"):
        by_cluster.setdefault(m.panel.cluster_id, []).append(m)
    for fr in waiting:
        fr.open_meetings = by_cluster.get(fr.cluster_id, [])
        fr.deferred = fr.state == State.DEFERRED
    return render(request, "panels/schedule.html", {"waiting": waiting})


@_acting
def _schedule_one(request: HttpRequest, open_meetings) -> HttpResponse:
    fr = get_request(request.user, request.POST.get("request"))
    form = ScheduleForm(request.POST, meetings=open_meetings)
    if not form.is_valid():
        raise PanelError("Choose a meeting.")
    item = services.schedule_request(fr, by=request.user, meeting=form.cleaned_data["meeting"])
    messages.success(request, f"{fr.reference} is on the agenda for {item.meeting}.")
    if why := selectors.chair_recusal(item):
        messages.warning(request, chair_recused_warning(why))
    return redirect("panels:schedule")


def _ids(values: list[str]) -> list[int]:
    try:
        ids = [int(v) for v in values]
    except ValueError:
        raise Http404("No such request") from None
    if any(not 0 < i < 2**63 for i in ids):
        raise Http404("No such request")
    return ids


@login_required
def schedule_many(request: HttpRequest) -> HttpResponse:
    """Many ready requests onto one meeting in one action (all or none), filtered by
    cluster, stream and need."""
    _found_only_if(policy.can_manage_panels(request.user))
    filters = BulkFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    page = selectors.bulk_schedule(
        request.user,
        cluster=chosen.get("cluster").pk if chosen.get("cluster") else None,
        stream=chosen.get("stream").pk if chosen.get("stream") else None,
        need=chosen.get("need") or "",
    )
    error, selected = "", set()
    if request.method == "POST":
        ids = _ids(request.POST.getlist("requests"))
        selected = set(ids)
        meeting_id = request.POST.get("meeting") or ""
        if not ids:
            error = "Choose at least one request to schedule."
        elif not meeting_id.isdigit():
            error = "Choose the meeting to put them on."
        else:
            meeting = selectors.get_meeting(request.user, int(meeting_id))
            try:
                done = services.schedule_many(
                    selectors.schedulable_by_ids(request.user, ids),
                    by=request.user,
                    meeting=meeting,
                )
            except (PanelError, TransitionError) as exc:
                error = exc.message
            else:
                messages.success(
                    request,
                    f"{len(done.items)} request{'s are' if len(done.items) != 1 else ' is'} on "
                    f"the agenda of {meeting}.",
                )
                for warning in done.warnings:
                    messages.warning(request, warning)
                return redirect(request.get_full_path())
    return render(
        request,
        "panels/schedule_many.html",
        {"page": page, "filters": filters, "error": error, "selected": selected},
    )


# --- The meeting -----------------------------------------------------------------


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting(request.user, pk)
    if request.htmx and request.GET.get("part") == "quorum":
        # The live quorum shows no pupil data: no audit row for each poll.
        page = selectors.meeting_page(request.user, meeting)
        return HttpResponse(
            render_to_string("panels/_quorum.html", {"page": page, "meeting": meeting}, request)
        )
    return _render_meeting(request, meeting, decide=as_id(request.GET.get("decide")))


def _render_meeting(
    request: HttpRequest,
    meeting,
    *,
    decide: int | None = None,
    decision_form: DecisionForm | None = None,
    decided: int | None = None,
) -> HttpResponse:
    """The meeting page; ``decide`` opens the decision form of that item on it (the chair
    runs the meeting from the agenda; htmx swaps only the form's slot in), ``decided``
    says which item's decision was just recorded."""
    page = selectors.meeting_page(request.user, meeting)
    context = {"page": page, "meeting": meeting, "criteria": CRITERIA}
    if policy.runs_meeting(request.user, meeting):
        context["attendance_form"] = AttendanceForm(
            members=page.current_members, initial={"present": sorted(page.present_ids)}
        )
    if policy.can_swap_chair(request.user, meeting):
        context["swap_form"] = SwapChairForm(members=[m for m in page.current_members if m.voting])
    by_id = {r.item.pk: r for r in page.rows}
    if decide is not None and (row := by_id.get(decide)) is not None and row.decides:
        context["decide_row"] = row
        context["decision_form"] = decision_form or DecisionForm(
            later_meetings=_later_meetings(row.item)
        )
    elif decision_form is not None:
        # Not (or no longer) the user's to decide: say why, where the form was.
        errors = [e for errs in decision_form.errors.values() for e in errs]
        context["decide_problem"] = " ".join(errors) or "This item cannot be decided now."
    context["decided_row"] = by_id.get(decided) if decided else None
    context["room"] = meeting_room(page)
    read = [r.item.request_id for r in page.rows if r.reads_papers]
    if read:
        # The agenda shows each item's pseudonymised pupil summary: that is a read.
        record_view(
            request,
            object_type="funding.FundingRequest",
            object_ids=read,
            action="view_agenda",
            detail=f"Agenda of meeting {meeting.pk}",
        )
    return render(request, "panels/meeting.html", context)


@login_required
def room(request: HttpRequest, pk: int) -> HttpResponse:
    """The budget in the room alone, for htmx to refresh in place (totals only, no pupil
    data: no audit row); ``?item=`` adds that item's line, as on its page."""
    meeting = selectors.get_meeting(request.user, pk)
    page = selectors.meeting_page(request.user, meeting)
    room = meeting_room(page, context=False)
    item_id = as_id(request.GET.get("item"))
    return render(
        request,
        "panels/_room.html",
        {"room": room, "item_budget": room.for_item(item_id) if item_id else None},
    )


@login_required
@require_POST
@_acting
def open_meeting(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting(request.user, pk)
    services.open_meeting(meeting, by=request.user)
    messages.success(request, "The meeting is open. Record who is present.")
    return redirect("panels:meeting", pk=pk)


@login_required
@require_POST
@_acting
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting(request.user, pk)
    members = [m for m in selectors.panel_members(meeting.panel) if m.serves_on(meeting.date)]
    form = AttendanceForm(request.POST, members=members)
    if not form.is_valid():
        raise PanelError("Choose who is present.")
    present = list(form.cleaned_data["present"])
    if request.htmx:
        # The chair ticks names during the meeting: answer with the live quorum panel only,
        # so the page (and what the chair is reading) stays where it is.
        problem = ""
        try:
            services.record_attendance(meeting, by=request.user, present=present)
        except PanelError as exc:
            problem = exc.message
        page = selectors.meeting_page(request.user, selectors.get_meeting(request.user, pk))
        meeting_room(page, context=True)  # the agenda rows come back too, with their context
        return render(
            request,
            "panels/_quorum.html",
            {"page": page, "quorum_problem": problem, "oob_rows": True},
        )
    q = services.record_attendance(meeting, by=request.user, present=present)
    (messages.success if q.quorate else messages.warning)(request, q.summary)
    return redirect("panels:meeting", pk=pk)


@login_required
@require_POST
@_acting
def swap_chair(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting(request.user, pk)
    members = [m for m in selectors.panel_members(meeting.panel) if m.serves_on(meeting.date)]
    form = SwapChairForm(request.POST, members=members)
    if not form.is_valid():
        raise PanelError("Choose the chair and give the reason for the swap.")
    services.swap_chair(meeting, by=request.user, **form.cleaned_data)
    messages.success(request, "The chair is swapped for this meeting.")
    return redirect("panels:meeting", pk=pk)


@login_required
@_acting
def close_meeting(request: HttpRequest, pk: int) -> HttpResponse:
    """What closing will do (items deferred and where to, the minutes, who is told); only
    the confirmation closes the meeting."""
    meeting = selectors.get_meeting(request.user, pk)
    preview = selectors.close_preview(request.user, meeting)
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm") == "yes":
            services.close_meeting(meeting, by=request.user)
            messages.success(request, "The meeting is closed and its minutes are published.")
            return redirect("panels:minutes", pk=pk)
        error = "Confirm that you want to close the meeting and publish its minutes."
    return render(
        request,
        "panels/close.html",
        {"meeting": meeting, "preview": preview, "minutes": preview.minutes, "error": error},
    )


@login_required
@_acting
def cancel_or_move(request: HttpRequest, pk: int) -> HttpResponse:
    """The LA SEND officer cancels a meeting (its agenda to the next one) or moves it."""
    meeting = selectors.get_meeting(request.user, pk)
    _found_only_if(policy.can_cancel_or_move_meeting(request.user, meeting))
    cancel_form, move_form = CancelMeetingForm(), MoveMeetingForm()
    conflict: dict = {}
    version = posted(request.POST)
    if request.method == "POST" and request.POST.get("action") == "cancel":
        cancel_form = CancelMeetingForm(request.POST)
        if cancel_form.is_valid():
            try:
                done = services.cancel_meeting(
                    meeting, by=request.user, version=version, **cancel_form.cleaned_data
                )
            except StaleVersion as exc:
                conflict = _meeting_conflict(request, exc, meeting)
            except PanelError as exc:
                cancel_form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    f"The meeting of {meeting.date:%-d %B %Y} is cancelled. "
                    + (
                        f"Its {done.items} item{'s' if done.items != 1 else ''} moved to the "
                        f"meeting of {done.moved_to.date:%-d %B %Y}."
                        if done.moved_to
                        else f"No later meeting is published: its {done.items} request"
                        f"{'s are' if done.items != 1 else ' is'} back to ready."
                    ),
                )
                return redirect("panels:panel", pk=meeting.panel_id)
    elif request.method == "POST":
        move_form = MoveMeetingForm(request.POST)
        if move_form.is_valid():
            try:
                moved = services.move_meeting(
                    meeting, by=request.user, version=version, **move_form.cleaned_data
                )
            except StaleVersion as exc:
                conflict = _meeting_conflict(request, exc, meeting)
            except PanelError as exc:
                move_form.add_error(None, exc.message)
            else:
                messages.success(request, f"The meeting is moved to {moved.date:%-d %B %Y}.")
                return redirect("panels:meeting", pk=pk)
    meeting.refresh_from_db()  # the version on the page is the one saved now
    preview = selectors.cancel_preview(meeting)
    return render(
        request,
        "panels/cancel_or_move.html",
        {
            "meeting": meeting,
            "preview": preview,
            "cancel_form": cancel_form,
            "move_form": move_form,
            "version": meeting.version,
            **conflict,
        },
        status=409 if conflict else 200,
    )


def _meeting_conflict(request: HttpRequest, exc: StaleVersion, meeting) -> dict:
    """A change to a meeting refused as stale: both values, "keep mine", or the meeting."""
    return conflict_context(
        exc,
        data=request.POST,
        retry_url=request.path,
        saved_url=reverse("panels:meeting", args=[meeting.pk]),
    )


@login_required
def meeting_details(request: HttpRequest, pk: int) -> HttpResponse:
    """The LA SEND officer changes a meeting's closing date for requests or its venue; a
    save based on an out-of-date page is refused (409) with both values shown."""
    meeting = selectors.get_meeting(request.user, pk)
    _found_only_if(policy.can_cancel_or_move_meeting(request.user, meeting))
    form = MeetingDetailsForm(
        request.POST if request.method == "POST" else None,
        initial={"closing_date": meeting.closing_date, "location": meeting.location},
    )
    conflict: dict = {}
    if request.method == "POST" and form.is_valid():
        try:
            services.update_meeting(
                meeting, by=request.user, version=posted(request.POST), **form.cleaned_data
            )
        except StaleVersion as exc:
            conflict = _meeting_conflict(request, exc, meeting)
        except PanelError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "The meeting's closing date and venue are saved.")
            return redirect("panels:meeting", pk=meeting.pk)
    meeting.refresh_from_db()
    return render(
        request,
        "panels/meeting_details.html",
        {"meeting": meeting, "form": form, "version": meeting.version, **conflict},
        status=409 if conflict else 400 if form.errors else 200,
    )


# --- Agenda items ----------------------------------------------------------------


@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_item(request.user, pk)
    return _render_item(request, item)


def _render_item(
    request: HttpRequest,
    item,
    decision_form: DecisionForm | None = None,
    decided: bool = False,
) -> HttpResponse:
    page, row, papers = selectors.item_papers(request.user, item)
    fr = item.request
    if papers is not None:
        record_view(request, fr, action="view_papers", detail=f"Agenda item {item.pk}")
    room = meeting_room(page)
    context = {
        "page": page,
        "row": row,
        "item": item,
        "fr": fr,
        "criteria": CRITERIA,
        "papers": papers,
        "room": room,
        "item_budget": room.for_item(item.pk),
        "decided": decided,
        # A continuation's papers set it beside the request it continues, like for like.
        "continuation": continuation_of(fr, papers.provision_lines) if papers else None,
    }
    meeting = item.meeting
    live = meeting.status in (MeetingStatus.SCHEDULED, MeetingStatus.OPEN)
    if live and page.me and page.me.voting and not row.user_recused and not row.decision:
        initial = None
        if row.my_view:
            initial = {c: getattr(row.my_view, c) for c, _ in CRITERIA}
            initial |= {
                "recommendation": row.my_view.recommendation,
                "comment": row.my_view.comment,
            }
        context["view_form"] = ModerationForm(initial=initial)
    if live and page.me and not row.user_recused:
        context["conflict_form"] = ConflictForm()
    if live and row.my_conflict and not row.decision:
        context["withdraw_form"] = WithdrawConflictForm()
    if (
        policy.can_decide_item(request.user, item)
        and not row.decision
        and not row.user_recused
        and item.kind == "decision"
    ):
        context["decision_form"] = decision_form or DecisionForm(
            later_meetings=_later_meetings(item)
        )
    elif decision_form is not None:
        # Not (or no longer) the chair's to decide: say why rather than drop it.
        errors = [e for errs in decision_form.errors.values() for e in errs]
        messages.error(request, " ".join(errors) or "This item cannot be decided now.")
    return render(request, "panels/item.html", context)


def _later_meetings(item):
    return selectors.deferral_choices(item.meeting)


@login_required
@require_POST
@_acting
def moderate(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_item(request.user, pk)
    form = ModerationForm(request.POST)
    if not form.is_valid():
        raise PanelError("Score each criterion from 1 to 4 and choose a recommendation.")
    services.record_moderation(
        item,
        by=request.user,
        scores=form.scores(),
        recommendation=form.cleaned_data["recommendation"],
        comment=form.cleaned_data["comment"],
    )
    messages.success(request, "Your view is recorded.")
    return redirect("panels:item", pk=pk)


@login_required
@require_POST
@_acting
def declare_conflict(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_item(request.user, pk)
    form = ConflictForm(request.POST)
    if not form.is_valid():
        raise PanelError("Say what the conflict is.")
    services.declare_conflict(item, by=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, "Your conflict is recorded: you are recused from this item.")
    return redirect("panels:item", pk=pk)


@login_required
@require_POST
@_acting
def withdraw_conflict(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_item(request.user, pk)
    form = WithdrawConflictForm(request.POST)
    if not form.is_valid():
        raise PanelError(
            "Say why you are withdrawing the conflict: it is kept with the declaration "
            "for the LA's record."
        )
    services.withdraw_conflict(item, by=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, "Your conflict is withdrawn: you take part in this item again.")
    return redirect("panels:item", pk=pk)


@login_required
@require_POST
@_acting
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_item(request.user, pk)
    services.reveal_spread(item, by=request.user)
    messages.success(request, "Every member now sees the members' views on this item.")
    return redirect("panels:item", pk=pk)


@login_required
@require_POST
@_acting
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the item's decision, from its page or from the meeting page (``from`` is
    "meeting"). With htmx the page stays: the answer is the same page read after the
    write, of which htmx takes the decision's part, the budget in the room, the quorum
    and the agenda's rows; without JavaScript a decision redirects to the meeting."""
    item = selectors.get_item(request.user, pk)
    on_meeting = request.POST.get("from") == "meeting"
    form = DecisionForm(request.POST, later_meetings=_later_meetings(item))
    if form.is_valid():
        try:
            decision = services.decide_with_follow_ups(
                item, by=request.user, follow_ups=form.follow_ups(), **form.decision_fields()
            )
        except (PanelError, TransitionError) as exc:
            # A rule the form cannot know (amount, quorum, budget): shown like a field error.
            form.add_error(None, exc.message)
        else:
            if request.htmx and on_meeting:
                meeting = selectors.get_meeting(request.user, item.meeting_id)
                return _render_meeting(request, meeting, decided=item.pk)
            if request.htmx:
                return _render_item(request, selectors.get_item(request.user, pk), decided=True)
            messages.success(request, f"Recorded: {decision.get_outcome_display()}.")
            return redirect("panels:meeting", pk=item.meeting_id)
    # The chair keeps what they typed, with the errors summarised at the top of the form.
    if on_meeting:
        meeting = selectors.get_meeting(request.user, item.meeting_id)
        return _render_meeting(request, meeting, decide=item.pk, decision_form=form)
    return _render_item(request, item, decision_form=form)


@login_required
@require_POST
@_acting
def acting_chair(request: HttpRequest, pk: int) -> HttpResponse:
    """Name who chairs an item the meeting's chair is recused from; with htmx, answer the
    item's agenda row only, so the chair stays where they are on the page."""
    item = selectors.get_item(request.user, pk)
    form = ActingChairForm(request.POST, panel=item.meeting.panel_id)
    problem = ""
    try:
        if not form.is_valid():
            raise PanelError(" ".join(e for errs in form.errors.values() for e in errs))
        item = services.name_acting_chair(item, by=request.user, member=form.cleaned_data["member"])
    except PanelError as exc:
        if not request.htmx:
            raise
        problem = exc.message
    if request.htmx:
        page, row = selectors.item_row(request.user, selectors.get_item(request.user, pk))
        meeting_room(page)  # the row keeps its school context
        return render(
            request,
            "panels/_agenda_row.html",
            {"page": page, "row": row, "acting_chair_problem": problem},
        )
    messages.success(request, f"{item.acting_chair.name} chairs item {item.order}.")
    return redirect(reverse("panels:meeting", args=[item.meeting_id]) + f"#item-{item.pk}")


@login_required
@require_POST
@_acting
def ratify(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_item(request.user, pk)
    services.ratify_item(item, by=request.user)
    messages.success(request, "The chair's action is ratified.")
    return redirect("panels:meeting", pk=item.meeting_id)


# --- Minutes ---------------------------------------------------------------------


def _minutes_context(request: HttpRequest, pk: int) -> dict:
    meeting = selectors.get_minutes_meeting(request.user, pk)
    minutes = selectors.minutes(meeting)
    return {"meeting": meeting, "minutes": minutes}


@login_required
def minutes(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "panels/minutes.html", _minutes_context(request, pk))


@login_required
def minutes_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    from weasyprint import HTML

    context = _minutes_context(request, pk)
    html = render_to_string("panels/minutes_pdf.html", context, request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="minutes-{pk}.pdf"'
    return response


@login_required
@_acting
def agenda_pack(request: HttpRequest, pk: int) -> HttpResponse:
    """The agenda pack: one PDF of the meeting and each item's papers, after the closing
    date (a refusal goes back to the meeting with its reason)."""
    meeting = selectors.get_meeting(request.user, pk)
    return pack_download(request, meeting, detail=f"Agenda pack of meeting {meeting.pk}")


# --- Decisions and after ---------------------------------------------------------


@login_required
def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    decision = selectors.get_decision(request.user, pk)
    return render(request, "panels/decision.html", {"decision": decision, "fr": decision.request})


@login_required
@_acting
def review(request: HttpRequest, pk: int) -> HttpResponse:
    fr = selectors.request_for_review(request.user, pk)
    awarded = fr.amount_awarded or 0
    form = ReviewForm(request.POST or None, outcomes=outcomes_of(fr.outcomes_sought))
    if request.method == "POST" and form.is_valid():
        problem = services.spent_problem(awarded, form.cleaned_data["amount_spent"])
        if problem:
            form.add_error("amount_spent", problem)
        else:
            settled = services.report_outcomes(
                fr,
                by=request.user,
                result=form.cleaned_data["result"],
                evidence=form.cleaned_data["evidence"],
                amount_spent=form.cleaned_data["amount_spent"],
                outcomes=form.outcome_answers(),
            ).settlement
            messages.success(
                request, f"{fr.reference} is closed. {settled.sentence if settled else ''}"
            )
            return redirect("dashboard")
    money = request_totals(fr)
    paid, unpaid = money.paid, money.unpaid_commitment
    return render(
        request,
        "panels/form.html",
        {
            "fr": fr,
            "form": form,
            "title": "Report the outcomes",
            # Exactly what happens to the money, for each answer the SENCO might give.
            "intro": f"{format_gbp(awarded)} was awarded and {format_gbp(paid)} has been paid to the school "
            f"so far. Report what the provision cost, up to {format_gbp(awarded)}. If it cost more "
            f"than {format_gbp(paid)}, we will pay the school the difference straight away and return "
            f"the rest of the award to the cluster budget. If it cost {format_gbp(paid)} or less, we "
            f"will return the {format_gbp(unpaid)} not yet paid to the cluster budget, and the LA "
            "finance team will ask for anything paid beyond what was spent back.",
            "button": "Report and close",
        },
    )


@login_required
@_acting
def chairs_action(request: HttpRequest, pk: int) -> HttpResponse:
    """The rota's chair proposes the decision on an urgent request; the LA SEND officer
    they name confirms it in their own session (nothing is decided until then)."""
    fr = selectors.urgent_request_for_chair(request.user, pk)
    earlier = selectors.proposals_for_request(request.user, fr)
    waiting = next((p for p in earlier if p.status == ProposalStatus.AWAITING), None)
    if waiting is not None:
        return redirect("panels:proposal", pk=waiting.pk)
    form = ChairsActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        proposal = services.propose_chairs_action(fr, by=request.user, **form.cleaned_data)
        messages.success(
            request,
            f"Sent to {proposal.officer.get_full_name() or proposal.officer.username} to "
            "confirm. Nothing is decided until they do.",
        )
        return redirect("panels:proposal", pk=proposal.pk)
    refused = earlier[0] if earlier and earlier[0].status == ProposalStatus.REFUSED else None
    intro = (
        "An urgent request, decided between meetings by the chair and an LA SEND officer. "
        "You propose the decision and name the officer; they confirm or refuse it "
        "themselves. Once confirmed it goes on the next meeting's agenda for ratification."
    )
    if refused is not None:
        intro = (
            f"{refused.officer.get_full_name() or refused.officer.username} refused your last "
            f"proposal on {refused.answered_at:%-d %B %Y}: {refused.refusal_reason} " + intro
        )
    return render(
        request,
        "panels/form.html",
        {
            "fr": fr,
            "form": form,
            "title": "Propose a decision by chair's action",
            "intro": intro,
            "button": "Send to the LA SEND officer to confirm",
        },
    )


@login_required
def proposal(request: HttpRequest, pk: int) -> HttpResponse:
    """A chair's action proposed, in front of the officer who must answer it."""
    found = selectors.get_proposal(request.user, pk)
    return render(
        request,
        "panels/proposal.html",
        {
            "proposal": found,
            "fr": found.request,
            "refuse_form": RefuseProposalForm(),
            "withdraw_form": WithdrawProposalForm(),
        },
    )


@login_required
@require_POST
@_acting
def withdraw_proposal(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_proposal(request.user, pk)
    form = WithdrawProposalForm(request.POST)
    if not form.is_valid():
        raise PanelError("Say why you withdraw the chair's action: the officer is told.")
    services.withdraw_chairs_action(found, by=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, "Withdrawn: nothing is decided, and the officer is told why.")
    return redirect("panels:proposal", pk=pk)


@login_required
@require_POST
@_acting
def confirm_proposal(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_proposal(request.user, pk)
    decision = services.confirm_chairs_action(found, by=request.user)
    messages.success(
        request,
        f"Confirmed: {decision.get_outcome_display()}. The school is told, and the decision "
        "goes on the next meeting's agenda for ratification.",
    )
    return redirect("panels:decision", pk=decision.pk)


@login_required
@require_POST
@_acting
def refuse_proposal(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_proposal(request.user, pk)
    form = RefuseProposalForm(request.POST)
    if not form.is_valid():
        raise PanelError("Say why you refuse the chair's action: the chair is told.")
    services.refuse_chairs_action(found, by=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, "Refused: nothing is decided, and the chair is told why.")
    return redirect("panels:proposal", pk=pk)


@login_required
@_acting
def appeal(request: HttpRequest, pk: int) -> HttpResponse:
    _found_only_if(policy.can_manage_panels(request.user))
    fr = get_request(request.user, pk)
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        appeal = services.record_appeal(fr, by=request.user, **form.cleaned_data)
        if appeal.meeting:
            done = f"Appeal upheld: {fr.reference} is on the agenda of {appeal.meeting}."
        elif appeal.outcome == "upheld":
            done = f"Appeal upheld: {fr.reference} is ready for the panel's next open meeting."
        else:
            done = f"Appeal dismissed: the decision on {fr.reference} stands."
        messages.success(request, done)
        return redirect("funding:detail", pk=fr.pk)
    return render(
        request,
        "panels/form.html",
        {
            "fr": fr,
            "form": form,
            "title": "Record the appeal outcome",
            "intro": "Upheld, the request goes back to the next open meeting of its cluster's "
            "panel. Dismissed, the decision stands. Either way the school is told, and no "
            "further appeal can be recorded.",
            "button": "Record",
        },
    )
