"""Finding things from the header: a request by its reference or its pupil's initials, a
school by name or URN — only among what the user may open, in a constant number of
queries whatever the size of the county."""

import pytest
from django.urls import reverse

from portal.models import ViewAudit
from tests.factories import FundingRequestFactory, SchoolFactory

pytestmark = pytest.mark.django_db


def submitted(school, reference: str, initials: str = "AB"):
    return FundingRequestFactory(
        school=school, reference=reference, state="submitted", pupil_initials=initials
    )


def found(client, q: str) -> str:
    response = client.get(reverse("search"), {"q": q})
    assert response.status_code == 200
    return response.content.decode()


def test_a_send_officer_finds_a_request_by_its_reference_and_the_view_is_audited(
    client, send_officer, school_a
):
    fr = submitted(school_a, "ENG-2026-00123", initials="JT")
    client.force_login(send_officer)

    page = found(client, "00123")

    assert "ENG-2026-00123" in page and reverse("funding:detail", args=[fr.pk]) in page
    assert ViewAudit.objects.filter(action="search", object_id=str(fr.pk)).exists()


def test_a_senco_finds_their_pupil_by_initials_but_never_another_schools(
    client, senco_a, school_a, school_b
):
    submitted(school_a, "ENG-2026-00001", initials="JT")
    submitted(school_b, "ENG-2026-00002", initials="JT")
    client.force_login(senco_a)

    page = found(client, "jt")

    assert "ENG-2026-00001" in page
    assert "ENG-2026-00002" not in page and "Brookside" not in page


def test_a_school_is_found_by_name_or_urn_within_the_users_clusters(
    client, senco_a, school_a, school_b
):
    client.force_login(senco_a)

    assert "Ashfield Primary" in found(client, "ashf")
    assert "Ashfield Primary" in found(client, str(school_a.urn))
    assert "Brookside Primary" not in found(client, "Brookside")
    assert "Nothing you can open matches" in found(client, str(school_b.urn))


def test_a_finance_officer_searching_initials_finds_nothing_of_the_pupil(
    client, finance_officer, school_a
):
    submitted(school_a, "ENG-2026-00007", initials="QZ")
    client.force_login(finance_officer)

    page = found(client, "QZ")

    assert "ENG-2026-00007" not in page
    assert found(client, "ENG-2026-00007").count("QZ") == 0


def test_every_page_has_the_search_in_its_header(client, senco_a):
    client.force_login(senco_a)
    page = client.get(reverse("dashboard")).content.decode()
    assert 'action="/search/"' in page and 'name="q"' in page


@pytest.mark.parametrize("schools", [3, 30])
def test_search_takes_the_same_queries_at_any_size(
    client, send_officer, django_assert_max_num_queries, schools
):
    for n in range(schools):
        school = SchoolFactory(name=f"Oakwood {n} Primary")
        submitted(school, f"ENG-2026-{n:05d}")
    client.force_login(send_officer)
    client.get(reverse("dashboard"))  # the session and the user, loaded once

    # session, user, scope, requests, schools, the audit row, the unread count
    with django_assert_max_num_queries(8):
        page = found(client, "Oakwood")

    assert "Oakwood 0 Primary" in page


def test_the_notifications_link_shows_the_unread_count(client, senco_a):
    from portal.notifications import notify

    notify([senco_a], "One")
    notify([senco_a], "Two")
    client.force_login(senco_a)

    page = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="unread-count">2<' in page

    client.get(reverse("notifications"))
    page = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="unread-count"' not in page


def test_signing_out_says_so(client, senco_a):
    client.force_login(senco_a)

    response = client.post(reverse("logout"), follow=True)

    assert "You have signed out." in response.content.decode()


def test_a_refusal_is_the_portals_own_403_page_saying_why(client, send_officer):
    client.force_login(send_officer)

    # The SEND officer sees the county's budgets but does not move money.
    response = client.get(reverse("budgets:allocate"))

    assert response.status_code == 403
    page = response.content.decode()
    assert "You cannot do this" in page and "Only an LA finance officer can do this." in page


def test_the_demo_shows_the_real_404_and_500_pages_with_debug_on(client, senco_a, settings):
    settings.DEBUG = True
    settings.FRIENDLY_ERROR_PAGES = True
    client.force_login(senco_a)

    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
    assert "URLconf" not in response.content.decode()
