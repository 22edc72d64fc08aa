"""The pupil's UPN, entered once: checked by its check letter, kept only as a keyed hash,
never shown again; the pupil's requests linked across schools and years; the secret
rotated with the LA's list of UPNs."""

import hashlib
import hmac
import logging

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from funding import services
from funding.models import FundingRequest
from portal import pupil_key
from tests.factories import FundingRequestFactory

# Worked by hand: 1 2 3 4 5 6 7 8 9 0 1 2 weighted 2..13 is
# 2+6+12+20+30+42+56+72+90+0+12+26 = 368; 368 = 16 x 23 + 0, and letter 0 is A.
UPN = "A123456789012"
# A temporary UPN ends in a letter (A counts 0): 2+6+12+20+30+42+56+72+90+0+12+0 = 342;
# 342 = 14 x 23 + 20, and letter 20 (A B C D E F G H J K L M N P Q R T U V W X) is X.
TEMPORARY = "X12345678901A"
# Worked by hand: 9 9 9 ... 9 (11 nines) weighted 2..12 is 9 x 77 = 693, plus 13 x 3 = 39:
# 732 = 31 x 23 + 19, letter 19 is W.
OTHER_UPN = "W999999999993"
SECRET = "test-pupil-key-secret"


def test_the_check_letter_is_computed_from_the_other_twelve_characters():
    assert pupil_key.check_letter(UPN[1:]) == "A"
    assert pupil_key.check_letter(TEMPORARY[1:]) == "X"
    assert pupil_key.check_letter(OTHER_UPN[1:]) == "W"
    assert pupil_key.is_valid(" a123 4567 89012 ")  # spaces and small letters are fine
    assert not pupil_key.is_valid("B123456789012")  # a wrong check letter
    assert not pupil_key.is_valid("A123456789013")  # one digit mistyped
    assert "13 characters" in pupil_key.upn_problem("A12345")
    assert "11 digits" in pupil_key.upn_problem("A1234567890I2")
    assert "does not match" in pupil_key.upn_problem("B123456789012")


def test_the_key_is_hmac_sha256_of_the_upn_under_the_las_secret():
    expected = hmac.new(SECRET.encode(), UPN.encode(), hashlib.sha256).hexdigest()
    assert pupil_key.key_for(UPN, SECRET) == expected
    assert pupil_key.key_for("a123456789012", SECRET) == expected
    assert pupil_key.key_for(UPN, "another LA") != expected


@pytest.fixture
def draft(senco_a, school_a, stream):
    return FundingRequestFactory(school=school_a, stream=stream, created_by=senco_a)


def test_the_senco_enters_the_upn_once_and_the_portal_keeps_only_its_key(
    draft, senco_a, login, caplog
):
    caplog.set_level(logging.DEBUG)
    client = login(senco_a)
    page = client.get(f"/requests/{draft.pk}/pupil/")
    assert "Pupil&#x27;s UPN" in page.text or "Pupil's UPN" in page.text

    bad = client.post(
        f"/requests/{draft.pk}/pupil/",
        {"request_type": "individual", "pupil_initials": "AB", "upn": "B123456789012"},
    )
    assert bad.status_code == 400
    assert "first letter does not match" in bad.text
    assert "B123456789012" not in bad.text  # never shown again, even to correct it

    ok = client.post(
        f"/requests/{draft.pk}/pupil/",
        {"request_type": "individual", "pupil_initials": "AB", "upn": "a123 456789012"},
    )
    assert ok.status_code == 302
    draft.refresh_from_db()
    assert draft.pupil_key == pupil_key.key_for(UPN, SECRET)
    again = client.get(f"/requests/{draft.pk}/pupil/")
    assert UPN not in again.text and "A UPN is recorded" in again.text
    detail = client.get(f"/requests/{draft.pk}/")
    assert "Recorded (never shown)" in detail.text and UPN not in detail.text
    # Nowhere in the database, nor in any log line.
    assert not FundingRequest.objects.filter(pupil_initials__contains=UPN).exists()
    assert UPN not in caplog.text and "A123" not in caplog.text


def test_a_group_request_has_no_upn(draft, senco_a, login):
    response = login(senco_a).post(
        f"/requests/{draft.pk}/pupil/",
        {"request_type": "group", "number_of_pupils": "4", "upn": UPN},
    )
    assert response.status_code == 400
    assert "only for a request for one pupil" in response.text


def test_the_api_takes_the_upn_and_never_answers_it(senco_a, stream):
    api = APIClient()
    api.force_authenticate(senco_a)
    refused = api.post(
        "/api/v1/requests/", {"stream": stream.pk, "upn": "B123456789012"}, format="json"
    )
    assert refused.status_code == 400
    assert "first letter does not match" in str(refused.data)
    assert "B123456789012" not in refused.content.decode()
    made = api.post("/api/v1/requests/", {"stream": stream.pk, "upn": UPN}, format="json")
    assert made.status_code == 201, made.data
    assert made.data["has_upn"] is True and "upn" not in made.data
    assert UPN not in made.content.decode()
    fr = FundingRequest.objects.get(pk=made.data["id"])
    assert fr.pupil_key == pupil_key.key_for(UPN, SECRET)
    listed = api.get("/api/v1/requests/")
    assert UPN not in listed.content.decode() and fr.pupil_key not in listed.content.decode()


