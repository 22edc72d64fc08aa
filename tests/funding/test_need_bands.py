"""The LA SEND officer keeps the need bands on a portal page and through the API: the
band's need, level, description and usual range of awards. Schools read them; nobody
else changes them; a band requests are placed in keeps its need and level."""

from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from rest_framework.test import APIClient

from funding import services
from funding.models import NeedBand

from .factories import draft_request
from .helpers import text

pytestmark = pytest.mark.django_db
BANDS = "/api/v1/need-bands/"


def band_form(**changes) -> dict:
    data = {
        "need": "ASD",
        "band": "2",
        "descriptor": "Needs adult support for transitions and unstructured times.",
        "usual_award_min": "2,000",
        "usual_award_max": "6,000",
    }
    return {**data, **changes}


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_send_officer_adds_a_band_and_schools_then_see_its_range(send_officer, login):
    client = login(send_officer)
    assert "There are no need bands yet" in text(client.get(reverse("funding:need_bands")))

    response = client.post(reverse("funding:need_band_new"), band_form())

    assert response.status_code == 302
    band = NeedBand.objects.get()
    assert (band.need, band.band) == ("ASD", 2)
    assert (band.usual_award_min, band.usual_award_max) == (Decimal("2000.00"), Decimal("6000.00"))
    page = text(client.get(reverse("funding:need_bands")))
    assert "Autistic spectrum disorder" in page and "£2,000.00 to £6,000.00" in page
    assert LogEntry.objects.get_for_object(band).get().actor == send_officer


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"need": ""}, "Choose the primary need the band describes"),
        ({"band": "10"}, "The band must be a number from 0 to 9"),
        ({"band": "two"}, "Enter the band as a number, like 2"),
        ({"descriptor": ""}, "Describe the need at this band"),
        ({"usual_award_min": "lots"}, "Enter the lowest usual award as an amount"),
        ({"usual_award_max": "1,000"}, "must be the same as or more than the lowest"),
    ],
)
def test_a_band_that_does_not_make_sense_is_refused_and_nothing_is_saved(
    send_officer, login, changes, message
):
    response = login(send_officer).post(reverse("funding:need_band_new"), band_form(**changes))

    assert response.status_code == 400
    assert message in text(response)
    assert not NeedBand.objects.exists()


def test_a_second_band_with_the_same_need_and_level_is_refused(send_officer, login):
    client = login(send_officer)
    client.post(reverse("funding:need_band_new"), band_form())

    again = client.post(reverse("funding:need_band_new"), band_form(descriptor="Another"))

    assert again.status_code == 400
    assert "There is already a band 2 for autistic spectrum disorder" in text(again)
    assert NeedBand.objects.count() == 1


def test_a_band_in_use_keeps_its_need_and_level_but_its_range_may_change(
    send_officer, senco_a, stream, login
):
    band = services.save_need_band(
        user=send_officer, need="ASD", band=2, descriptor="Moderate",
        usual_award_min=Decimal("2000"), usual_award_max=Decimal("6000"),
    )  # fmt: skip
    draft_request(senco_a, stream=stream, band=band, primary_need="ASD")
    client = login(send_officer)
    edit = reverse("funding:need_band_edit", args=[band.pk])
    assert "1 request is placed in this band" in text(client.get(edit))

    moved = client.post(edit, band_form(band="3"))
    assert moved.status_code == 400
    assert "1 request is placed in this band, so its need and level cannot change" in text(moved)

    widened = client.post(edit, band_form(usual_award_max="7,500"))
    assert widened.status_code == 302
    band.refresh_from_db()
    assert (band.band, band.usual_award_max) == (2, Decimal("7500.00"))
    change = LogEntry.objects.get_for_object(band).filter(action=LogEntry.Action.UPDATE).get()
    assert change.changes_dict["usual_award_max"] == ["6000.00", "7500.00"]


def test_only_the_send_officer_opens_the_band_pages(senco_a, finance_officer, login):
    for user in (senco_a, finance_officer):
        client = login(user)
        assert client.get(reverse("funding:need_bands")).status_code == 404
        assert client.post(reverse("funding:need_band_new"), band_form()).status_code == 404
    assert not NeedBand.objects.exists()


def test_through_the_api_schools_read_the_bands_and_the_send_officer_changes_them(
    send_officer, senco_a
):
    created = api(send_officer).post(
        BANDS, {**band_form(), "usual_award_min": "2000", "usual_award_max": "6000"}, format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["need_label"] == "Autistic spectrum disorder"

    listed = api(senco_a).get(BANDS)
    assert listed.status_code == 200
    assert [(b["need"], b["band"], b["usual_award_max"]) for b in listed.json()["results"]] == [
        ("ASD", 2, "6000.00")
    ]
    assert api(senco_a).post(BANDS, band_form(band="3"), format="json").status_code == 403

    url = f"{BANDS}{created.json()['id']}/"
    bad = api(send_officer).patch(url, {"usual_award_max": "1000"}, format="json")
    assert bad.status_code == 400
    assert "must be the same as or more than the lowest" in bad.content.decode()
    assert NeedBand.objects.get().usual_award_max == Decimal("6000.00")

    changed = api(send_officer).patch(url, {"descriptor": "Moderate, in class"}, format="json")
    assert changed.status_code == 200 and changed.json()["descriptor"] == "Moderate, in class"
