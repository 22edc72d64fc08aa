"""Recovery codes: shown once when two-factor sign-in is set up, each usable once instead
of the app's code; the person makes a new set (the old one stops working); an
administrator's reset (deleting the devices) is still there, and in the change log."""

import re

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from tests.portal.test_two_factor import code_for, sign_in

pytestmark = pytest.mark.django_db
CODES = reverse("two_factor:recovery_codes")
RECOVER = reverse("two_factor:recover")
SET_UP = reverse("two_factor:set_up")


@pytest.fixture
def enforced(settings):
    settings.OTP_ENFORCED = True


def set_up(client, user, password) -> list[str]:
    sign_in(client, user, password)
    client.get(SET_UP)
    page = client.post(SET_UP, {"code": code_for(user)}, follow=True).content.decode()
    return shown(page)


def shown(page: str) -> list[str]:
    return re.findall(r"<li><code>([^<]+)</code></li>", page)


def test_codes_are_shown_once_and_each_works_once(enforced, client, send_officer, password):
    codes = set_up(client, send_officer, password)
    assert len(codes) == 10 and len(set(codes)) == 10
    again = client.get(CODES).content.decode()
    assert codes[0] not in again, "never shown twice"
    assert "You have 10 unused recovery codes" in again

    client.post(reverse("logout"))
    sign_in(client, send_officer, password)
    assert client.get(reverse("funding:triage")).status_code == 302
    wrong = client.post(RECOVER, {"code": "abcd-efgh"})
    assert wrong.status_code == 400
    assert "that you have not used" in wrong.content.decode()
    StaticDevice.objects.filter(user=send_officer).update(throttling_failure_count=0)
    used = client.post(RECOVER, {"code": codes[0].upper().replace("-", " ")})
    assert used.status_code == 302
    assert client.get(reverse("funding:triage")).status_code == 200
    assert StaticToken.objects.filter(device__user=send_officer).count() == 9

    client.post(reverse("logout"))
    sign_in(client, send_officer, password)
    reused = client.post(RECOVER, {"code": codes[0]})
    assert reused.status_code == 400
    assert client.get(reverse("funding:triage")).status_code == 302


def test_a_new_set_replaces_the_old(enforced, client, send_officer, password):
    old = set_up(client, send_officer, password)
    page = client.post(CODES, follow=True).content.decode()
    new = shown(page)
    assert len(new) == 10 and not set(new) & set(old)
    client.post(reverse("logout"))
    sign_in(client, send_officer, password)
    assert client.post(RECOVER, {"code": old[1]}).status_code == 400
    StaticDevice.objects.filter(user=send_officer).update(throttling_failure_count=0)
    assert client.post(RECOVER, {"code": new[1]}).status_code == 302


def test_codes_are_not_shown_or_replaced_before_a_code_is_entered(
    enforced, client, send_officer, password
):
    set_up(client, send_officer, password)
    client.post(reverse("logout"))
    sign_in(client, send_officer, password)
    assert client.get(CODES)["Location"].startswith(reverse("two_factor:verify"))
    assert client.post(CODES)["Location"].startswith(reverse("two_factor:verify"))
    assert StaticToken.objects.filter(device__user=send_officer).count() == 10


def test_an_administrators_reset_is_in_the_change_log(enforced, client, send_officer, password):
    set_up(client, send_officer, password)
    device = StaticDevice.objects.get(user=send_officer)
    created = LogEntry.objects.get_for_object(device).count()
    assert created == 1
    pk = device.pk
    device.delete()  # what the admin's delete does
    assert LogEntry.objects.filter(
        content_type__model="staticdevice", object_pk=str(pk), action=LogEntry.Action.DELETE
    ).exists()
