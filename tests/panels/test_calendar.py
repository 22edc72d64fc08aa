"""The LA SEND officer's calendar: a year of meetings on school days, closing on working
days, never changing a published meeting's chair unconfirmed; cancelling or moving a
meeting with a reason, its agenda kept and everyone concerned told."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from funding.models import FundingRequest, RequestEvent
from panels import services
from panels.calendar import is_working_day, why_closed
from panels.models import Meeting, MeetingStatus
from panels.services import ChairChangesUnconfirmed, PanelError
from portal.models import Notification

from .factories import meeting_on
from .test_api import api
from .test_pages import dated, signed_in

# A Monday in term; the first meeting a Thursday far enough on for its closing date.
TODAY = date(2027, 1, 4)
FIRST = date(2027, 1, 21)


def school_day(after: date, *, weekday: int | None = None) -> date:
    """The first school day after ``after`` (on ``weekday``, if given) with a working day
    ten days before it for its closing date."""
    day = after + timedelta(days=1)
    while why_closed(day) or (weekday is not None and day.weekday() != weekday):
        day += timedelta(days=1)
    return day


def state_of(fr) -> str:
    return FundingRequest.objects.get(pk=fr.pk).state


@pytest.mark.django_db
class TestPublishingAYear:
    def test_meetings_sit_on_school_days_and_close_on_working_days(self, panel, send_officer):
        made = services.generate_year(panel, by=send_officer, first_date=FIRST, today=TODAY)
        assert made and len(made) == len({m.date for m in made})
        for m in made:
            assert why_closed(m.date) is None, (m.date, why_closed(m.date))
            assert is_working_day(m.closing_date) and m.closing_date <= m.date - timedelta(days=10)
        days = {m.date for m in made}
        # February half term moves the meeting to the Monday after it; the summer's is
        # dropped (the September meeting follows); Christmas moves to the new term.
        assert date(2027, 2, 18) not in days and date(2027, 2, 22) in days
        assert not any(date(2027, 7, 22) <= d <= date(2027, 8, 31) for d in days)
        assert date(2027, 5, 31) not in days and date(2027, 12, 25) not in days

    def test_a_year_starting_in_the_past_is_refused_and_creates_nothing(
        self, client, panel, send_officer
    ):
        yesterday = timezone.localdate() - timedelta(days=1)
        with pytest.raises(PanelError, match="in the past"):
            services.generate_year(panel, by=send_officer, first_date=yesterday)
        signed_in(client, send_officer)
        for confirm in ({}, {"confirm": "yes"}):
            page = client.post(
                reverse("panels:generate_year", args=[panel.pk]),
                {**dated("first_date", yesterday), "every_weeks": 4, **confirm},
            )
            assert page.status_code == 200 and "is in the past" in page.text
            assert "Nothing was published" in page.text
        answer = api(send_officer).post(
            f"/api/v1/panels/{panel.pk}/year/", {"first_date": yesterday.isoformat()}
        )
        assert answer.status_code == 400 and "in the past" in answer.json()["detail"]
        preview = api(send_officer).post(
            f"/api/v1/panels/{panel.pk}/year-preview/", {"first_date": yesterday.isoformat()}
        )
        assert preview.status_code == 200 and "in the past" in preview.json()["problem"]
        assert not Meeting.objects.filter(panel=panel).exists()

    def test_the_officer_previews_then_publishes_through_the_pages(
        self, client, panel, send_officer
    ):
        first = school_day(timezone.localdate() + timedelta(days=14), weekday=2)
        signed_in(client, send_officer)
        form = {**dated("first_date", first), "every_weeks": 4, "location": "Town hall"}
        preview = client.post(reverse("panels:generate_year", args=[panel.pk]), form)
        assert preview.status_code == 200 and 'data-testid="year-plan"' in preview.text
        assert not Meeting.objects.filter(panel=panel).exists()  # a preview writes nothing
        published = client.post(
            reverse("panels:generate_year", args=[panel.pk]), {**form, "confirm": "yes"}
        )
        assert published.status_code == 302
        made = Meeting.objects.filter(panel=panel)
        assert made.count() == preview.text.count('<tr class="govuk-table__row">\n      <td')
        assert all(why_closed(m.date) is None for m in made)

    def test_a_chair_change_on_a_published_meeting_needs_confirmation(
        self, client, panel, send_officer
    ):
        first = school_day(timezone.localdate() + timedelta(days=14), weekday=1)
        services.generate_year(panel, by=send_officer, first_date=first)
        before = dict(Meeting.objects.filter(panel=panel).values_list("pk", "chair_id"))
        # A second series between the first one's meetings re-plans the rota.
        second = school_day(first + timedelta(days=7), weekday=3)
        with pytest.raises(ChairChangesUnconfirmed) as refused:
            services.generate_year(panel, by=send_officer, first_date=second)
        assert refused.value.status == 409 and "→" in refused.value.message
        assert dict(Meeting.objects.filter(panel=panel).values_list("pk", "chair_id")) == before

        # The page lists each change and publishes only with the box ticked.
        signed_in(client, send_officer)
        form = {**dated("first_date", second), "every_weeks": 4}
        url = reverse("panels:generate_year", args=[panel.pk])
        preview = client.post(url, form)
        assert 'data-testid="chair-change-table"' in preview.text
        unticked = client.post(url, {**form, "confirm": "yes"})
        assert unticked.status_code == 200
        assert "Confirm the changes of chair" in unticked.text
        assert dict(Meeting.objects.filter(panel=panel).values_list("pk", "chair_id")) == before

        # The API refuses (409, naming them) until told to go ahead.
        body = {"first_date": second.isoformat()}
        answer = api(send_officer).post(f"/api/v1/panels/{panel.pk}/year/", body)
        assert answer.status_code == 409 and "Confirm the change" in answer.json()["detail"]
        changes = api(send_officer).post(f"/api/v1/panels/{panel.pk}/year-preview/", body)
        assert changes.json()["chair_changes"]
        published = client.post(url, {**form, "confirm": "yes", "confirm_chair_changes": "yes"})
        assert published.status_code == 302
        assert Meeting.objects.filter(panel=panel).count() > len(before)

    def test_only_the_la_send_officer_previews_or_publishes(self, panel, heads):
        body = {"first_date": FIRST.isoformat()}
        assert (
            api(heads[0]).post(f"/api/v1/panels/{panel.pk}/year-preview/", body).status_code == 403
        )
        assert api(heads[0]).post(f"/api/v1/panels/{panel.pk}/year/", body).status_code == 400
        assert not Meeting.objects.filter(panel=panel).exists()


@pytest.fixture
def agenda(meeting, next_meeting, send_officer, request_d, request_a):
    """Two requests on the meeting after today's (the one to cancel or move)."""
    target = next_meeting
    for fr in (request_d, request_a):
        services.schedule_request(fr, by=send_officer, meeting=target)
    return target


