"""No lost work on the panel's set-up: two LA SEND officers with the same panel or
meeting open. Whatever one saved first stays; the other's save, based on the page (or
API read) from before it, is refused with 409 naming what differs, and changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from panels import services
from panels.calendar import is_working_day
from panels.models import MeetingStatus, Panel, PanelMember
from portal.versions import StaleVersion
from tests.factories import make_user
from tests.text import has_word

from .factories import meeting_on, member
from .test_api import api
from .test_calendar import school_day
from .test_pages import dated, signed_in

pytestmark = pytest.mark.django_db


def panel_snapshot(panel: Panel) -> dict:
    """Everything a stale set-up edit could have touched."""
    panel = Panel.objects.get(pk=panel.pk)
    return {
        "row": {f.attname: getattr(panel, f.attname) for f in panel._meta.concrete_fields},
        "members": list(PanelMember.objects.filter(panel=panel).values().order_by("pk")),
        "absences": list(PanelMember.objects.filter(panel=panel).values("absences").order_by("pk")),
        "meetings": list(panel.meetings.values().order_by("pk")),
    }


def meeting_snapshot(meeting) -> dict:
    meeting.refresh_from_db()
    return {
        "row": {f.attname: getattr(meeting, f.attname) for f in meeting._meta.concrete_fields},
        "items": list(meeting.items.values().order_by("pk")),
    }


SETUP = {"name": "North panel", "quorum_voting": "3", "quorum_headteachers": "2",
         "quorum_needs_chair": "on", "closing_days": "10", "save": "1"}  # fmt: skip


@pytest.fixture
def later(panel, today):
    """A meeting not yet started, on a school day a few weeks on."""
    day = school_day(today + timedelta(days=30))
    closing = day - timedelta(days=10)
    while not is_working_day(closing):
        closing -= timedelta(days=1)
    return meeting_on(panel, day, closing=closing)


# --- The panel's set-up ------------------------------------------------------------------


def test_two_officers_change_the_quorum_the_second_is_refused_with_both_values(
    client, panel, send_officer
):
    signed_in(client, send_officer)
    url = reverse("panels:setup", args=[panel.pk])
    version = Panel.objects.get(pk=panel.pk).version
    page = client.get(url)
    assert page.status_code == 200 and f'name="version" value="{version}"' in page.text
    # The first officer needs four voting members; the second, from the same page, two.
    first = client.post(url, {**SETUP, "quorum_voting": "4", "version": str(version)})
    assert first.status_code == 302
    before = panel_snapshot(panel)
    refused = client.post(url, {**SETUP, "quorum_voting": "2", "version": str(version)})
    assert refused.status_code == 409
    body = refused.text
    assert "Someone else changed this panel" in body
    assert "Voting members needed" in body and ">2<" in body and ">4<" in body
    assert 'value="2"' in body  # what the user entered is still in the form
    assert f'name="version" value="{version + 1}"' in body
    assert has_word(body, "Keep mine") and "Take the saved version" in body
    assert panel_snapshot(panel) == before
    # Keep mine: the same input on the saved version goes through.
    kept = client.post(url, {**SETUP, "quorum_voting": "2", "version": str(version + 1)})
    assert kept.status_code == 302
    assert Panel.objects.get(pk=panel.pk).quorum_voting == 2


def test_the_set_up_page_refuses_nonsense_plainly_and_changes_nothing(client, panel, send_officer):
    signed_in(client, send_officer)
    before = panel_snapshot(panel)
    version = Panel.objects.get(pk=panel.pk).version
    bad = client.post(
        reverse("panels:setup", args=[panel.pk]),
        {**SETUP, "quorum_voting": "2", "quorum_headteachers": "3", "version": str(version)},
    )
    assert bad.status_code == 400
    assert "The headteachers needed must be no more than the voting members needed." in bad.text
    assert panel_snapshot(panel) == before


def test_only_the_la_send_officer_finds_the_set_up_page(client, panel, heads):
    signed_in(client, heads[0])
    assert client.get(reverse("panels:setup", args=[panel.pk])).status_code == 404


def test_every_panel_set_up_page_refuses_a_stale_version_with_409_and_changes_nothing(
    client, panel, send_officer, heads, cluster, today
):
    signed_in(client, send_officer)
    stale = Panel.objects.get(pk=panel.pk).version
    services.update_panel(panel, by=send_officer, version=stale, closing_days=12)
    newcomer = make_user("panel_member", cluster=cluster, username="newcomer")
    someone = member(panel, heads[1])
    edits = [
        ("set-up", reverse("panels:setup", args=[panel.pk]), SETUP),
        ("vice-chair", reverse("panels:vice_chair", args=[panel.pk]), {"member": someone.pk}),
        ("add member", reverse("panels:add_member", args=[panel.pk]),
         {"user": newcomer.username, "role": "educational_psychologist",
          **dated("start_date", today)}),
        ("end membership", reverse("panels:end_membership", args=[someone.pk]),
         dated("end_date", today + timedelta(days=90))),
        ("absence", reverse("panels:absence", args=[someone.pk]),
         {**dated("start_date", today + timedelta(days=3)),
          **dated("end_date", today + timedelta(days=9)), "reason": "Course"}),
    ]  # fmt: skip
    before = panel_snapshot(panel)
    for what, url, data in edits:
        response = client.post(url, {**data, "version": str(stale)})
        assert response.status_code == 409, what
        assert "Someone else changed this panel" in response.text, what
        assert panel_snapshot(panel) == before, what
    # On the saved version each goes through.
    for what, url, data in edits:
        version = Panel.objects.get(pk=panel.pk).version
        response = client.post(url, {**data, "version": str(version)})
        assert response.status_code == 302, what
        assert Panel.objects.get(pk=panel.pk).version == version + 1, what


def test_the_api_refuses_a_stale_panel_change_with_409_naming_both_values(panel, send_officer):
    client = api(send_officer)
    read = client.get(f"/api/v1/panels/{panel.pk}/").json()
    version = read["version"]
    first = client.patch(
        f"/api/v1/panels/{panel.pk}/", {"quorum_voting": 4, "version": version}, format="json"
    )
    assert first.status_code == 200 and first.json()["version"] == version + 1
    before = panel_snapshot(panel)
    refused = client.patch(
        f"/api/v1/panels/{panel.pk}/", {"quorum_voting": 2, "version": version}, format="json"
    )
    assert refused.status_code == 409
    body = refused.json()
    assert body["saved_version"] == version + 1
    assert body["changes"] == [
        {"field": "quorum_voting", "label": "Voting members needed", "yours": "2", "saved": "4"}
    ]
    someone = PanelMember.objects.filter(panel=panel, voting=True).first()
    stale_vice = client.post(
        f"/api/v1/panels/{panel.pk}/vice-chair/",
        {"member": someone.pk, "version": version},
        format="json",
    )
    assert stale_vice.status_code == 409
    assert panel_snapshot(panel) == before
    # Without a version the API client saves whatever the version.
    assert (
        client.patch(f"/api/v1/panels/{panel.pk}/", {"closing_days": 8}, format="json").status_code
        == 200
    )


def test_a_school_head_cannot_change_the_panel_through_the_api(panel, heads):
    refused = api(heads[0]).patch(f"/api/v1/panels/{panel.pk}/", {"quorum_voting": 1})
    assert refused.status_code in (400, 403)
    assert Panel.objects.get(pk=panel.pk).quorum_voting == 3


# --- A meeting -----------------------------------------------------------------------


def test_two_officers_change_the_venue_the_second_is_refused_with_both_values(
    client, later, send_officer
):
    signed_in(client, send_officer)
    url = reverse("panels:meeting_details", args=[later.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="version" value="1"' in page.text
    data = {**dated("closing_date", later.closing_date), "save": "1", "version": "1"}
    assert client.post(url, {**data, "location": "County Hall"}).status_code == 302
    before = meeting_snapshot(later)
    refused = client.post(url, {**data, "location": "Library"})
    assert refused.status_code == 409
    assert "Someone else changed this meeting" in refused.text
    assert "Venue" in refused.text and ">Library<" in refused.text
    assert ">County Hall<" in refused.text
    assert meeting_snapshot(later) == before
    assert client.post(url, {**data, "location": "Library", "version": "2"}).status_code == 302
    later.refresh_from_db()
    assert later.location == "Library" and later.version == 3


def test_a_stale_move_or_cancel_is_refused_with_409_and_changes_nothing(
    client, later, send_officer
):
    signed_in(client, send_officer)
    services.update_meeting(
        later, by=send_officer, closing_date=later.closing_date, location="Hall", version=1
    )
    url = reverse("panels:cancel_or_move", args=[later.pk])
    before = meeting_snapshot(later)
    day = school_day(later.date)
    move = {"action": "move", **dated("day", day), "reason": "The chair is away."}
    cancel = {"action": "cancel", "reason": "Flooded."}
    for what, data in (("move", move), ("cancel", cancel)):
        response = client.post(url, {**data, "version": "1"})
        assert response.status_code == 409, what
        assert "Someone else changed this meeting" in response.text, what
        assert meeting_snapshot(later) == before, what
    # "Keep mine" posts the move again (its own action, not a cancel) on the saved version.
    refused = client.post(url, {**move, "version": "1"})
    assert 'name="action" value="move"' in refused.text.split('data-testid="version-conflict"')[1]
    assert client.post(url, {**move, "version": "2"}).status_code == 302
    later.refresh_from_db()
    assert later.date == day and later.status == MeetingStatus.SCHEDULED


def test_the_api_refuses_a_stale_meeting_change_with_409(later, send_officer):
    client = api(send_officer)
    url = f"/api/v1/meetings/{later.pk}/"
    assert client.get(url).json()["version"] == 1
    done = client.patch(url, {"location": "County Hall", "version": 1}, format="json")
    assert done.status_code == 200 and done.json()["version"] == 2
    before = meeting_snapshot(later)
    stale = [
        client.patch(url, {"location": "Library", "version": 1}, format="json"),
        client.post(f"{url}move/", {"date": str(school_day(later.date)),
                                    "reason": "Away", "version": 1}, format="json"),
        client.post(f"{url}cancel/", {"reason": "Flooded", "version": 1}, format="json"),
    ]  # fmt: skip
    for response in stale:
        assert response.status_code == 409, response.json()
        assert response.json()["saved_version"] == 2
        assert meeting_snapshot(later) == before
    assert stale[0].json()["changes"] == [
        {"field": "location", "label": "Venue", "yours": "Library", "saved": "County Hall"}
    ]


def test_the_service_checks_the_version_under_the_row_lock(later, send_officer):
    services.update_meeting(
        later, by=send_officer, closing_date=later.closing_date, location="A", version=1
    )
    with pytest.raises(StaleVersion) as refused:
        services.update_meeting(
            later, by=send_officer, closing_date=later.closing_date, location="B", version=1
        )
    assert [c.sentence for c in refused.value.changes] == [
        "Venue: you entered B; saved meanwhile: A"
    ]
    # A stale save of exactly what is saved loses nothing, so it goes through.
    services.update_meeting(
        later, by=send_officer, closing_date=later.closing_date, location="A", version=1
    )
