"""Pages for requests. Thin: reads through selectors, writes through services."""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from clusters.models import School
from portal import storage, typed_text
from portal.audit import record_view
from portal.errors import DomainError
from portal.roles import scope_for
from portal.versions import StaleVersion, conflict_context, posted, shown
from portal.versions import posted as versions_posted

from . import forms, policy, rules, selectors, services, uploads
from .models import FundingRequest, ReviewCycle, SEN2Need
from .services import EditError, TransitionError
from .workflow import LISTED_STATES, TRANSITIONS, State

PAGE_SIZE = 50
SECTION_TITLES = {s.slug: s.title for s in rules.SECTIONS}
SECTION_FORMS = {
    "pupil": forms.PupilForm,
    "needs": forms.NeedsForm,
    "provision": forms.ProvisionForm,
    "consent": forms.ConsentForm,
}


def _posted(request: HttpRequest):
    """The POST data on a POST (even when empty, so the form is bound), else None."""
    return request.POST if request.method == "POST" else None


def _filters(request: HttpRequest, **defaults) -> tuple[forms.FilterForm, selectors.RequestFilters]:
    data = {**defaults, **request.GET.dict()}
    form = forms.FilterForm(data)
    form.is_valid()
    cleaned = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    if not selectors.shows_pupil_detail(request.user):
        cleaned.pop("need", None)  # need is pupil detail
    return form, selectors.RequestFilters(**cleaned)


def _querystring(request: HttpRequest) -> str:
    return urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])


def _list_page(request: HttpRequest, *, title: str, template_mode: str, **defaults) -> HttpResponse:
    scope = scope_for(request.user)
    form, f = _filters(request, **defaults)
    rows = selectors.with_clock_moves(selectors.request_list(request.user, f))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    selectors.with_ages(page.object_list)
    # htmx swaps only the results when a filter changes.
    template = "funding/_results_region.html" if request.htmx else "funding/list.html"
    return render(
        request,
        template,
        {
            "title": title,
            "mode": template_mode,
            "page": page,
            "form": form,
            "querystring": _querystring(request),
            "clusters": selectors.clusters() if policy.can_see_all_requests(request.user) else [],
            "streams": selectors.streams(),
            "needs": SEN2Need.choices,
            "states": LISTED_STATES,
            "show_pupil": scope.sees_pupil_detail,
            "can_start": policy.can_start_request(request.user),
            "target": selectors.settings.TARGET_WORKING_DAYS_TO_DECISION,
            "clock_pauses": selectors.clock_pauses(),
        },
    )


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    county = policy.can_see_all_requests(request.user)
    title = "Requests across the county" if county else "My school's requests"
    return _list_page(request, title=title, template_mode="list")


@login_required
def triage_queue(request: HttpRequest) -> HttpResponse:
    if not policy.can_see_all_requests(request.user):
        raise Http404
    return _list_page(
        request, title="Triage queue", template_mode="triage", state=State.SUBMITTED, sort="oldest"
    )


@login_required
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    _, f = _filters(request)
    qs = selectors.request_list(request.user, f)
    record_view(
        request,
        action="export",
        object_type="funding.FundingRequest",
        detail=f"CSV export {_querystring(request)}",
    )
    writer = selectors.csv_writer()
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in selectors.export_rows(request.user, qs)),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="requests-{stamp}.csv"'
    return response


@login_required
def start(request: HttpRequest) -> HttpResponse:
    if not policy.can_start_request(request.user):
        raise Http404
    schools = School.objects.filter(pk__in=scope_for(request.user).school_ids)
    form = forms.StartForm(_posted(request), schools=schools)
    if request.method == "POST" and form.is_valid():
        try:
            fr = services.create_draft(
                user=request.user,
                school=form.cleaned_data["school"],
                stream=form.cleaned_data["stream"],
                request_type=form.cleaned_data["request_type"],
            )
        except EditError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("funding:tasks", pk=fr.pk)
    return render(request, "funding/start.html", {"form": form})


def _conflict(
    request: HttpRequest, exc: StaleVersion, *, retry_url: str = "", keep_label: str = "Keep mine",
    saved_url: str = "", files: bool = False,
) -> dict:  # fmt: skip
    """The page's context for a save refused as stale: the user's input kept, both values
    shown, "keep mine" posting it again on the saved version (``portal/versions.py``)."""
    return conflict_context(
        exc,
        data=request.POST,
        retry_url=retry_url or request.path,
        saved_url=saved_url or request.path,
        keep_label=keep_label,
        files=files,
    )


