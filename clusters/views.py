from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Cluster


@login_required
def directory(request: HttpRequest) -> HttpResponse:
    clusters = Cluster.objects.select_related("district")
    return render(request, "clusters/directory.html", {"clusters": clusters})
