"""Thin views: the report list and request form, a run's page with live progress,
and its files. Reads through selectors, writes through services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal import storage
from portal.audit import record_view

from . import escalation, policy, rendering, selectors, services
from .forms import EscalationUploadForm, ReportRequestForm
from .models import FILE_FORMATS, ImportStatus, RunStatus

CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _require_reports(request: HttpRequest) -> None:
    if not policy.can_use_reports(request.user):
        raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def run_list(request: HttpRequest) -> HttpResponse:
    _require_reports(request)
    form = ReportRequestForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        scope_kind, scope_id = form.scope_parts()
        try:
            run = services.request_report(
                user=request.user,
                kind=form.cleaned_data["kind"],
                scope_kind=scope_kind,
                scope_id=scope_id,
                academic_year=form.cleaned_data["academic_year"],
                national_ehcp_pct=form.cleaned_data["national_ehcp_pct"],
                weights=form.weights(),
                **form.impact_options(),
                **form.pack_options(),
            )
        except services.ReportError as exc:
            form.add_error(None, str(exc))
        except PermissionDenied as exc:
            form.add_error("scope", str(exc))
        else:
            messages.success(
                request, "Your report is queued. You can leave this page and come back."
            )
            return redirect("reports:detail", pk=run.pk)
    runs = selectors.visible_runs(request.user)[:50]
    return render(request, "reports/list.html", {"form": form, "runs": runs})


@login_required
@require_GET
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.get_run(request.user, pk)
    record_view(request, run)
    context = {"run": run, "formats": FILE_FORMATS}
    if run.status == RunStatus.SUCCEEDED:
        context.update(rendering.context(run, run.result, max_rows=rendering.MAX_SHOWN_ROWS))
    return render(request, "reports/detail.html", context)


@login_required
@require_POST
def run_again(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.get_run(request.user, pk)
    try:
        again = services.request_again(user=request.user, run=run)
    except PermissionDenied as exc:
        raise Http404 from exc
    messages.success(request, "The report is queued again with the same parameters.")
    return redirect("reports:detail", pk=again.pk)


@login_required
@require_GET
def run_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress panel, polled by htmx until the run is ready or has failed."""
    run = selectors.get_run(request.user, pk)
    response = render(request, "reports/_status.html", {"run": run, "formats": FILE_FORMATS})
    if run.status == RunStatus.SUCCEEDED and request.htmx:
        # Reload the page once so the charts and tables appear.
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def download(request: HttpRequest, pk: int, fmt: str) -> FileResponse:
    run = selectors.get_run(request.user, pk)
    if fmt not in FILE_FORMATS or run.status != RunStatus.SUCCEEDED:
        raise Http404
    field = run.file_for(fmt)
    try:
        response = storage.download_response(
            field.name, filename=field.name.rsplit("/", 1)[-1], content_type=CONTENT_TYPES[fmt]
        )
    except storage.StorageUnavailable:
        return storage.unavailable_page(request)
    record_view(request, run, action="download", detail=fmt)
    return response


# ---------------------------------------------------------------- escalation data


def _require_escalation(request: HttpRequest) -> None:
    if not policy.can_import_escalation(request.user):
        raise Http404


@login_required
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters()
def escalation_imports(request: HttpRequest) -> HttpResponse:
    """Upload the LA's escalation extract; the list of uploads and their outcome."""
    _require_escalation(request)
    form = EscalationUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["extract"]
        run = escalation.start_import(user=request.user, data=upload.file, filename=upload.name)
        if run.status == ImportStatus.QUEUED:
            messages.success(request, "The extract is read and is being checked by the worker.")
        return redirect("reports:escalation_detail", pk=run.pk)
    context = {
        "form": form,
        "imports": selectors.escalation_imports()[:20],
        "counts": selectors.escalation_counts(),
    }
    return render(request, "reports/escalation.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def escalation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_escalation(request)
    run = selectors.get_escalation_import(pk)
    return render(request, "reports/escalation_detail.html", {"run": run})