def _editable(request: HttpRequest, pk) -> FundingRequest:
    fr = selectors.get_request(request.user, pk)
    if not policy.can_edit(request.user, fr):
        raise _NotEditable(fr)
    return fr


class _NotEditable(Exception):
    def __init__(self, fr):
        self.fr = fr


def editing(view):
    """Section pages: the request must be the user's school's and still editable. A POST
    whose session has expired keeps its text over the sign-in (``portal/typed_text.py``)."""

    @typed_text.kept_over_sign_in
    @login_required
    @functools.wraps(view)
    def wrapper(request, pk, *args, **kwargs):
        try:
            fr = _editable(request, pk)
        except _NotEditable as exc:
            messages.info(request, "This request can no longer be changed.")
            return redirect("funding:detail", pk=exc.fr.pk)
        response = view(request, fr, *args, **kwargs)
        # Back must fetch the step again (its saved text and version), never a stale copy.
        response["Cache-Control"] = "no-store"
        return response

    return wrapper


def _task_context(fr: FundingRequest) -> dict:
    cycles, lines = list(fr.cycles.all()), selectors.lines_of(fr)
    missing = rules.missing_by_section(fr, cycles, lines)
    broken = rules.stream_rule_problems_by_section(fr, lines)
    documents = list(fr.documents.all())
    tasks = []
    for section in rules.SECTIONS:
        items = missing[section.slug]
        status = rules.section_status(fr, section.slug, items, broken[section.slug])
        if section.slug == "documents":
            status = "complete" if documents else "optional"
        if section.slug == "evidence" and cycles and not items:
            status = "complete"
        tasks.append(
            {
                "section": section,
                "missing": items,
                "broken": broken[section.slug],
                "status": status,
            }
        )
    return {
        "fr": fr,
        "tasks": tasks,
        "missing_count": sum(len(v) for v in missing.values()),
        "problems": [p for ps in broken.values() for p in ps] + rules.consent_problems(fr),
        "cycles": cycles,
        "lines": lines,
        "documents": documents,
        "continuation": selectors.continuation_of(fr, lines),
    }


@editing
def tasks(request: HttpRequest, fr: FundingRequest) -> HttpResponse:
    events = selectors.request_timeline(request.user, fr)
    return render(
        request,
        "funding/tasks.html",
        {**_task_context(fr), "open_return": selectors.open_return(fr, events)},
    )


