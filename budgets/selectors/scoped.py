"""Scoped reads: LA officers see every cluster, anyone else their own; outside the scope is 404."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404

from clusters.models import Cluster
from portal.roles import Scope, scope_for

from ..models import (
    ClusterBudget,
    FinancialYear,
    LedgerEntry,
    PaymentInstalment,
)
from .totals import with_totals


def _scope(user_or_scope: AbstractBaseUser | Scope) -> Scope:
    return user_or_scope if isinstance(user_or_scope, Scope) else scope_for(user_or_scope)


def visible_budgets(user: AbstractBaseUser | Scope) -> QuerySet[ClusterBudget]:
    scope = _scope(user)
    qs = ClusterBudget.objects.select_related("cluster", "stream", "year")
    if scope.is_la:
        return qs
    return qs.filter(cluster_id__in=scope.cluster_ids)


def get_budget(user: AbstractBaseUser | Scope, pk: int) -> ClusterBudget:
    try:
        return with_totals(visible_budgets(user)).get(pk=pk)
    except ClusterBudget.DoesNotExist:
        raise Http404("No such budget") from None


def visible_clusters(user: AbstractBaseUser | Scope) -> QuerySet[Cluster]:
    scope = _scope(user)
    qs = Cluster.objects.select_related("district")
    return qs if scope.is_la else qs.filter(pk__in=scope.cluster_ids)


def get_cluster(user: AbstractBaseUser | Scope, pk: int) -> Cluster:
    try:
        return visible_clusters(user).get(pk=pk)
    except Cluster.DoesNotExist:
        raise Http404("No such cluster") from None


def visible_ledger(user: AbstractBaseUser | Scope) -> QuerySet[LedgerEntry]:
    """Ledger lines name who did what and why: LA officers only."""
    scope = _scope(user)
    if not scope.is_la:
        return LedgerEntry.objects.none()
    return LedgerEntry.objects.select_related(
        "budget__cluster", "budget__stream", "budget__year", "created_by", "request", "school"
    )


def visible_instalments(user: AbstractBaseUser | Scope) -> QuerySet[PaymentInstalment]:
    scope = _scope(user)
    if not scope.is_la:
        return PaymentInstalment.objects.none()
    return PaymentInstalment.objects.select_related(
        "request", "school", "budget__cluster", "budget__stream", "budget__year", "payment"
    )


def filter_ledger(
    qs: QuerySet,
    *,
    cluster: int | None = None,
    stream: int | None = None,
    year: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    date_field: str = "created_at__date",
    budget_path: str = "budget",
) -> QuerySet:
    if cluster:
        qs = qs.filter(**{f"{budget_path}__cluster_id": cluster})
    if stream:
        qs = qs.filter(**{f"{budget_path}__stream_id": stream})
    if year:
        qs = qs.filter(**{f"{budget_path}__year__start_year": year})
    if date_from:
        qs = qs.filter(**{f"{date_field}__gte": date_from})
    if date_to:
        qs = qs.filter(**{f"{date_field}__lte": date_to})
    return qs


def financial_years() -> QuerySet[FinancialYear]:
    return FinancialYear.objects.all()
