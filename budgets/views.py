"""Budget pages: thin views over the selectors (reads) and services (writes)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from clusters.models import District
from funding.models import FundingStream
from portal.audit import record_view
from portal.filters import as_id
from portal.money import format_gbp
from portal.roles import Scope, scope_for
from portal.versions import StaleVersion, conflict_context, posted

from . import exports, policy, selectors, services
from .allocation import AllocationInputError, default_stats_year, plan_allocation
from .forms import (
    AdjustmentForm,
    AllocationForm,
    ExportFilterForm,
    MovePupilForm,
    OverrideForm,
    ReduceAwardForm,
    TermDatesForm,
)
from .models import TERM_DAY_FIELDS, FinancialYear

POLL = "every 3s"


def _la_page(request: HttpRequest) -> Scope:
    """The county's pages (policy.can_see_county_budgets): anyone else finds nothing here."""
    if not policy.can_see_county_budgets(request.user):
        raise Http404("Not found")
    return scope_for(request.user)


def _finance_page(request: HttpRequest) -> Scope:
    """Pages that move money (policy.can_manage_budgets): others are told they may not."""
    if not policy.can_manage_budgets(request.user):
        raise PermissionDenied("Only an LA finance officer can do this.")
    return scope_for(request.user)


def _number(request: HttpRequest, name: str) -> int | None:
    return as_id(request.GET.get(name))


def _year_and_stream(request: HttpRequest):
    year = stream = None
    if (start_year := _number(request, "year")) is not None:
        year = FinancialYear.objects.filter(start_year=start_year).first()
    if (stream_id := _number(request, "stream")) is not None:
        stream = FundingStream.objects.filter(pk=stream_id).first()
    return year, stream


def _district(request: HttpRequest) -> int | None:
    return _number(request, "district")


def _filter_query(year, stream, district_id: int | None = None) -> str:
    parts = []
    if year:
        parts.append(f"year={year.start_year}")
    if stream:
        parts.append(f"stream={stream.pk}")
    if district_id:
        parts.append(f"district={district_id}")
    return "&".join(parts)


@login_required
@require_GET
def county(request: HttpRequest) -> HttpResponse:
    """Every cluster's budget for the year, live. School staff go to their own cluster."""
    scope = scope_for(request.user)
    if not policy.can_see_county_budgets(request.user):
        if not policy.can_see_budgets(request.user):
            raise Http404("Not found")
        return redirect("budgets:cluster", pk=min(scope.cluster_ids))
    year, stream = _year_and_stream(request)
    district_id = _district(request)
    board = selectors.budget_board(scope, year=year, stream=stream, district_id=district_id)
    return render(
        request,
        "budgets/county.html",
        {
            "board": board,
            "live_url": reverse("budgets:county_live"),
            "query": _filter_query(board.year, stream, district_id),
            "year_stream_query": _filter_query(board.year, stream),
            "years": selectors.financial_years(),
            "streams": FundingStream.objects.all(),
            "districts": District.objects.order_by("name").values_list("pk", "name"),
            "poll": POLL,
            "scope": scope,
            "skipped_count": selectors.skipped_count(scope),
        },
    )


@login_required
@require_GET
def county_live(request: HttpRequest) -> HttpResponse:
    """The polled fragment: 204 (htmx keeps what it shows) when the ledger has not moved."""
    scope = _la_page(request)
    # Compared with the version of this board (its year, stream and district), not the
    # whole ledger's: an entry elsewhere in the county leaves the page's figures alone.
    version = selectors.board_version(
        scope,
        start_year=_number(request, "year"),
        stream_id=_number(request, "stream"),
        district_id=_district(request),
    )
    if request.GET.get("v") == version:
        return HttpResponse(status=204)
    year, stream = _year_and_stream(request)
    district_id = _district(request)
    board = selectors.budget_board(scope, year=year, stream=stream, district_id=district_id)
    return render(
        request,
        "budgets/_county_live.html",
        {
            "board": board,
            "live_url": reverse("budgets:county_live"),
            "query": _filter_query(board.year, stream, district_id),
            "year_stream_query": _filter_query(board.year, stream),
            "poll": POLL,
            "scope": scope,
        },
    )


