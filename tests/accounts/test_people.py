"""The LA SEND officer's people page and the memberships API: find anyone by name or
email, by school (URN or name), cluster and role, with each of their memberships; in a
constant number of queries whatever the county's size."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clusters.models import Membership, Role
from tests.factories import ClusterFactory, SchoolFactory, UserFactory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def county():
    north = ClusterFactory(name="North Vale")
    south = ClusterFactory(name="South Downs")
    larkrise = SchoolFactory(name="Larkrise Primary", urn=123456, cluster=north)
    brook = SchoolFactory(name="Brook Academy", urn=654321, cluster=south)
    ada = make_user(
        Role.SENCO, school=larkrise, first_name="Ada", last_name="Lovelace", email="ada@lark.sch.uk"
    )
    Membership.objects.create(user=ada, role=Role.HEADTEACHER, school=brook)
    grace = make_user(
        Role.SENCO, school=brook, first_name="Grace", last_name="Hopper", email="grace@brook.sch.uk"
    )
    panel = make_user(Role.PANEL_MEMBER, cluster=north, first_name="Pat", last_name="Panel")
    officer = make_user(Role.LA_SEND_OFFICER, first_name="Olive", last_name="Officer")
    return {"north": north, "south": south, "larkrise": larkrise, "ada": ada, "grace": grace,
            "panel": panel, "officer": officer}  # fmt: skip


def names(response) -> list[str]:
    return [p.last_name for p in response.context["page"].object_list]


def test_the_officer_finds_people_by_name_email_school_cluster_and_role(client, county):
    client.force_login(county["officer"])
    url = reverse("people:list")
    assert names(client.get(url)) == ["Hopper", "Lovelace", "Officer", "Panel"]
    assert names(client.get(url, {"q": "ada lovelace"})) == ["Lovelace"]
    assert names(client.get(url, {"q": "brook.sch"})) == ["Hopper"]
    assert names(client.get(url, {"school": "123456"})) == ["Lovelace"]
    assert names(client.get(url, {"school": "brook"})) == ["Hopper", "Lovelace"]
    # A cluster: its schools' staff and its panel members.
    assert names(client.get(url, {"cluster": county["north"].pk})) == ["Lovelace", "Panel"]
    assert names(client.get(url, {"role": Role.HEADTEACHER})) == ["Lovelace"]
    # The conditions hold of one membership: Ada is a SENCO, but not at Brook.
    assert names(client.get(url, {"school": "brook", "role": Role.SENCO})) == ["Hopper"]
    # Not understood: ignored, never an error.
    assert client.get(url, {"role": "pope", "cluster": "1e30"}).status_code == 200


def test_each_person_is_shown_with_every_membership_and_its_end(client, county):
    membership = county["ada"].memberships.get(role=Role.SENCO)
    membership.ends_on = timezone.localdate() + timedelta(days=1)
    membership.save()
    client.force_login(county["officer"])
    page = client.get(reverse("people:list"), {"q": "Lovelace"}).content.decode()
    assert "Larkrise Primary" in page and "Brook Academy" in page
    assert f"{membership.ends_on:%-d %b %Y}" in page


def test_only_the_send_officer_and_administrators_have_the_people_page(client, county, settings):
    finance = make_user(Role.LA_FINANCE_OFFICER)
    for who in (county["ada"], county["grace"], county["panel"], finance):
        client.force_login(who)
        assert client.get(reverse("people:list")).status_code == 404
        assert client.get("/api/v1/memberships/").status_code == 404
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert client.get(reverse("people:list")).status_code == 200


def test_the_officers_dashboard_links_to_the_people_page(client, county):
    client.force_login(county["officer"])
    assert reverse("people:list") in client.get(reverse("dashboard")).content.decode()


def test_the_api_lists_memberships_with_the_same_filters(client, county):
    client.force_login(county["officer"])
    answer = client.get("/api/v1/memberships/", {"school": "brook"}).json()
    rows = {(r["username"], r["role"], r["school_urn"]) for r in answer["results"]}
    assert rows == {
        (county["ada"].username, Role.HEADTEACHER, 654321),
        (county["grace"].username, Role.SENCO, 654321),
    }
    assert all(r["current"] and r["ends_on"] is None for r in answer["results"])


def _many_people(count: int) -> None:
    cluster = ClusterFactory()
    schools = [SchoolFactory(cluster=cluster) for _ in range(max(1, count // 5))]
    for i in range(count):
        school = schools[i % len(schools)]
        user = make_user(Role.SENCO, school=school)
        Membership.objects.create(user=user, role=Role.HEADTEACHER, school=school)


@pytest.mark.parametrize("count", [20, 600])
def test_the_people_page_and_api_take_the_same_queries_whatever_the_county(
    client, django_assert_max_num_queries, count
):
    officer = make_user(Role.LA_SEND_OFFICER)
    _many_people(count)
    client.force_login(officer)
    with django_assert_max_num_queries(9):
        assert client.get(reverse("people:list"), {"school": "school"}).status_code == 200
    with django_assert_max_num_queries(9):
        assert client.get(reverse("people:list"), {"page": 2}).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/memberships/").status_code == 200
