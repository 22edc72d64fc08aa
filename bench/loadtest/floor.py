"""The floor: the least a Django view can do to show the triage queue's rows.

The triage queue (``funding.views.triage_queue``) lists submitted requests, oldest
first, 50 a page, with their reference, school, cluster, stream, amount and date, and
the number of pages. This view reads the same rows in one query (and the count) and
writes them as a bare HTML table: no template, no filters, no clock, no audit. It runs
behind the same middleware (sessions, sign-in, CSRF, CSP...), so a page's ratio to it is
what the page itself costs.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.utils.html import escape

from funding.models import FundingRequest

PAGE_SIZE = 50


@login_required
def triage_floor(request):
    queue = FundingRequest.objects.filter(state="submitted")
    rows = queue.order_by("submitted_at", "pk").values_list(
        "reference",
        "school__name",
        "cluster__name",
        "stream__name",
        "amount_requested",
        "submitted_at",
    )[:PAGE_SIZE]
    cells = "".join(
        "<tr>" + "".join(f"<td>{escape(value)}</td>" for value in row) + "</tr>" for row in rows
    )
    return HttpResponse(
        f"<!doctype html><title>Floor</title><p>{queue.count()} submitted</p><table>{cells}</table>"
    )