@login_required
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Asks first; a draft once deleted is in no list or page (the audit keeps it)."""
    fr = selectors.get_request(request.user, pk)
    if not policy.is_requesting_school(request.user, fr):
        raise Http404
    error = None if fr.state == State.DRAFT else (
        f"{fr} is {fr.get_state_display().lower()}: only a draft can be deleted. "
        "Withdraw it instead, saying why."
    )  # fmt: skip
    if request.method == "POST" and error is None:
        try:
            services.delete_draft(fr, user=request.user)
        except TransitionError as exc:
            error = exc.message
        else:
            messages.success(request, f"Your draft request #{fr.pk} has been deleted.")
            return redirect("funding:list")
    return render(
        request,
        "funding/delete.html",
        {"fr": fr, "error": error},
        status=400 if (error and request.method == "POST") else 200,
    )


NEXT_SECTION = {
    "pupil": "needs",
    "needs": "evidence",
    "evidence": "provision",
    "provision": "consent",
    "consent": "documents",
    "documents": "check",
}


def _after_save(request: HttpRequest, fr: FundingRequest, section: str):
    if "save_draft" in request.POST:
        messages.success(request, "Your draft has been saved.")
        return redirect("funding:tasks", pk=fr.pk)
    return redirect(f"funding:{NEXT_SECTION[section]}", pk=fr.pk)


RESTORED = (
    "You were signed out before this was saved. What you typed is shown below but is not "
    "saved yet: check it, then save it."
)


def _restored(request: HttpRequest):
    """After signing in again: what was typed on this step before the time-out, once."""
    if request.method != "GET":
        return None
    data = typed_text.take(request)
    if data is not None:
        messages.warning(request, RESTORED)
    return data


def _section(request: HttpRequest, fr: FundingRequest, name: str, *, restored=None) -> HttpResponse:
    form_class = SECTION_FORMS[name]
    if restored is None:
        restored = _restored(request)
    form = form_class(restored if restored is not None else _posted(request), instance=fr)
    conflict: dict = {}
    if request.method == "POST" and form.is_valid():
        fields = {k: form.cleaned_data[k] for k in form_class.Meta.fields}
        if form.cleaned_data.get("upn"):
            fields["upn"] = form.cleaned_data["upn"]  # hashed by the service, never kept
        try:
            services.update_request(fr, user=request.user, version=posted(request.POST), **fields)
        except StaleVersion as exc:
            conflict = _conflict(request, exc)
        except EditError as exc:
            form.add_error(None, exc.message)
        else:
            return _after_save(request, fr, name)
    # Text typed before a time-out goes back on the version it was typed on.
    version = posted(restored) or fr.version if restored is not None else fr.version
    if name == "provision":
        return _provision_page(
            request, fr, dates_form=form, conflict=conflict, version=version,
            restored=restored is not None,
        )  # fmt: skip
    context = {
        "fr": fr,
        "form": form,
        "section": name,
        "title": SECTION_TITLES[name],
        "version": version,
        "autosave": _autosave_url(fr, name),
        **conflict,
    }
    _mark_autosaved(form, fr, name)
    status = 409 if conflict else 400 if form.errors and restored is None else 200
    return render(request, "funding/section_form.html", context, status=status)


# The long text of each step, saved as the SENCO types (``autosave``). Never the pupil's
# UPN or initials: a half-typed one must not be saved (nor sent: only these fields are).
AUTOSAVED = {
    "pupil": ("project_summary",),
    "needs": ("ordinarily_available_provision", "agencies_involved"),
    "provision": ("outcomes_sought",),
    "consent": ("parent_voice", "pupil_voice"),
}
AUTOSAVE_DELAY = "3s"  # after typing stops


def _autosave_url(fr: FundingRequest, name: str) -> str:
    return reverse("funding:autosave", args=[fr.pk, name]) if name in AUTOSAVED else ""


def _mark_autosaved(form, fr: FundingRequest, name: str) -> None:
    """The long text fields post themselves (htmx) a few seconds after typing stops,
    with the page's version, to :func:`autosave`; the answer goes in the status line."""
    for field in AUTOSAVED.get(name, ()):
        form.fields[field].widget.attrs.update(
            {
                "data-autosave": "",
                "hx-post": _autosave_url(fr, name),
                "hx-trigger": f"input changed delay:{AUTOSAVE_DELAY}",
                "hx-include": "[data-autosave], input[data-version]",
                "hx-target": "#autosave-status",
                "hx-swap": "innerHTML",
                "hx-sync": "#autosave-status:replace",
            }
        )


@require_POST
def autosave(request: HttpRequest, pk, name: str) -> HttpResponse:
    """Save a step's long text as it is typed (htmx): the same service and version check
    as the step's "Save". Answers the status line: "Saved at 10:42" (and the page's new
    version, out of band, so its own save is not refused), or why it was not saved: a
    stale version (409, both values named; nothing overwritten), text that is too long,
    a request no longer editable, or a session that has expired (what was typed stays on
    the page, and "Save" keeps it over the sign-in)."""
    if name not in AUTOSAVED:
        raise Http404
    if not request.user.is_authenticated:
        return _autosave_status(
            "You have been signed out, so this is not saved yet. Select Save: you will be "
            "asked to sign in and what you typed will be kept.",
            status=401,
        )
    fr = selectors.get_request(request.user, pk)
    if not policy.can_edit(request.user, fr):
        return _autosave_status("This request can no longer be changed.", status=409)
    form = SECTION_FORMS[name](request.POST, instance=fr)
    form.is_valid()  # only the long text fields are taken, each if it is valid
    problems = [e for f in AUTOSAVED[name] for e in form.errors.get(f, [])]
    if problems:
        return _autosave_status(f"Not saved yet: {' '.join(problems)}", status=400)
    saved = FundingRequest.objects.get(pk=fr.pk)
    fields = {f: form.cleaned_data[f] for f in AUTOSAVED[name] if f in request.POST}
    if all(shown(v) == shown(getattr(saved, f)) for f, v in fields.items()):
        return HttpResponse(status=204)  # nothing new to save
    try:
        locked = services.update_request(
            fr, user=request.user, version=posted(request.POST), **fields
        )
    except StaleVersion as exc:
        return _autosave_status(
            f"Not saved: {exc.message} Select Save to keep yours or see the saved version.",
            status=409,
        )
    except EditError as exc:
        return _autosave_status(f"Not saved: {exc.message}", status=409)
    at = timezone.localtime(locked.updated_at).strftime("%H:%M")
    return _autosave_status(f"Saved at {at}", version=locked.version)


def _autosave_status(
    message: str, *, status: int = 200, version: int | None = None
) -> HttpResponse:
    response = render_to_string(
        "funding/_autosave_status.html", {"message": message, "version": version, "status": status}
    )
    answer = HttpResponse(response.strip(), status=status)
    answer["Cache-Control"] = "no-store"
    return answer


