"""Cluster directory, cluster and school pages. Scoping lives in the selectors."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.roles import scope_for

from . import selectors
from .forms import YearForm
from .models import academic_year_label


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