@pytest.mark.django_db
class TestCancelling:
    def test_cancelling_moves_the_agenda_to_the_next_meeting_and_tells_everyone(
        self, client, panel, agenda, request_d, request_a, send_officer, senco_a, heads, today,
        django_capture_on_commit_callbacks,
    ):  # fmt: skip
        onward = meeting_on(panel, today + timedelta(days=56), closing=today + timedelta(days=46))
        signed_in(client, send_officer)
        page = client.get(reverse("panels:cancel_or_move", args=[agenda.pk]))
        assert page.status_code == 200
        assert f"{onward.date:%-d %B %Y}" in page.text.split('data-testid="cancel-effect"')[1]
        missing = client.post(
            reverse("panels:cancel_or_move", args=[agenda.pk]), {"action": "cancel", "reason": " "}
        )
        assert missing.status_code == 200 and "There is a problem" in missing.text
        with django_capture_on_commit_callbacks(execute=True):
            done = client.post(
                reverse("panels:cancel_or_move", args=[agenda.pk]),
                {"action": "cancel", "reason": "The hall is flooded."},
            )
        assert done.status_code == 302
        agenda.refresh_from_db()
        assert agenda.status == MeetingStatus.CANCELLED and agenda.cancel_reason
        for fr in (request_d, request_a):
            assert onward.items.filter(request=fr).exists() and state_of(fr) == "on_agenda"
            assert RequestEvent.objects.filter(request=fr, kind="meeting_cancelled").exists()
        told = Notification.objects.filter(subject__startswith="Panel meeting cancelled")
        assert {senco_a, heads[1]} <= {n.user for n in told}
        assert all("The hall is flooded." in n.body for n in told)
        # Cancelled: it cannot be cancelled or moved again.
        assert client.get(reverse("panels:cancel_or_move", args=[agenda.pk])).status_code == 404

    def test_with_no_later_meeting_the_requests_are_ready_again(
        self, agenda, request_d, send_officer
    ):
        done = api(send_officer).post(
            f"/api/v1/meetings/{agenda.pk}/cancel/", {"reason": "Chair and vice-chair ill."}
        )
        assert done.status_code == 200, done.json()
        assert done.json()["moved_to"] is None and done.json()["items"] == 2
        assert state_of(request_d) == "ready"

    def test_only_the_la_send_officer_cancels(self, agenda, heads, request_d):
        refused = api(heads[0]).post(f"/api/v1/meetings/{agenda.pk}/cancel/", {"reason": "No."})
        assert refused.status_code == 400
        agenda.refresh_from_db()
        assert agenda.status == MeetingStatus.SCHEDULED and state_of(request_d) == "on_agenda"