def _cluster_context(request: HttpRequest, pk: int) -> dict:
    scope = scope_for(request.user)
    cluster = selectors.get_cluster(scope, pk)
    year, _ = _year_and_stream(request)
    board = selectors.budget_board(scope, year=year, cluster_ids=[cluster.pk])
    return {
        "cluster": cluster,
        "board": board,
        "schools": selectors.cluster_schools(cluster, board.year),
        "requests": selectors.cluster_requests(scope, cluster),
        "version": selectors.cluster_version(cluster),
        "live_url": reverse("budgets:cluster_live", args=[cluster.pk]),
        "query": _filter_query(board.year, None),
        "poll": POLL,
        "scope": scope,
    }


@login_required
@require_GET
def cluster(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "budgets/cluster.html", _cluster_context(request, pk))


@login_required
@require_GET
def cluster_live(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request.user)
    cluster_obj = selectors.get_cluster(scope, pk)
    if request.GET.get("v") == selectors.cluster_version(cluster_obj):
        return HttpResponse(status=204)
    return render(request, "budgets/_cluster_live.html", _cluster_context(request, pk))


@login_required
@require_GET
def budget_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One budget's ledger, line by line (LA officers)."""
    scope = _la_page(request)
    budget = selectors.get_budget(scope, pk)
    entries = selectors.visible_ledger(scope).filter(budget=budget).order_by("-id")[:500]
    return render(
        request,
        "budgets/budget_detail.html",
        {"budget": budget, "totals": selectors.totals_from_sums(budget), "entries": entries},
    )


@login_required
@require_http_methods(["GET", "POST"])
def allocate(request: HttpRequest) -> HttpResponse:
    """Enter the pot and weights, preview every cluster's share with workings, then allocate."""
    _finance_page(request)
    # This year and next are always offered, before anything is allocated in them.
    today = timezone.localdate()
    FinancialYear.for_date(today)
    FinancialYear.objects.get_or_create(start_year=FinancialYear.start_year_for(today) + 1)
    form = AllocationForm(request.POST or None)
    plan = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        stats_year = default_stats_year(d["year"].start_year)
        try:
            plan = plan_allocation(
                d["pot"], form.weights, lump_sum=d.get("lump_sum") or 0, stats_year=stats_year
            )
        except AllocationInputError as exc:
            form.add_error(None, str(exc))
        if plan is not None and request.POST.get("action") == "allocate":
            try:
                run, plan = services.allocate_by_formula(
                    stream=d["stream"],
                    year=d["year"],
                    pot=d["pot"],
                    weights=form.weights,
                    lump_sum=d.get("lump_sum") or 0,
                    stats_year=stats_year,
                    user=request.user,
                )
            except services.BudgetError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    f"{d['stream']} for {d['year']} allocated to {len(plan.shares)} clusters.",
                )
                return redirect(f"{reverse('budgets:county')}?year={d['year'].start_year}")
    return render(request, "budgets/allocate.html", {"form": form, "plan": plan})


