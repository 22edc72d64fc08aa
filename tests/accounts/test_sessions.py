"""Sessions end when left unused (eight hours for school staff, two for the LA's
people), and a person can sign out everywhere at once from their account page."""

import re
import time

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse

from accounts.models import UserSession
from accounts.sessions import LAST_SEEN
from clusters.models import Role
from tests.factories import SchoolFactory, make_user

pytestmark = pytest.mark.django_db
HOUR = 3600


@pytest.fixture
def school():
    return SchoolFactory(name="Ashfield Primary")


def signed_in(user, password) -> Client:
    client = Client()
    assert client.login(username=user.username, password=password)
    return client


def idle_for(client: Client, seconds: float) -> None:
    """Move the session's last activity back, as if nobody had used it since."""
    session = client.session
    session[LAST_SEEN] = time.time() - seconds
    session.save()


def is_signed_out(client: Client) -> str | None:
    """The sign-in page's text if the dashboard sends the client there, else None."""
    response = client.get(reverse("dashboard"), follow=True)
    if response.request["PATH_INFO"] != reverse("login"):
        return None
    return response.content.decode()


def test_school_staff_stay_signed_in_for_eight_idle_hours_and_no_more(school, password):
    senco = make_user(Role.SENCO, school=school)
    client = signed_in(senco, password)
    assert client.get(reverse("dashboard")).status_code == 200
    idle_for(client, 7.9 * HOUR)
    assert is_signed_out(client) is None
    # That visit was activity: the session's clock starts again, and so does its row's.
    assert client.session[LAST_SEEN] > time.time() - 60
    row = UserSession.objects.get(user_id=senco.pk)
    assert 7.9 * HOUR < (row.expire_date.timestamp() - time.time()) <= 8 * HOUR
    idle_for(client, 8.1 * HOUR)
    page = is_signed_out(client)
    assert page is not None
    assert (
        "You were signed out because you had not used the portal for 8 hours. "
        "Sign in again to carry on." in page
    )


@pytest.mark.parametrize("role", [Role.LA_SEND_OFFICER, Role.LA_FINANCE_OFFICER, Role.DPO])
def test_the_la_s_people_are_signed_out_after_two_idle_hours(role, password):
    officer = make_user(role)
    client = signed_in(officer, password)
    idle_for(client, 1.9 * HOUR)
    assert is_signed_out(client) is None
    idle_for(client, 2.1 * HOUR)
    page = is_signed_out(client)
    assert page is not None and "had not used the portal for 2 hours" in page
    # Signed out for good: the API refuses too.
    assert client.get("/api/v1/requests/").status_code in (401, 403)


def test_the_time_outs_are_the_la_s_to_set(school, password, settings):
    settings.SESSION_IDLE_SCHOOL_MINUTES = 45
    client = signed_in(make_user(Role.HEADTEACHER, school=school), password)
    idle_for(client, 46 * 60)
    assert "had not used the portal for 45 minutes" in is_signed_out(client)


def test_a_page_polling_by_itself_does_not_keep_the_session_alive(password):
    client = signed_in(make_user(Role.LA_FINANCE_OFFICER), password)
    idle_for(client, 1.5 * HOUR)
    before = client.session[LAST_SEEN]
    live = client.get(reverse("budgets:county_live"), headers={"HX-Request": "true"})
    assert live.status_code == 200
    assert client.session[LAST_SEEN] == before
    idle_for(client, 2.1 * HOUR)
    assert client.get(reverse("budgets:county_live"), headers={"HX-Request": "true"}).status_code
    assert is_signed_out(client) is not None


def test_the_account_page_says_when_the_session_ends(school, password):
    senco = make_user(Role.SENCO, school=school, first_name="Sam", last_name="Senco")
    page = signed_in(senco, password).get(reverse("account"))
    html = page.content.decode()
    assert page.status_code == 200 and "<title>Your account" in html
    assert "SENCO, Ashfield Primary" in html
    assert "After 8 hours without using the portal" in html


def test_sign_out_everywhere_ends_her_sessions_on_every_device_and_no_one_else_s(school, password):
    senco = make_user(Role.SENCO, school=school)
    colleague = make_user(Role.HEADTEACHER, school=school)
    laptop, phone = signed_in(senco, password), signed_in(senco, password)
    theirs = signed_in(colleague, password)
    assert UserSession.objects.filter(user_id=senco.pk).count() == 2

    response = laptop.post(reverse("sign_out_everywhere"), follow=True)
    assert response.request["PATH_INFO"] == reverse("login")
    assert "You have signed out everywhere: all 2 of your sessions have ended." in (
        response.content.decode()
    )
    assert is_signed_out(laptop) is not None
    assert is_signed_out(phone) is not None
    assert is_signed_out(theirs) is None
    assert not UserSession.objects.filter(user_id=senco.pk).exists()
    entry = LogEntry.objects.get(additional_data__event="signed out everywhere")
    assert (entry.actor, entry.object_pk, entry.changes_dict) == (
        senco,
        str(senco.pk),
        {"sessions": ["2", "0"]},
    )


def test_sign_out_everywhere_needs_the_page_s_csrf_token(school, password):
    senco = make_user(Role.SENCO, school=school)
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=senco.username, password=password)
    other = signed_in(senco, password)
    assert client.post(reverse("sign_out_everywhere")).status_code == 403
    assert is_signed_out(other) is None
    page = client.get(reverse("account")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert (
        client.post(reverse("sign_out_everywhere"), {"csrfmiddlewaretoken": token}).status_code
        == 302
    )
    assert is_signed_out(other) is not None
    # Only a POST: a link (or a crawler) cannot sign anyone out.
    again = signed_in(senco, password)
    assert again.get(reverse("sign_out_everywhere")).status_code == 405