# The UPN is left out of Django's error reports.
section = sensitive_post_parameters("upn")(editing(_section))


def _money_context(fr: FundingRequest) -> dict:
    lines = selectors.lines_of(fr)
    total, contribution, requested = rules.money(fr, lines)
    meeting = selectors.next_meeting(fr.cluster)
    return {
        "lines": lines,
        "total": total,
        "contribution": contribution,
        "requested": requested,
        "per_pupil": selectors.school_contribution_per_pupil(),
        "pupils_counted": rules.pupils_counted(fr),
        "notional_sen_budget": selectors.notional_sen_budget(fr.school_id),
        "available": selectors.cluster_available(fr.cluster, fr.stream),
        "meeting": meeting,
        "meeting_date": selectors.meeting_date(meeting),
        "closing_date": selectors.meeting_closing_date(meeting),
        "band": fr.band,
    }


def _provision_page(
    request, fr, *, dates_form=None, line_form=None, cost_form=None, conflict=None,
    version=None, restored=False,
):  # fmt: skip
    card = selectors.rate_card_for(fr)
    conflict = conflict or {}
    context = {
        "fr": fr,
        "form": dates_form or forms.ProvisionForm(instance=fr),
        "line_form": line_form or forms.ProvisionLineForm(prefix="line", card=card),
        "cost_form": cost_form or forms.CostLineForm(prefix="cost"),
        "card": card,
        "version": version or fr.version,
        "autosave": _autosave_url(fr, "provision"),
        **_money_context(fr),
        **conflict,
    }
    _mark_autosaved(context["form"], fr, "provision")
    bad = any(context[f].errors for f in ("form", "line_form", "cost_form"))
    status = 409 if conflict else 400 if bad and not restored else 200
    return render(request, "funding/section_provision.html", context, status=status)


def _save_line(request, fr, form, line=None) -> dict | bool:
    """Save the line the form holds; a refusal goes beside its field. True when saved,
    the conflict's context when refused as stale."""
    if not form.is_valid():
        return False
    try:
        services.save_provision_line(
            fr, user=request.user, line=line, version=posted(request.POST), **form.line_fields()
        )
    except StaleVersion as exc:
        return _conflict(request, exc)
    except EditError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return False
    return True


@editing
def provision(request: HttpRequest, fr: FundingRequest) -> HttpResponse:
    restored = _restored(request)
    if restored is not None and ("add_line" in restored or "add_cost" in restored):
        # A line typed before a time-out: back in its form, not yet added.
        card = selectors.rate_card_for(fr)
        line = "add_line" in restored
        return _provision_page(
            request, fr, version=posted(restored), restored=True,
            line_form=forms.ProvisionLineForm(restored, prefix="line", card=card) if line else None,
            cost_form=None if line else forms.CostLineForm(restored, prefix="cost"),
        )  # fmt: skip
    if restored is not None:
        return _section(request, fr, "provision", restored=restored)
    if request.method == "POST":
        if "add_line" in request.POST:
            card = selectors.rate_card_for(fr)
            line_form = forms.ProvisionLineForm(request.POST, prefix="line", card=card)
            saved = _save_line(request, fr, line_form)
            if saved is True:
                messages.success(request, "Provision line added.")
                return redirect("funding:provision", pk=fr.pk)
            return _provision_page(request, fr, line_form=line_form, conflict=saved or None)
        if "add_cost" in request.POST:
            cost_form = forms.CostLineForm(request.POST, prefix="cost")
            saved = _save_line(request, fr, cost_form)
            if saved is True:
                messages.success(request, "Cost added.")
                return redirect("funding:provision", pk=fr.pk)
            return _provision_page(request, fr, cost_form=cost_form, conflict=saved or None)
        return _section(request, fr, "provision")
    return _provision_page(request, fr)


@editing
def edit_line(request: HttpRequest, fr: FundingRequest, line_id: int) -> HttpResponse:
    line = selectors.provision_line(fr, line_id)
    card = selectors.rate_card_for(fr)
    form_class = forms.ProvisionLineForm if line.is_staffing else forms.CostLineForm
    restored = _restored(request)
    data = restored if restored is not None else _posted(request)
    form = form_class(data, instance=line, card=card)
    saved = request.method == "POST" and _save_line(request, fr, form, line=line)
    if saved is True:
        messages.success(request, "Provision line changed.")
        return redirect("funding:provision", pk=fr.pk)
    conflict = saved or {}
    version = (posted(restored) or fr.version) if restored is not None else fr.version
    return render(
        request,
        "funding/line_form.html",
        {"fr": fr, "form": form, "line": line, "card": card, "version": version, **conflict},
        status=409 if conflict else 400 if form.errors and restored is None else 200,
    )