@pytest.mark.django_db
class TestMoving:
    def test_a_meeting_moves_to_another_school_day_with_its_agenda(
        self, client, agenda, request_d, send_officer, senco_a, django_capture_on_commit_callbacks
    ):
        day = school_day(agenda.date)
        signed_in(client, send_officer)
        with django_capture_on_commit_callbacks(execute=True):
            done = client.post(
                reverse("panels:cancel_or_move", args=[agenda.pk]),
                {"action": "move", **dated("day", day), "reason": "The chair is at a tribunal."},
            )
        assert done.status_code == 302
        was = agenda.date
        agenda.refresh_from_db()
        assert agenda.date == day and agenda.moved_from == was
        assert is_working_day(agenda.closing_date) and agenda.closing_date < day
        assert agenda.items.filter(request=request_d).exists()
        told = Notification.objects.get(user=senco_a, subject__startswith="Panel meeting moved")
        assert "The chair is at a tribunal." in told.body

    def test_a_move_to_a_day_the_panel_cannot_meet_is_refused(self, agenda, send_officer, today):
        saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
        may_day = date(today.year + 1, 5, 1)
        may_day += timedelta(days=-may_day.weekday() % 7)  # the first Monday in May
        for day, why in (
            (today - timedelta(days=3), "in the past"),
            (saturday, "a Saturday"),
            (may_day, "a bank holiday (May Day)"),
            (date(today.year + 1, 8, 10), "school holidays"),
        ):
            answer = api(send_officer).post(
                f"/api/v1/meetings/{agenda.pk}/move/",
                {"date": day.isoformat(), "reason": "Try"},
            )
            assert answer.status_code == 400 and why in answer.json()["detail"], (
                day,
                answer.json(),
            )
        day = school_day(agenda.date)
        closing_on_sunday = day - timedelta(days=day.weekday() + 1)
        answer = api(send_officer).post(
            f"/api/v1/meetings/{agenda.pk}/move/",
            {
                "date": day.isoformat(),
                "closing_date": closing_on_sunday.isoformat(),
                "reason": "Try",
            },
        )
        assert answer.status_code == 400 and "working day" in answer.json()["detail"]
        before = agenda.date
        agenda.refresh_from_db()
        assert agenda.date == before and agenda.moved_from is None
