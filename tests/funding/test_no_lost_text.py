"""No lost text: the long text of a request step saves itself as the SENCO types
(autosave, through the same service and version check as "Save"), a session time-out
keeps what she typed over the sign-in, and Back never shows a stale copy of a step."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from funding import services
from funding.models import FundingRequest
from portal import typed_text
from tests.funding.factories import draft_request
from tests.funding.helpers import text

pytestmark = pytest.mark.django_db

UPN = "A123456789012"


def autosave(client, fr, step, **fields):
    return client.post(
        reverse("funding:autosave", args=[fr.pk, step]), fields, HTTP_HX_REQUEST="true"
    )


def test_the_long_text_saves_itself_and_says_when_in_london_time(senco_a, login):
    fr = draft_request(senco_a)
    client = login(senco_a)
    page = text(client.get(reverse("funding:needs", args=[fr.pk])))
    # Each long text field posts itself a few seconds after typing stops.
    field = re.search(r"<textarea[^>]*name=\"agencies_involved\"[^>]*>", page).group(0)
    assert f'hx-post="{reverse("funding:autosave", args=[fr.pk, "needs"])}"' in field
    assert 'hx-trigger="input changed delay:3s"' in field
    assert 'id="autosave-status"' in page
    answer = autosave(client, fr, "needs", agencies_involved="EP and SaLT", version="1")
    assert answer.status_code == 200
    saved = FundingRequest.objects.get(pk=fr.pk)
    assert saved.agencies_involved == "EP and SaLT" and saved.version == 2
    london = datetime.now(ZoneInfo("Europe/London"))
    shown_at = re.search(r"Saved at (\d\d):(\d\d)", text(answer))
    assert (
        shown_at
        and int(shown_at.group(1)) == saved.updated_at.astimezone(ZoneInfo("Europe/London")).hour
    )
    assert abs(int(shown_at.group(1)) * 60 + int(shown_at.group(2))
               - (london.hour * 60 + london.minute)) <= 1  # fmt: skip
    # The page's own version moves on with it (out of band), so its "Save" is not refused.
    assert 'value="2" data-version hx-swap-oob="outerHTML:input[data-version]"' in text(answer)
    # Nothing new: nothing saved, the version stays.
    again = autosave(client, fr, "needs", agencies_involved="EP and SaLT", version="2")
    assert again.status_code == 204 and FundingRequest.objects.get(pk=fr.pk).version == 2


def test_autosave_never_saves_a_half_typed_upn_or_initials(senco_a, login):
    fr = draft_request(senco_a, pupil_initials="AB")
    key = fr.pupil_key
    client = login(senco_a)
    page = text(client.get(reverse("funding:pupil", args=[fr.pk])))
    upn_input = re.search(r"<input[^>]*name=\"upn\"[^>]*>", page).group(0)
    initials = re.search(r"<input[^>]*name=\"pupil_initials\"[^>]*>", page).group(0)
    assert "hx-post" not in upn_input and "data-autosave" not in upn_input
    assert "hx-post" not in initials
    # Even if a half-typed UPN and new initials reach the autosave, only the text is saved.
    answer = autosave(
        client, fr, "pupil", upn="A1234", pupil_initials="Z", project_summary="Nurture group",
        version="1",
    )  # fmt: skip
    assert answer.status_code == 200
    saved = FundingRequest.objects.get(pk=fr.pk)
    assert saved.project_summary == "Nurture group"
    assert (saved.pupil_key, saved.pupil_initials) == (key, "AB")


def test_a_stale_autosave_shows_the_conflict_and_overwrites_nothing(senco_a, login):
    fr = draft_request(senco_a)
    client = login(senco_a)
    services.update_request(fr, user=senco_a, version=1, parent_voice="Mornings are hard.")
    before = FundingRequest.objects.get(pk=fr.pk)
    answer = autosave(client, fr, "consent", parent_voice="Lunchtimes are hard.", version="1")
    assert answer.status_code == 409
    body = text(answer)
    assert 'data-autosave-result="conflict"' in body
    assert "Lunchtimes are hard." in body and "Mornings are hard." in body
    after = FundingRequest.objects.get(pk=fr.pk)
    assert (after.parent_voice, after.version) == (before.parent_voice, before.version)


def test_autosave_signed_out_or_too_long_saves_nothing_and_says_why(senco_a, login):
    fr = draft_request(senco_a)
    signed_out = autosave(Client(), fr, "needs", agencies_involved="EP", version="1")
    assert signed_out.status_code == 401 and "signed out" in text(signed_out)
    client = login(senco_a)
    too_long = autosave(client, fr, "needs", agencies_involved="x" * 20000, version="1")
    assert too_long.status_code == 400 and "Not saved yet" in text(too_long)
    assert FundingRequest.objects.get(pk=fr.pk).version == 1
    assert autosave(client, fr, "documents", version="1").status_code == 404


def test_another_school_cannot_autosave_the_request(senco_a, senco_b, login):
    fr = draft_request(senco_a)
    refused = autosave(login(senco_b), fr, "needs", agencies_involved="EP", version="1")
    assert refused.status_code == 404
    assert FundingRequest.objects.get(pk=fr.pk).agencies_involved != "EP"


NEEDS = {"primary_need": "SEMH", "secondary_need": "", "sen_support_since_0": "3",
         "sen_support_since_1": "9", "sen_support_since_2": "2025", "band": "",
         "ordinarily_available_provision": "Daily check-ins with a key adult.",
         "agencies_involved": "EP since May", "continue": "1"}  # fmt: skip


def test_a_session_time_out_keeps_the_text_and_brings_her_back_to_the_step(
    senco_a, login, password
):
    fr = draft_request(senco_a)
    url = reverse("funding:needs", args=[fr.pk])
    client = login(senco_a)
    client.get(url)
    client.session.flush()  # the session expires on the server
    client.cookies.pop("sessionid", None)
    before = FundingRequest.objects.get(pk=fr.pk)
    kept = client.post(url, {**NEEDS, "version": "1"})
    assert kept.status_code == 302
    where = urlparse(kept["Location"])
    back = parse_qs(where.query)["next"][0]
    assert back.startswith(f"{url}?restore=")
    assert FundingRequest.objects.get(pk=fr.pk).version == before.version  # not saved
    assert client.login(username=senco_a.username, password=password)
    page = client.get(back)
    assert page.status_code == 200
    body = text(page)
    assert "Daily check-ins with a key adult." in body and "EP since May" in body
    assert "You were signed out before this was saved" in body
    assert 'name="version" value="1"' in body  # saved on the version it was typed on
    assert FundingRequest.objects.get(pk=fr.pk).ordinarily_available_provision != (
        "Daily check-ins with a key adult."
    )
    # The token works once.
    assert "Daily check-ins with a key adult." not in text(client.get(back))


def test_the_kept_text_never_holds_the_upn(senco_a, login, password):
    fr = draft_request(senco_a)
    url = reverse("funding:pupil", args=[fr.pk])
    client = Client()
    kept = client.post(
        url, {"request_type": "individual", "pupil_initials": "TQ", "upn": UPN, "version": "1"}
    )
    token = parse_qs(parse_qs(urlparse(kept["Location"]).query)["next"][0].split("?")[1])[
        "restore"
    ][0]
    stored = cache.get(typed_text._PREFIX + token)
    assert ("pupil_initials", "TQ") in stored["fields"]
    assert all(name != "upn" and UPN not in value for name, value in stored["fields"])
    # Only on the step it was typed on.
    assert client.login(username=senco_a.username, password=password)
    other = reverse("funding:needs", args=[fr.pk])
    assert "TQ" not in text(client.get(f"{other}?restore={token}"))


def test_back_never_shows_a_stale_copy_of_a_step(senco_a, login):
    fr = draft_request(senco_a)
    client = login(senco_a)
    for step in ("pupil", "needs", "evidence", "provision", "consent", "documents"):
        response = client.get(reverse(f"funding:{step}", args=[fr.pk]))
        assert response["Cache-Control"] == "no-store", step


def test_the_outcomes_and_the_voices_save_themselves_too(senco_a, login):
    fr = draft_request(senco_a)
    client = login(senco_a)
    for step, field in (("provision", "outcomes_sought"), ("consent", "parent_voice"),
                        ("consent", "pupil_voice")):  # fmt: skip
        page = text(client.get(reverse(f"funding:{step}", args=[fr.pk])))
        tag = re.search(rf"<textarea[^>]*name=\"{field}\"[^>]*>", page).group(0)
        assert f'hx-post="{reverse("funding:autosave", args=[fr.pk, step])}"' in tag, field
        version = FundingRequest.objects.get(pk=fr.pk).version
        answer = autosave(client, fr, step, **{field: f"Typed {field}", "version": str(version)})
        assert answer.status_code == 200 and "Saved at" in text(answer), field
        assert getattr(FundingRequest.objects.get(pk=fr.pk), field) == f"Typed {field}"


def test_a_provision_line_typed_before_a_time_out_comes_back_in_its_form(senco_a, login, password):
    fr = draft_request(senco_a)
    url = reverse("funding:provision", args=[fr.pk])
    client = Client()
    kept = client.post(url, {"line-description": "Speech and language sessions",
                             "line-hours_per_week": "2", "line-weeks": "30",
                             "line-hourly_rate": "31.50", "add_line": "1", "version": "1"})  # fmt: skip
    back = parse_qs(urlparse(kept["Location"]).query)["next"][0]
    lines = fr.provision_lines.count()
    assert client.login(username=senco_a.username, password=password)
    page = client.get(back)
    assert page.status_code == 200
    assert 'value="Speech and language sessions"' in text(page)
    assert fr.provision_lines.count() == lines  # not added until she adds it


def test_an_evidence_cycle_or_a_changed_line_typed_before_a_time_out_comes_back(senco_a, password):
    fr = draft_request(senco_a)
    line = fr.provision_lines.first()
    typed = [
        (reverse("funding:evidence", args=[fr.pk]),
         {"assess": "Boxall profile in September", "plan": "Nurture group three mornings",
          "duration_weeks": "12", "impact": "Fewer exits from class", "version": "1"},
         "Boxall profile in September"),
        (reverse("funding:edit_line", args=[fr.pk, line.pk]),
         {"description": "One-to-one reading with a TA", "hours_per_week": "3", "weeks": "30",
          "hourly_rate": "18", "version": "1"},
         "One-to-one reading with a TA"),
    ]  # fmt: skip
    for url, data, shown_again in typed:
        client = Client()
        back = parse_qs(urlparse(client.post(url, data)["Location"]).query)["next"][0]
        assert client.login(username=senco_a.username, password=password)
        page = client.get(back)
        assert page.status_code == 200, url
        assert shown_again in text(page), url
        assert "You were signed out before this was saved" in text(page), url
    assert FundingRequest.objects.get(pk=fr.pk).version == 1  # nothing saved