@require_POST
@editing
def remove_line(request: HttpRequest, fr: FundingRequest, line_id: int) -> HttpResponse:
    try:
        services.remove_provision_line(
            fr, user=request.user, line_id=line_id, version=posted(request.POST)
        )
    except StaleVersion as exc:
        conflict = _conflict(
            request, exc, keep_label="Remove it anyway", saved_url=section_url(fr, "provision")
        )
        return _provision_page(request, fr, conflict=conflict)
    messages.success(request, "Provision line removed.")
    return redirect("funding:provision", pk=fr.pk)


@editing
def evidence(request: HttpRequest, fr: FundingRequest, cycle_id: int | None = None) -> HttpResponse:
    cycle = None
    if cycle_id is not None:
        cycle = ReviewCycle.objects.filter(request=fr, pk=cycle_id).first()
        if cycle is None:
            raise Http404
    restored = _restored(request)
    form = forms.CycleForm(restored if restored is not None else _posted(request), instance=cycle)
    conflict: dict = {}
    if restored is not None:
        return _evidence_page(request, fr, form, cycle, version=posted(restored), restored=True)
    if request.method == "POST":
        if "continue" in request.POST and not any(request.POST.get(f) for f in form.fields):
            # Nothing typed: the SENCO is moving on, not adding a cycle.
            return _after_save(request, fr, "evidence")
        if form.is_valid():
            try:
                services.save_cycle(
                    fr, user=request.user, cycle=cycle, version=posted(request.POST),
                    **form.cleaned_data,
                )  # fmt: skip
            except StaleVersion as exc:
                conflict = _conflict(request, exc)
            else:
                messages.success(request, "Cycle saved.")
                if "continue" in request.POST:
                    return _after_save(request, fr, "evidence")
                return redirect("funding:evidence", pk=fr.pk)
    return _evidence_page(request, fr, form, cycle, conflict)


def _evidence_page(
    request, fr, form, cycle=None, conflict=None, *, version=None, restored=False
) -> HttpResponse:
    conflict = conflict or {}
    return render(
        request,
        "funding/section_evidence.html",
        {
            "fr": fr,
            "form": form,
            "cycles": list(fr.cycles.all()),
            "editing_cycle": cycle,
            "version": version or fr.version,
            **conflict,
        },
        status=409 if conflict else 400 if form.errors and not restored else 200,
    )


@require_POST
@editing
def remove_cycle(request: HttpRequest, fr: FundingRequest, cycle_id: int) -> HttpResponse:
    try:
        services.remove_cycle(
            fr, user=request.user, cycle_id=cycle_id, version=posted(request.POST)
        )
    except StaleVersion as exc:
        conflict = _conflict(
            request, exc, keep_label="Remove it anyway", saved_url=section_url(fr, "evidence")
        )
        return _evidence_page(request, fr, forms.CycleForm(), conflict=conflict)
    messages.success(request, "Cycle removed.")
    return redirect("funding:evidence", pk=fr.pk)


@csrf_exempt
def documents(request: HttpRequest, pk: int) -> HttpResponse:
    # The size limit must be in place before anything reads the body, the CSRF check
    # included: so CSRF is checked by the view it wraps, once the limit is installed.
    if request.method == "POST":
        uploads.limit_document_size(request)
    return _documents(request, pk)


@csrf_protect
@editing
def _documents(request: HttpRequest, fr: FundingRequest) -> HttpResponse:
    posted = request.method == "POST"
    too_big = posted and uploads.refused_for_size(request)
    form = forms.DocumentForm(
        _posted(request), request.FILES if posted else None, refused_too_big=too_big
    )
    conflict: dict = {}
    if posted:
        if "continue" in request.POST and not request.FILES and not too_big:
            return _after_save(request, fr, "documents")
        if form.is_valid():
            try:
                services.upload_document(
                    fr,
                    user=request.user,
                    upload=form.cleaned_data["file"],
                    kind=form.cleaned_data["kind"],
                    version=versions_posted(request.POST),
                )
            except StaleVersion as exc:
                conflict = _conflict(request, exc, files=True)
            except EditError as exc:
                form.add_error("file", exc.message)
            else:
                messages.success(request, "Document uploaded.")
                return redirect("funding:documents", pk=fr.pk)
    return _documents_page(request, fr, form, conflict)


