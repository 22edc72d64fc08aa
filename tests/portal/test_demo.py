"""The demo county a newcomer gets from ``bin/demo``: its shape, its logins, its seed."""

import io
import random
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count
from django.urls import reverse

from clusters.models import Cluster, District, Membership, Phase, Role, School, SchoolYearStats
from demo import clusters as clusters_demo
from demo import context as demo

pytestmark = pytest.mark.django_db

TODAY = "2026-03-02"  # academic year 2025/26; the previous one is 2024/25


def load_demo(*extra: str) -> str:
    out = io.StringIO()
    call_command("load_demo_county", "--seed", "11", "--today", TODAY, *extra, stdout=out)
    return out.getvalue()


@pytest.fixture
def only_the_clusters_step(monkeypatch):
    """Most stories are about this step alone; the other apps' steps have their own tests."""
    monkeypatch.setattr(demo, "DEMO_STEPS", ("demo.clusters.load",))


@pytest.fixture
def county(only_the_clusters_step):
    load_demo()


def test_the_demo_county_is_shaped_like_oxfordshire(county):
    assert sorted(District.objects.values_list("name", flat=True)) == [
        "Cherwell",
        "Oxford",
        "South Oxfordshire",
        "Vale of White Horse",
        "West Oxfordshire",
    ]
    assert Cluster.objects.count() == 17
    per_district = District.objects.annotate(n=Count("clusters")).values_list("n", flat=True)
    assert all(3 <= n <= 4 for n in per_district)
    assert 280 <= School.objects.count() <= 320
    assert not School.objects.filter(cluster__isnull=True).exists()
    assert set(School.objects.values_list("la_code", flat=True)) == {"931"}
    assert all(100000 <= urn <= 999999 for urn in School.objects.values_list("urn", flat=True))
    phases = dict(School.objects.values_list("phase").annotate(n=Count("id")))
    assert phases[Phase.PRIMARY] > 200
    assert phases[Phase.SECONDARY] >= 30
    assert phases[Phase.SPECIAL] >= 10
    assert phases[Phase.NURSERY] >= 5
    assert phases.get(Phase.POST_16, 0) + phases.get(Phase.ALL_THROUGH, 0) >= 3


def test_every_school_has_two_years_of_plausible_statistics(county):
    schools = School.objects.count()
    assert SchoolYearStats.objects.filter(academic_year=2025).count() == schools
    assert SchoolYearStats.objects.filter(academic_year=2024).count() == schools
    for stats in SchoolYearStats.objects.filter(academic_year=2025).select_related("school"):
        roll = stats.number_on_roll
        if stats.school.phase == Phase.PRIMARY:
            assert 90 <= roll <= 630
            assert stats.ehcp_pupils / roll <= 0.09  # 1-5%, a magnet up to 8%
        elif stats.school.phase == Phase.SECONDARY:
            assert 600 <= roll <= 1900
        elif stats.school.phase == Phase.SPECIAL:
            assert 60 <= roll <= 250
            assert stats.ehcp_pupils / roll > 0.9
        assert stats.notional_sen_budget >= 4000 * stats.sen_support_pupils - 1
        assert stats.notional_sen_budget <= 5000 * stats.sen_support_pupils