def test_the_pupils_requests_link_across_schools_for_those_who_may_see_them(
    school_a, school_b, senco_a, senco_b, send_officer, stream, login
):
    key = pupil_key.key_for(UPN, SECRET)
    at_a = FundingRequestFactory(
        school=school_a, stream=stream, created_by=senco_a, pupil_key=key, state="declined",
        reference="ENG-1",
    )  # fmt: skip
    at_b = FundingRequestFactory(
        school=school_b, stream=stream, created_by=senco_b, pupil_key=key, state="submitted",
        reference="ENG-2",
    )  # fmt: skip
    FundingRequestFactory(
        school=school_b, stream=stream, created_by=senco_b, reference="ENG-3", state="submitted",
        pupil_key=pupil_key.key_for(OTHER_UPN, SECRET),
    )  # fmt: skip
    la = login(send_officer).get(f"/requests/{at_b.pk}/")
    assert "This pupil&#x27;s other requests" in la.text or "This pupil's other requests" in la.text
    assert "ENG-1" in la.text and "ENG-3" not in la.text
    # Each school's SENCO sees only their own school's requests, so no link to the other.
    own = login(senco_b).get(f"/requests/{at_b.pk}/")
    assert "ENG-1" not in own.text
    assert login(senco_a).get(f"/requests/{at_b.pk}/").status_code == 404
    assert at_a.pk


def test_a_continuation_keeps_the_pupils_key(draft, senco_a):
    draft.pupil_key = pupil_key.key_for(UPN, SECRET)
    draft.state = "closed"
    draft.reference = "ENG-9"
    draft.save()
    again = services.start_continuation(draft, user=senco_a)
    assert again.pupil_key == draft.pupil_key


# ---------------------------------------------------------------- rotating the secret


@pytest.fixture
def keyed(stream, senco_a, school_a):
    one = FundingRequestFactory(stream=stream, school=school_a, created_by=senco_a)
    two = FundingRequestFactory(stream=stream, school=school_a, created_by=senco_a)
    FundingRequest.objects.filter(pk=one.pk).update(pupil_key=pupil_key.key_for(UPN, SECRET))
    FundingRequest.objects.filter(pk=two.pk).update(pupil_key=pupil_key.key_for(OTHER_UPN, SECRET))
    return one, two


def _rotate(tmp_path, monkeypatch, lines, *args, old=SECRET, new="the new secret"):
    monkeypatch.setenv("PUPIL_KEY_SECRET_OLD", old)
    monkeypatch.setenv("PUPIL_KEY_SECRET_NEW", new)
    path = tmp_path / "upns.csv"
    path.write_text("\n".join(lines) + "\n")
    call_command("rotate_pupil_key", str(path), *args)


def test_rotation_rekeys_every_pupil_from_the_las_list(keyed, tmp_path, monkeypatch):
    from datetime import date

    from reports.models import EscalationImport, EscalationRecord

    one, two = keyed
    record = EscalationRecord.objects.create(
        pupil_key=pupil_key.key_for(UPN, SECRET),
        kind="ehcp_issued",
        on=date(2026, 1, 5),
        source=EscalationImport.objects.create(),
    )
    _rotate(tmp_path, monkeypatch, ["UPN", UPN, OTHER_UPN, TEMPORARY])
    one.refresh_from_db(), two.refresh_from_db(), record.refresh_from_db()
    assert one.pupil_key == pupil_key.key_for(UPN, "the new secret")
    assert two.pupil_key == pupil_key.key_for(OTHER_UPN, "the new secret")
    assert record.pupil_key == one.pupil_key  # the LA's records follow


@pytest.mark.usefixtures("keyed")
def test_rotation_refuses_a_pupil_missing_from_the_list_or_a_wrong_old_secret(
    tmp_path, monkeypatch
):
    before = dict(FundingRequest.objects.values_list("pk", "pupil_key"))
    with pytest.raises(CommandError, match="1 of the 2 pupils"):
        _rotate(tmp_path, monkeypatch, [UPN])
    with pytest.raises(CommandError, match="2 of the 2 pupils"):
        _rotate(tmp_path, monkeypatch, [UPN, OTHER_UPN], old="not the secret in use")
    with pytest.raises(CommandError, match="1 problem"):
        _rotate(tmp_path, monkeypatch, [UPN, OTHER_UPN, "B123456789012"])
    with pytest.raises(CommandError, match="same as the old"):
        _rotate(tmp_path, monkeypatch, [UPN, OTHER_UPN], new=SECRET)
    assert dict(FundingRequest.objects.values_list("pk", "pupil_key")) == before


def test_rotation_can_forget_the_pupils_the_la_no_longer_holds(keyed, tmp_path, monkeypatch):
    one, two = keyed
    _rotate(tmp_path, monkeypatch, [UPN], "--forget-unmatched")
    one.refresh_from_db(), two.refresh_from_db()
    assert one.pupil_key == pupil_key.key_for(UPN, "the new secret")
    assert two.pupil_key == ""