def _documents_page(request, fr, form, conflict=None) -> HttpResponse:
    conflict = conflict or {}
    return render(
        request,
        "funding/section_documents.html",
        {
            "fr": fr,
            "form": form,
            "documents": list(fr.documents.all()),
            "version": fr.version,
            **conflict,
        },
        status=409 if conflict else 400 if form.errors else 200,
    )


@require_POST
@editing
def remove_document(request: HttpRequest, fr: FundingRequest, doc_id: int) -> HttpResponse:
    try:
        services.remove_document(
            fr, user=request.user, document_id=doc_id, version=posted(request.POST)
        )
    except StaleVersion as exc:
        conflict = _conflict(
            request, exc, keep_label="Remove it anyway", saved_url=section_url(fr, "documents")
        )
        return _documents_page(request, fr, forms.DocumentForm(), conflict)
    messages.success(request, "Document removed.")
    return redirect("funding:documents", pk=fr.pk)


@login_required
def download(request: HttpRequest, pk: int, doc_id: int) -> FileResponse:
    document = selectors.get_document(request.user, pk, doc_id)
    try:
        response = storage.download_response(
            document.file.name,
            filename=document.original_name,
            content_type=document.content_type,
        )
    except storage.StorageUnavailable:
        return storage.unavailable_page(request)
    record_view(request, document, action="download", detail=document.request.reference or "")
    return response


@editing
def check(request: HttpRequest, fr: FundingRequest) -> HttpResponse:
    fr = selectors.get_request_detail(request.user, fr.pk)
    record_view(request, fr, action="view")
    returned = fr.state == State.RETURNED
    form = forms.MessageForm(
        _posted(request),
        label="What have you changed or added?" if returned else "Message",
        required=returned,
    )
    context = {**_task_context(fr), **_money_context(fr), "form": form, "returned": returned}
    if request.method == "POST" and form.is_valid():
        try:
            if returned:
                services.resubmit_request(
                    fr, user=request.user, message=form.cleaned_data["message"]
                )
            else:
                services.submit_request(fr, user=request.user)
        except TransitionError as exc:
            context["transition_error"] = exc.message
            return render(request, "funding/check.html", context, status=400)
        # Post/redirect/get: refreshing the confirmation must not submit again.
        return redirect(
            reverse("funding:submitted", args=[fr.pk]) + ("?again=1" if returned else "")
        )
    return render(request, "funding/check.html", context)