def test_a_few_magnet_schools_take_sen_joiners_who_did_not_move_house(only_the_clusters_step):
    ctx = demo.DemoContext(rng=random.Random(11), today=date(2026, 3, 2), out=io.StringIO())
    clusters_demo.load(ctx)
    magnets = SchoolYearStats.objects.filter(
        academic_year=2025, school__urn__in=ctx.shared["magnet_urns"]
    )
    assert magnets.count() == 2
    typical = sorted(
        SchoolYearStats.objects.filter(academic_year=2025).values_list(
            "sen_joiners_no_move", flat=True
        )
    )
    median = typical[len(typical) // 2]
    assert all(m.sen_joiners_no_move >= median + 10 for m in magnets)


def test_every_school_has_a_headteacher_and_a_senco_and_every_cluster_a_panel_member(county):
    schools = School.objects.count()
    assert Membership.objects.filter(role=Role.HEADTEACHER).count() == schools
    assert Membership.objects.filter(role=Role.SENCO).count() == schools
    heads_per_school = (
        School.objects.annotate(n=Count("memberships"))
        .order_by()
        .values_list("n", flat=True)
        .distinct()
    )
    assert list(heads_per_school) == [2]
    assert (
        Cluster.objects.filter(memberships__role=Role.PANEL_MEMBER).distinct().count()
        == Cluster.objects.count()
    )
    urn = School.objects.exclude(memberships__user__username="head.demo").first().urn
    assert Membership.objects.filter(
        user__username=f"head.{urn}", role=Role.HEADTEACHER, school__urn=urn
    ).exists()


def test_a_newcomer_signs_in_with_each_demo_login(county, client):
    for login in clusters_demo.DEMO_LOGINS:
        response = client.post(
            reverse("login"), {"username": login.username, "password": demo.DEMO_PASSWORD}
        )
        assert response.status_code == 302, login.username
        assert client.session["_auth_user_id"] == str(
            get_user_model().objects.get(username=login.username).pk
        )
        client.post(reverse("logout"))
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff


def test_the_demo_logins_hold_the_roles_they_are_shown_as(county):
    def roles(username):
        return set(
            Membership.objects.filter(user__username=username).values_list("role", flat=True)
        )

    assert roles("la.send") == {Role.LA_SEND_OFFICER}
    assert roles("la.finance") == {Role.LA_FINANCE_OFFICER}
    assert roles("la.dpo") == {Role.DPO}
    assert roles("senco.demo") == {Role.SENCO}
    assert roles("head.demo") == {Role.HEADTEACHER}
    assert roles("panel.demo") == {Role.PANEL_MEMBER}
    senco_school = Membership.objects.get(user__username="senco.demo").school
    head_school = Membership.objects.get(user__username="head.demo").school
    assert senco_school == head_school
    assert senco_school.phase == Phase.PRIMARY
    assert Membership.objects.get(user__username="panel.demo").cluster == senco_school.cluster


def test_demo_logins_prints_the_address_the_password_and_one_login_per_role(county):
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    printed = out.getvalue()
    assert "/sign-in/" in printed
    assert demo.DEMO_PASSWORD in printed
    for login in clusters_demo.DEMO_LOGINS:
        assert f"{login.role}: {login.username}" in printed
    school = Membership.objects.get(user__username="senco.demo").school
    assert school.name in printed


def _county_built_from(seed: int) -> list[tuple]:
    ctx = demo.DemoContext(rng=random.Random(seed), today=date(2026, 3, 2), out=io.StringIO())
    with transaction.atomic():
        clusters_demo.load(ctx)
        built = list(
            SchoolYearStats.objects.order_by("school__urn", "academic_year").values_list(
                "school__urn", "school__name", "school__cluster__code", "number_on_roll"
            )
        )
        transaction.set_rollback(True)  # leave the test database empty for the next build
    return built


def test_the_same_seed_builds_the_same_county_and_another_seed_another():
    first = _county_built_from(11)
    assert first == _county_built_from(11)
    assert first != _county_built_from(12)


def test_loading_again_with_if_empty_leaves_the_county_as_it_is(county):
    before = (School.objects.count(), get_user_model().objects.count())
    assert "left as it is" in load_demo("--if-empty")
    assert (School.objects.count(), get_user_model().objects.count()) == before
    with pytest.raises(CommandError, match="already has schools"):
        load_demo()


def test_a_step_whose_app_is_not_written_yet_is_skipped(monkeypatch):
    monkeypatch.setattr(
        demo,
        "DEMO_STEPS",
        ("demo.clusters.load", "demo.no_such_app.load", "demo.clusters.no_such_step"),
    )
    printed = load_demo()
    assert "demo.no_such_app.load: not provided yet, skipped" in printed
    assert "demo.clusters.no_such_step: not provided yet, skipped" in printed
    assert School.objects.exists()


def test_the_whole_demo_loads_with_every_app_step_written_so_far():
    load_demo()
    assert School.objects.exists()
    assert get_user_model().objects.filter(username="senco.demo").exists()
    # The panel's papers: each item on an agenda has the school's support plan, and the
    # LA writes notes for the panel.
    from funding.models import RequestDocument, RequestEvent
    from panels.models import AgendaItem

    items = list(AgendaItem.objects.all())
    assert items
    with_plan = set(RequestDocument.objects.values_list("request_id", flat=True))
    assert all(item.request_id in with_plan for item in items)
    assert RequestEvent.objects.filter(kind="triage").exclude(message="").exists()


def test_a_step_module_that_fails_to_import_stops_the_load_and_leaves_nothing(
    monkeypatch, tmp_path
):
    (tmp_path / "broken_demo_step.py").write_text("import no_such_library\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(demo, "DEMO_STEPS", ("demo.clusters.load", "broken_demo_step.load"))
    with pytest.raises(ModuleNotFoundError, match="no_such_library"):
        load_demo()
    assert not School.objects.exists()  # all or nothing, so --if-empty will try again


def test_the_newcomers_demo_school_has_a_request_at_every_step_the_senco_can_try():
    """``bin/demo`` as a newcomer runs it: the demo SENCO can try every journey, the
    outcome review included (the accessibility sweep walks the same pages)."""
    call_command("load_demo_county", stdout=io.StringIO())
    from funding.models import FundingRequest

    senco = get_user_model().objects.get(username="senco.demo")
    school_ids = senco.memberships.values_list("school_id", flat=True)
    states = set(
        FundingRequest.objects.filter(school_id__in=school_ids).values_list("state", flat=True)
    )
    assert {"draft", "submitted", "returned", "declined", "review_due"} <= states, states