@login_required
@require_http_methods(["GET", "POST"])
def adjust(request: HttpRequest) -> HttpResponse:
    """Change a budget. Opened from a budget's page, the form carries that budget's version
    (``version_budget`` names which): if someone changed it meanwhile the change is refused
    (409) showing both changes, with "keep mine" and "take the saved one"."""
    _finance_page(request)
    form = AdjustmentForm(request.POST or None, initial={"budget": request.GET.get("budget")})
    conflict: dict = {}
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        # The version read is that of the budget the page was opened on (if the user chose
        # another budget in the form, there is no version of it to check).
        seen = (
            posted(request.POST)
            if request.POST.get("version_budget") == str(d["budget"].pk)
            else None
        )
        common = {"user": request.user, "reason": d["reason"], "version": seen}
        try:
            if d["move_to"]:
                services.transfer(d["budget"], d["move_to"], d["amount"], **common)
            else:
                services.adjust(d["budget"], d["amount"], **common)
        except StaleVersion as exc:
            conflict = conflict_context(
                exc,
                data=request.POST,
                retry_url=request.path,
                saved_url=reverse("budgets:budget", args=[d["budget"].pk]),
                keep_label="Record my change as well",
            )
        except services.BudgetError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "The adjustment is on the ledger.")
            return redirect("budgets:budget", pk=d["budget"].pk)
    budget = None
    chosen = as_id(
        request.POST.get("budget") if request.method == "POST" else request.GET.get("budget")
    )
    if chosen is not None:
        budget = selectors.visible_budgets(request.user).filter(pk=chosen).first()
    context = {
        "form": form,
        "version_budget": budget.pk if budget else "",
        "version": budget.version if budget else "",
        **conflict,
    }
    return render(request, "budgets/adjust.html", context, status=409 if conflict else 200)


@login_required
@require_http_methods(["GET", "POST"])
def override(request: HttpRequest) -> HttpResponse:
    _finance_page(request)
    form = OverrideForm(request.POST or None, initial={"reference": request.GET.get("reference")})
    if request.method == "POST" and form.is_valid():
        try:
            services.record_override(
                form.funding_request, user=request.user, reason=form.cleaned_data["reason"]
            )
        except services.BudgetError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"{form.funding_request.reference} may now be approved over budget; "
                "the dashboards will flag it.",
            )
            return redirect("budgets:county")
    return render(request, "budgets/override.html", {"form": form})


@login_required
@require_GET
def export(request: HttpRequest, what: str, fmt: str) -> HttpResponse:
    """The ledger or the payment schedule, filtered by cluster, stream and period."""
    scope = _la_page(request)
    form = ExportFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(request, "budgets/exports.html", {"form": form}, status=400)
    if not request.GET.get("go"):
        return render(request, "budgets/exports.html", {"form": ExportFilterForm()})
    filters = form.filters()
    if what == "ledger":
        qs = selectors.filter_ledger(selectors.visible_ledger(scope), **filters).order_by("id")
        columns, rows, name = exports.LEDGER_COLUMNS, exports.ledger_rows(qs), "ledger"
    else:
        qs = selectors.filter_ledger(
            selectors.visible_instalments(scope), date_field="due_date", **filters
        ).order_by("due_date", "id")
        columns, rows, name = exports.PAYMENT_COLUMNS, exports.payment_rows(qs), "payment-schedule"
    record_view(request, action="export", object_type=f"budgets.{name}", detail=str(filters))
    writer = exports.as_xlsx if fmt == "xlsx" else exports.as_csv
    return writer(name, columns, rows)


@login_required
@require_GET
def request_money(request: HttpRequest, pk: int) -> HttpResponse:
    """One request's budget history: every ledger line and instalment (LA officers)."""
    scope = _la_page(request)
    money = selectors.request_money(scope, pk)
    return render(request, "budgets/request.html", {"money": money, "fr": money.request})


