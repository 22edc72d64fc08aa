"""Every read of report runs, scoped by the user: LA officers see every run; a
headteacher sees the runs for their own school's cluster; anything else is 404."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from clusters.models import Cluster, District, Membership, Role
from portal.roles import scope_for

from .models import ReportRun, ScopeKind


def headteacher_cluster_ids(user: AbstractBaseUser) -> set[int]:
    cached = getattr(user, "_report_head_clusters", None)
    if cached is None:
        cached = set(
            Membership.objects.filter(
                user_id=user.pk, role=Role.HEADTEACHER, school__cluster__isnull=False
            ).values_list("school__cluster_id", flat=True)
        )
        user._report_head_clusters = cached
    return cached


def visible_runs(user: AbstractBaseUser) -> QuerySet[ReportRun]:
    # The stored figures (``result``) can be megabytes: loaded only when a page shows them.
    runs = ReportRun.objects.select_related("cluster", "district", "requested_by").defer("result")
    scope = scope_for(user)
    if scope.is_la:
        return runs
    clusters = headteacher_cluster_ids(user) if scope.is_headteacher else set()
    return runs.filter(scope_kind=ScopeKind.CLUSTER, cluster_id__in=clusters)


def get_run(user: AbstractBaseUser, pk: int) -> ReportRun:
    return get_object_or_404(visible_runs(user), pk=pk)


def requestable_clusters(user: AbstractBaseUser) -> QuerySet[Cluster]:
    clusters = Cluster.objects.select_related("district")
    if scope_for(user).is_la:
        return clusters
    return clusters.filter(pk__in=headteacher_cluster_ids(user))


def requestable_districts(user: AbstractBaseUser) -> QuerySet[District]:
    return District.objects.all() if scope_for(user).is_la else District.objects.none()


def latest_runs(user: AbstractBaseUser, limit: int = 5) -> list[ReportRun]:
    return list(visible_runs(user)[:limit])
