"""Cluster directory, cluster and school pages. Scoping lives in the selectors."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.errors import ConflictError, DomainError
from portal.roles import scope_for

from . import policy, selectors, services, uploads
from .forms import (
    ClusterCreateForm,
    ClusterNameForm,
    GiasUploadForm,
    MoveSchoolForm,
    StatsUploadForm,
    YearForm,
)
from .models import ImportKind, academic_year_label


def _year(request: HttpRequest) -> dict:
    years = selectors.stats_years()
    year = selectors.choose_year(request.GET.get("year"), years)
    return {
        "year": year,
        "year_label": academic_year_label(year) if year else "",
        "year_form": YearForm(initial={"year": year}, years=years),
    }


@login_required
def directory(request: HttpRequest) -> HttpResponse:
    years = _year(request)
    return render(
        request,
        "clusters/directory.html",
        {
            "districts": selectors.directory(request.user, years["year"]),
            "scope": scope_for(request.user),
            **years,
        },
    )


@login_required
def cluster_detail(request: HttpRequest, pk: int) -> HttpResponse:
    years = _year(request)
    entry = selectors.cluster_detail(request.user, pk, years["year"])
    return render(
        request,
        "clusters/cluster_detail.html",
        {"entry": entry, "cluster": entry.cluster, **years},
    )


@login_required
def school_detail(request: HttpRequest, urn: int) -> HttpResponse:
    page = selectors.school_detail(request.user, urn)
    return render(request, "clusters/school_detail.html", {"page": page, "school": page.school})


# ---------------------------------------------------------------- imports by upload

# Each list of a preview shows this many rows; the counts above it are whole.
PREVIEW_SHOWN = 100


def _require_imports(request: HttpRequest) -> None:
    if not policy.can_import_schools(request.user):
        raise Http404


def _upload_page(request: HttpRequest, kind: str) -> HttpResponse:
    _require_imports(request)
    form_class = GiasUploadForm if kind == ImportKind.GIAS else StatsUploadForm
    form = form_class(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if kind == ImportKind.GIAS:
                mapping = data.get("mapping")
                run = uploads.upload_gias(
                    user=request.user,
                    data=data["extract"].file,
                    filename=data["extract"].name,
                    mapping=mapping.file if mapping else None,
                    mapping_filename=mapping.name if mapping else "",
                    year=data["year"],
                )
            else:
                run = uploads.upload_stats(
                    user=request.user,
                    data=data["statistics"].file,
                    filename=data["statistics"].name,
                    year=data["year"],
                )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("clusters:import", pk=run.pk)
    context = {
        "form": form,
        "kind": kind,
        "imports": selectors.school_imports(request.user, kind)[:20],
    }
    return render(
        request, "clusters/import_upload.html", context, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_gias(request: HttpRequest) -> HttpResponse:
    """Upload a GIAS extract (and a cluster mapping) to see what it would change."""
    return _upload_page(request, ImportKind.GIAS)


@login_required
@require_http_methods(["GET", "POST"])
def import_stats(request: HttpRequest) -> HttpResponse:
    """Upload the schools' statistics to see what they would change."""
    return _upload_page(request, ImportKind.STATS)


def _shown_lists(run) -> dict:
    names = ("new", "updated", "closed", "unmapped", "changed", "unknown")
    return {
        name: run.preview[name][:PREVIEW_SHOWN] for name in names if name in (run.preview or {})
    }


def _detail(request: HttpRequest, run, *, refusal: str = "", status: int = 200) -> HttpResponse:
    context = {
        "run": run,
        "shown": _shown_lists(run),
        "counts": (run.preview or {}).get("counts", {}),
        "limit": PREVIEW_SHOWN,
        "refusal": refusal,
    }
    return render(request, "clusters/import_detail.html", context, status=status)


@login_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The file's problems, or the preview of what it will change, then its progress."""
    return _detail(request, selectors.get_school_import(request.user, pk))


@login_required
@require_GET
def import_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress panel, polled by htmx until the import is done or has failed."""
    run = selectors.get_school_import(request.user, pk)
    response = render(request, "clusters/_import_status.html", {"run": run})
    if run.is_finished and request.htmx:
        response["HX-Refresh"] = "true"  # the page then says what was done
    return response


@login_required
@require_POST
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.get_school_import(request.user, pk)
    try:
        uploads.request_apply(user=request.user, run_id=run.pk)
    except ConflictError as exc:
        return _detail(request, run, refusal=exc.message, status=409)
    messages.success(request, "The import is queued: you can leave this page and come back.")
    return redirect("clusters:import", pk=run.pk)


@login_required
@require_POST
def import_discard(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.get_school_import(request.user, pk)
    try:
        uploads.discard(user=request.user, run_id=run.pk)
    except ConflictError as exc:
        return _detail(request, run, refusal=exc.message, status=409)
    messages.success(request, "The upload is discarded: nothing was imported.")
    return redirect(
        "clusters:import_gias" if run.is_gias else "clusters:import_stats",
    )


# ---------------------------------------------------------------- the cluster map


def _require_cluster_map(request: HttpRequest) -> None:
    if not policy.can_edit_cluster_map(request.user):
        raise Http404


def _refused(form, exc: DomainError) -> int:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return exc.status


@login_required
@require_http_methods(["GET", "POST"])
def cluster_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename a cluster, and move its schools (each from its own page)."""
    _require_cluster_map(request)
    cluster = selectors.cluster_for_editing(pk)
    form = ClusterNameForm(
        request.POST or None, initial={"name": cluster.name, "expected_name": cluster.name}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.rename_cluster(
                    user=request.user,
                    cluster=cluster,
                    name=form.cleaned_data["name"],
                    expected_name=form.cleaned_data["expected_name"] or None,
                )
            except DomainError as exc:
                status = _refused(form, exc)
            else:
                messages.success(request, "The cluster's name is saved.")
                return redirect("clusters:edit", pk=cluster.pk)
        else:
            status = 400
    context = {"cluster": cluster, "form": form, "schools": selectors.cluster_schools(cluster)}
    return render(request, "clusters/cluster_edit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def cluster_new(request: HttpRequest) -> HttpResponse:
    _require_cluster_map(request)
    form = ClusterCreateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                cluster = services.create_cluster(user=request.user, **form.cleaned_data)
            except DomainError as exc:
                status = _refused(form, exc)
            else:
                messages.success(request, f"{cluster.name} is added to {cluster.district.name}.")
                return redirect("clusters:edit", pk=cluster.pk)
        else:
            status = 400
    return render(request, "clusters/cluster_new.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def move_school(request: HttpRequest, urn: int) -> HttpResponse:
    """Move a school to another cluster: its new requests go to that cluster's panel."""
    _require_cluster_map(request)
    school = selectors.school_for_moving(urn)
    form = MoveSchoolForm(
        request.POST or None, school=school, initial={"expected_cluster": school.cluster_id}
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.move_school(
                    school,
                    form.cleaned_data["cluster"],
                    user=request.user,
                    expected_cluster_id=form.cleaned_data["expected_cluster"],
                )
            except DomainError as exc:
                status = _refused(form, exc)
            else:
                moved_to = form.cleaned_data["cluster"]
                messages.success(request, f"{school.name} is now in {moved_to.name}.")
                return redirect("clusters:edit", pk=moved_to.pk)
        else:
            status = 400
    return render(
        request, "clusters/move_school.html", {"school": school, "form": form}, status=status
    )