@login_required
@require_http_methods(["GET", "POST"])
def move_pupil(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick the new school and give a reason, check what moves, then confirm."""
    if not policy.can_move_pupil(request.user):
        raise Http404("Not found")
    scope = scope_for(request.user)
    fr = selectors.get_request_for_money(scope, pk)
    form = MovePupilForm(request.POST or None, funding_request=fr)
    preview = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if request.POST.get("action") != "confirm":
            preview = selectors.move_preview(fr, d["new_school"])
        else:
            try:
                services.move_pupil(
                    fr,
                    d["new_school"],
                    user=request.user,
                    reason=d["reason"],
                    override_reason=d["override_reason"],
                )
            except services.BudgetError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request, f"{fr.reference}'s funding now follows the pupil to {fr.school.name}."
                )
                return redirect("budgets:request", pk=fr.pk)
    return render(
        request,
        "budgets/move.html",
        {"fr": fr, "form": form, "preview": preview, "scope": scope},
    )


@login_required
@require_http_methods(["GET", "POST"])
def reduce_award(request: HttpRequest, pk: int) -> HttpResponse:
    scope = _finance_page(request)
    fr = selectors.get_request_for_money(scope, pk)
    form = ReduceAwardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.reduce_award(fr, d["new_amount"], user=request.user, reason=d["reason"])
        except services.BudgetError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"{fr.reference}'s award is now {format_gbp(d['new_amount'])}; the rest is released.",
            )
            return redirect("budgets:request", pk=fr.pk)
    return render(
        request,
        "budgets/reduce.html",
        {"fr": fr, "form": form, "totals": selectors.request_totals(fr)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def payments(request: HttpRequest) -> HttpResponse:
    """What falls due for payment; a finance officer can run the payment now."""
    scope = _la_page(request)
    if request.method == "POST":
        _finance_page(request)
        paid = services.pay_due_instalments(user=request.user)
        messages.success(
            request, f"{paid} instalment{'s' if paid != 1 else ''} paid and on the ledger."
        )
        if selectors.skipped_instalments(scope)[0]:
            messages.warning(request, "Some instalments could not be paid: see why below.")
        return redirect("budgets:payments")
    count, total, due = selectors.due_instalments(scope)
    skipped_count, skipped = selectors.skipped_instalments(scope)
    owed_count, owed_total, owed = selectors.overpayments(scope)
    return render(
        request,
        "budgets/payments.html",
        {
            "count": count,
            "total": total,
            "due": due,
            "scope": scope,
            "owed_count": owed_count,
            "owed_total": owed_total,
            "owed": owed,
            "skipped_count": skipped_count,
            "skipped": skipped,
        },
    )


# --- Term dates ----------------------------------------------------------------------------


@login_required
@require_GET
def term_dates(request: HttpRequest) -> HttpResponse:
    """The LA's term dates by academic year: the years entered and what they mean."""
    if not policy.can_see_term_dates(request.user):
        raise Http404
    return render(request, "budgets/term_dates.html", {"years": selectors.term_dates()})


@login_required
@require_http_methods(["GET", "POST"])
def term_dates_edit(request: HttpRequest, year: int | None = None) -> HttpResponse:
    """Enter a year's terms and half-terms, or change them (a stale change is a 409)."""
    if not policy.can_manage_term_dates(request.user):
        raise Http404
    existing = selectors.term_dates_for(year) if year is not None else None
    initial = (
        {"academic_year": _number(request, "year")}
        if existing is None
        else {f: getattr(existing, f) for f in TERM_DAY_FIELDS}
    )
    form = TermDatesForm(request.POST or None, initial=initial, existing=existing)
    conflict: dict = {}
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_term_dates(
                user=request.user,
                term_dates=existing,
                academic_year=existing.academic_year
                if existing
                else form.cleaned_data["academic_year"],
                version=posted(request.POST),
                **form.days(),
            )
        except StaleVersion as exc:
            conflict = conflict_context(
                exc,
                data=request.POST,
                retry_url=request.path,
                saved_url=request.path,
            )
        except services.BudgetError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Term dates for {saved.label} saved.")
            return redirect("budgets:term_dates")
    if existing is not None:
        existing.refresh_from_db()  # the hidden version is the one saved now
    return render(
        request,
        "budgets/term_dates_form.html",
        {"form": form, "existing": existing, "version": existing.version if existing else "",
         **conflict},
        status=409 if conflict else 400 if form.errors else 200,
    )  # fmt: skip