@login_required
def submitted(request: HttpRequest, pk: int) -> HttpResponse:
    fr = selectors.get_request(request.user, pk)
    return render(
        request, "funding/submitted.html", {"fr": fr, "resubmitted": "again" in request.GET}
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    fr = selectors.get_request_detail(request.user, pk)
    record_view(request, fr, action="view")
    show_pupil = selectors.shows_pupil_detail(request.user)
    actions = [
        t
        for t in services.available_transitions(request.user, fr)
        if (t.name in services.APP_TRANSITIONS and t.name not in ("submit", "resubmit"))
        # Offered once: after that the page says the reconsideration has been used.
        or (t.name == "reconsider" and not fr.reconsideration_used)
    ]
    events = selectors.request_timeline(request.user, fr)
    return render(
        request,
        "funding/detail.html",
        {
            "fr": fr,
            "show_pupil": show_pupil,
            "actions": actions,
            "events": events,
            "open_return": selectors.open_return(fr, events) if show_pupil else None,
            "age": selectors.request_age(fr),
            "cycles": list(fr.cycles.all()) if show_pupil else [],
            "lines": selectors.lines_of(fr),
            "documents": list(fr.documents.all()) if show_pupil else [],
            "missing": rules.missing_by_section(fr) if show_pupil else {},
            "continuation": selectors.continuation_of(fr) if show_pupil else None,
            "same_pupil": selectors.same_pupil_requests(request.user, fr),
            **_money_context(fr),
        },
    )


@login_required
def timeline(request: HttpRequest, pk: int) -> HttpResponse:
    fr = selectors.get_request(request.user, pk)
    record_view(request, fr, action="timeline")
    return render(
        request,
        "funding/timeline.html",
        {"fr": fr, "events": selectors.request_timeline(request.user, fr)},
    )


@login_required
def action(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    fr = selectors.get_request(request.user, pk)
    transition = TRANSITIONS.get(name)
    if transition is None or name not in services.APP_TRANSITIONS or name == "submit":
        raise Http404
    form = forms.MessageForm(
        _posted(request),
        label={
            "return": "What information do you need from the school?",
            "withdraw": "Why is the request being withdrawn?",
            "triage": "Note for the panel (optional)",
            "resubmit": "What have you changed or added?",
        }.get(name, "Message"),
        required=transition.needs_message,
    )
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            services.run_transition(
                fr, name, user=request.user, message=form.cleaned_data["message"]
            )
        except TransitionError as exc:
            error = exc.message
        else:
            messages.success(request, f"Done: {transition.label.lower()}.")
            return redirect("funding:detail", pk=fr.pk)
    return render(
        request,
        "funding/action.html",
        {"fr": fr, "transition": transition, "form": form, "error": error},
        status=400 if (error or form.errors) else 200,
    )


@csrf_exempt
def reconsider(request: HttpRequest, pk: int) -> HttpResponse:
    # It may carry a document: the size limit goes in before the body is read (see documents).
    if request.method == "POST":
        uploads.limit_document_size(request)
    return _reconsider(request, pk)


@csrf_protect
@login_required
def _reconsider(request: HttpRequest, pk: int) -> HttpResponse:
    fr = selectors.get_request(request.user, pk)
    if not policy.is_requesting_school(request.user, fr):
        raise Http404
    posted = request.method == "POST"
    form = forms.ReconsiderForm(
        _posted(request),
        request.FILES if posted else None,
        refused_too_big=posted and uploads.refused_for_size(request),
    )
    # Say why before the school writes anything, when it cannot be asked (again).
    error = refusal = services.reconsideration_problem(fr)
    if posted and refusal is None and form.is_valid():
        try:
            services.reconsider_request(
                fr,
                user=request.user,
                message=form.cleaned_data["message"],
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
            )
        except EditError as exc:
            form.add_error("file", exc.message)
        except TransitionError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                "Reconsideration asked for: the LA will look at the new evidence and "
                "take the request back to the panel.",
            )
            return redirect("funding:detail", pk=fr.pk)
    return render(
        request,
        "funding/reconsider.html",
        {"fr": fr, "form": form, "error": error, "can_ask": refusal is None},
        status=400 if posted and (error or form.errors) else 200,
    )


@login_required
def start_continuation(request: HttpRequest, pk: int) -> HttpResponse:
    """The school renews funded or closed provision: a new draft, pre-filled and linked."""
    fr = selectors.get_request(request.user, pk)
    if not policy.is_requesting_school(request.user, fr):
        raise Http404
    error, status = None, 200
    if request.method == "POST":
        try:
            draft = services.start_continuation(fr, user=request.user)
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(
                request,
                f"Continuation started from {fr}: check each step, change what is different "
                "now, and give fresh consent and views.",
            )
            return redirect("funding:tasks", pk=draft.pk)
    return render(
        request,
        "funding/continue.html",
        {"fr": fr, "error": error, "may": policy.can_start_continuation(request.user, fr)},
        status=status,
    )


@login_required
def changes(request: HttpRequest, pk: int) -> HttpResponse:
    """A continuation against the request it continues, with that request's review."""
    fr = selectors.get_request(request.user, pk)
    if not selectors.shows_pupil_detail(request.user):
        raise Http404
    continuation = selectors.continuation_of(fr)
    if continuation is None:
        raise Http404
    record_view(request, fr, action="view")
    return render(request, "funding/changes.html", {"fr": fr, "continuation": continuation})


def section_url(fr: FundingRequest, slug: str) -> str:
    return reverse(f"funding:{slug}", args=[fr.pk])


def _send_officer_only(request: HttpRequest) -> None:
    if not policy.can_manage_streams(request.user):
        raise Http404


@login_required
def streams(request: HttpRequest) -> HttpResponse:
    _send_officer_only(request)
    return render(request, "funding/streams.html", {"streams": selectors.streams()})


@login_required
def stream_edit(request: HttpRequest, stream_id: int | None = None) -> HttpResponse:
    _send_officer_only(request)
    stream = None
    if stream_id is not None:
        stream = selectors.streams().filter(pk=stream_id).first()
        if stream is None:
            raise Http404
    form = forms.StreamForm(_posted(request), instance=stream)
    conflict: dict = {}
    if request.method == "POST" and form.is_valid():
        try:
            services.save_stream(
                user=request.user, stream=stream, version=posted(request.POST), **form.cleaned_data
            )
        except StaleVersion as exc:
            conflict = _conflict(request, exc)
        except EditError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Funding stream saved.")
            return redirect("funding:streams")
    if stream is not None:
        stream.refresh_from_db()  # the hidden version is the one saved now
    return render(
        request,
        "funding/stream_form.html",
        {"form": form, "stream": stream, "version": stream.version if stream else "", **conflict},
        status=409 if conflict else 400 if form.errors else 200,
    )


# --- The rate card -------------------------------------------------------------------


@login_required
def rate_card(request: HttpRequest) -> HttpResponse:
    """The LA's standard hourly rates, by financial year; LA officers change them."""
    if not policy.can_manage_rate_card(request.user):
        raise Http404
    return render(request, "funding/rate_card.html", {"years": selectors.rate_card_by_year()})


@login_required
def rate_edit(request: HttpRequest, rate_id: int | None = None) -> HttpResponse:
    if not policy.can_manage_rate_card(request.user):
        raise Http404
    entry = selectors.rate(rate_id) if rate_id is not None else None
    initial = {} if entry is None else {
        "role": entry.role, "year": entry.year, "hourly_rate": entry.hourly_rate,
    }  # fmt: skip
    if entry is None:
        initial["year"] = rules.financial_year(timezone.localdate())
    form = forms.RateForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_rate(user=request.user, entry=entry, **form.cleaned_data)
        except EditError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Rate card saved.")
            return redirect("funding:rate_card")
    return render(
        request,
        "funding/rate_form.html",
        {"form": form, "entry": entry},
        status=400 if form.errors else 200,
    )


# --- Need bands -------------------------------------------------------------------------


@login_required
def need_bands(request: HttpRequest) -> HttpResponse:
    """The banded descriptors of need: schools place a pupil in one, panels read its range."""
    if not policy.can_manage_need_bands(request.user):
        raise Http404
    return render(request, "funding/need_bands.html", {"bands": selectors.need_bands()})


@login_required
def need_band_edit(request: HttpRequest, band_id: int | None = None) -> HttpResponse:
    if not policy.can_manage_need_bands(request.user):
        raise Http404
    band = selectors.need_band(band_id) if band_id is not None else None
    initial = {} if band is None else {f: getattr(band, f) for f in forms.NeedBandForm.base_fields}
    form = forms.NeedBandForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_need_band(user=request.user, need_band=band, **form.cleaned_data)
        except EditError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Need band saved.")
            return redirect("funding:need_bands")
    return render(
        request,
        "funding/need_band_form.html",
        {"form": form, "band": band},
        status=400 if form.errors else 200,
    )


# --- Intention to request notices ------------------------------------------------------


def _require_notices(request: HttpRequest) -> None:
    if not policy.can_see_notices(request.user):
        raise Http404


@login_required
def notices(request: HttpRequest) -> HttpResponse:
    """The LA plans its agendas from these: by cluster and the month each is expected."""
    _require_notices(request)
    waiting_only = request.GET.get("show") != "all"
    return render(
        request,
        "funding/notices.html",
        {
            "groups": selectors.notices_for_planning(request.user, waiting_only=waiting_only),
            "waiting_only": waiting_only,
            "can_give": policy.can_give_notice(request.user),
        },
    )


@login_required
def notice_new(request: HttpRequest) -> HttpResponse:
    if not policy.can_give_notice(request.user):
        raise Http404
    schools = School.objects.filter(pk__in=scope_for(request.user).school_ids)
    form = forms.NoticeForm(_posted(request), schools=schools)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notice = services.give_notice(
                user=request.user,
                **{k: data[k] for k in ("school", *services.NOTICE_FIELDS)},
            )
        except EditError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request, "The LA has your notice. Start the request when the reports are in."
            )
            return redirect("funding:notice", pk=notice.pk)
    return render(
        request, "funding/notice_new.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
def notice(request: HttpRequest, pk: int) -> HttpResponse:
    _require_notices(request)
    found = selectors.get_notice(request.user, pk)
    record_view(request, found, action="view")
    return render(
        request,
        "funding/notice.html",
        {
            "notice": found,
            "may_start": policy.can_start_from_notice(request.user, found),
            "request_visible": found.started
            and selectors.visible_requests(request.user).filter(pk=found.request_id).exists(),
        },
    )


@require_POST
@login_required
def notice_start(request: HttpRequest, pk: int) -> HttpResponse:
    _require_notices(request)
    found = selectors.get_notice(request.user, pk)
    if found.school_id not in scope_for(request.user).school_ids:
        raise Http404
    try:
        fr = services.start_request_from_notice(found, user=request.user)
    except (EditError, DomainError) as exc:
        messages.error(request, exc.message)
        return redirect("funding:notice", pk=found.pk)
    messages.success(request, "Your draft request is started from the notice.")
    return redirect("funding:tasks", pk=fr.pk)
