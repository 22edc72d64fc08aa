"""Getting a county's people in: the LA SEND officer invites one person, or the whole
county's staff from a CSV file (previewed, all or nothing, re-runnable); each person
opens the link from their email once, sets a password and lands on their dashboard."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.core import mail, signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts import services, tokens
from accounts.models import Invitation
from clusters.models import Membership, Role
from tests.factories import SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
HEADER = "URN,role,first name,last name,email\n"
STRONG = "larch-meadow-quiet-74"


def link_in(message) -> str:
    return re.search(r"https?://\S+/invitations/accept/\S+/", message.body).group(0)


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


@pytest.fixture
def county(db):
    """Three schools of a county, by URN."""
    return {
        urn: SchoolFactory(urn=urn, name=name)
        for urn, name in [
            (123401, "Ashfield Primary"),
            (123402, "Brookside Primary"),
            (123403, "Castle Hill Secondary"),
        ]
    }


def county_csv() -> str:
    return HEADER + (
        "123401,SENCO,Asha,Patel,asha.patel@ashfield.sch.uk\n"
        "123401,Headteacher,Ben,Okafor,ben.okafor@ashfield.sch.uk\n"
        "123402,senco,Cara,Lewis,Cara.Lewis@brookside.sch.uk\n"
        "123403,Panel member,Dev,Shah,dev.shah@castlehill.sch.uk\n"
        ",LA finance officer,Eve,Jones,eve.jones@county.gov.uk\n"
    )


def upload(client, text: str, name: str = "staff.csv"):
    return client.post(
        reverse("accounts:bulk"),
        {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")},
    )


def test_an_la_officer_bulk_invites_a_countys_staff_from_csv_and_can_run_it_again(
    client, send_officer, county, django_capture_on_commit_callbacks
):
    client.force_login(send_officer)
    preview = upload(client, county_csv())
    assert preview.status_code == 200
    assert "5 new invitations; 0 unchanged" in preview.content.decode()
    assert Invitation.objects.count() == 0, "the preview writes nothing"
    assert len(mail.outbox) == 0

    payload = re.search(r'name="payload" value="([^"]+)"', preview.content.decode()).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        applied = client.post(reverse("accounts:bulk"), {"payload": payload})
    assert applied.status_code == 302
    assert Invitation.objects.count() == 5
    assert len(mail.outbox) == 5
    cara = Invitation.objects.get(email="cara.lewis@brookside.sch.uk")
    assert (cara.role, cara.school.urn, cara.invited_by) == (Role.SENCO, 123402, send_officer)
    dev = Invitation.objects.get(email="dev.shah@castlehill.sch.uk")
    assert dev.role == Role.PANEL_MEMBER and dev.cluster == county[123403].cluster
    assert dev.school is None

    # The same file again: no one twice.
    again = upload(client, county_csv())
    assert "0 new invitations; 5 unchanged" in again.content.decode()
    services.apply_csv(county_csv(), by=send_officer)
    assert Invitation.objects.count() == 5

    # Each creation is in the change log, in the officer's name.
    entries = LogEntry.objects.get_for_model(Invitation)
    assert entries.count() == 5


@pytest.mark.parametrize(
    "line, column, words",
    [
        ("999999,SENCO,Asha,Patel,asha@x.sch.uk", "URN", "no school in the portal has URN"),
        ("123401,Caretaker,Asha,Patel,asha@x.sch.uk", "role", "is not a role"),
        ('123401,SENCO,=HYPERLINK("x"),Patel,asha@x.sch.uk', "first name", "formula"),
        ("123401,SENCO,Asha,@SUM(A1),asha@x.sch.uk", "last name", "formula"),
        ("123401,SENCO,Asha,Patel,not-an-email", "email", "correct format"),
        ("123401,SENCO,,Patel,asha@x.sch.uk", "first name", "enter the person's first name"),
        (",SENCO,Asha,Patel,asha@x.sch.uk", "URN", "enter the school's URN"),
    ],
)
def test_a_bad_line_is_refused_by_line_and_column_and_no_one_is_invited(
    client, send_officer, county, line, column, words
):
    client.force_login(send_officer)
    text = county_csv() + line + "\n"
    response = upload(client, text)
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert f"Line 7, column “{column}”" in page
    assert words in page
    assert Invitation.objects.count() == 0
    with pytest.raises(services.CsvRefused):
        services.apply_csv(text, by=send_officer)
    assert Invitation.objects.count() == 0 and len(mail.outbox) == 0


def test_a_duplicate_email_names_both_lines(send_officer, county):
    text = county_csv() + "123402,Headteacher,Asha,Patel,ASHA.PATEL@ashfield.sch.uk\n"
    plan = services.plan_csv(text, by=send_officer)
    assert [str(p) for p in plan.problems] == [
        "Line 7, column “email”: asha.patel@ashfield.sch.uk is also on line 2: invite each "
        "person once"
    ]


def test_a_file_with_the_wrong_columns_is_refused(send_officer, county):
    plan = services.plan_csv("email,name\nx@y.uk,X\n", by=send_officer)
    assert "the columns must be, in order: URN, role, first name, last name, email" in str(
        plan.problems[0]
    )


def test_someone_with_an_account_is_left_unchanged(send_officer, county):
    UserFactory(username="asha", email="asha.patel@ashfield.sch.uk")
    plan = services.plan_csv(county_csv(), by=send_officer)
    assert [(r.email, r.reason) for r in plan.unchanged] == [
        ("asha.patel@ashfield.sch.uk", "already has an account")
    ]


def test_a_senco_accepts_sets_a_password_and_lands_on_their_schools_dashboard(
    client, send_officer, county, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.invite(
            by=send_officer, email="asha.patel@ashfield.sch.uk", first_name="Asha",
            last_name="Patel", role=Role.SENCO, school=county[123401],
        )  # fmt: skip
    (message,) = mail.outbox
    assert message.to == ["asha.patel@ashfield.sch.uk"]
    link = path_of(link_in(message))

    page = client.get(link)
    assert page.status_code == 200
    assert "SENCO" in page.content.decode() and "Ashfield Primary" in page.content.decode()

    weak = client.post(link, {"password1": "password", "password2": "password"})
    assert weak.status_code == 400
    assert "Your password is too common" in weak.content.decode()
    assert not User.objects.filter(email="asha.patel@ashfield.sch.uk").exists()

    done = client.post(link, {"password1": STRONG, "password2": STRONG})
    assert done.status_code == 302 and done.url == reverse("dashboard")
    user = User.objects.get(username="asha.patel@ashfield.sch.uk")
    assert user.check_password(STRONG)
    assert list(Membership.objects.filter(user=user).values_list("role", "school__urn")) == [
        (Role.SENCO, 123401)
    ]
    dashboard = client.get(reverse("dashboard"))
    assert "Signed in as Asha Patel (SENCO)" in dashboard.content.decode()

    # She signs in with her email as her username from now on.
    client.logout()
    signed_in = client.post(
        reverse("login"), {"username": "asha.patel@ashfield.sch.uk", "password": STRONG}
    )
    assert signed_in.status_code == 302

    # The link is used: it opens nothing again.
    client.logout()
    reused = client.get(link)
    assert reused.status_code == 410
    assert "already been used" in reused.content.decode()
    assert User.objects.filter(email="asha.patel@ashfield.sch.uk").count() == 1


def _invitation(send_officer, school, **kw) -> Invitation:
    return services.invite(
        by=send_officer, email=kw.get("email", "new.person@school.sch.uk"), first_name="New",
        last_name="Person", role=Role.SENCO, school=school,
    )  # fmt: skip


def test_an_expired_link_is_refused(client, send_officer, county):
    invitation = _invitation(send_officer, county[123401])
    link = reverse("accounts:accept", args=[tokens.make(invitation.pk, invitation.nonce)])
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = client.post(link, {"password1": STRONG, "password2": STRONG})
    assert response.status_code == 410
    assert "has expired" in response.content.decode()
    assert not User.objects.filter(email=invitation.email).exists()


def test_a_forged_or_altered_link_is_refused(client, send_officer, county):
    invitation = _invitation(send_officer, county[123401])
    forged = signing.dumps({"i": invitation.pk, "n": invitation.nonce}, key="not-the-portal's")
    altered = tokens.make(invitation.pk, "0" * 32)
    good = tokens.make(invitation.pk, invitation.nonce)
    tampered = good[:-3] + ("aaa" if not good.endswith("aaa") else "bbb")
    for token in (forged, altered, tampered, "nonsense"):
        response = client.post(
            reverse("accounts:accept", args=[token]), {"password1": STRONG, "password2": STRONG}
        )
        assert response.status_code == 404, token
        assert "not valid" in response.content.decode()
    assert not User.objects.filter(email=invitation.email).exists()


def test_a_withdrawn_or_resent_invitations_old_link_is_refused(client, send_officer, county):
    first = _invitation(send_officer, county[123401])
    old = reverse("accounts:accept", args=[tokens.make(first.pk, first.nonce)])
    services.resend(by=send_officer, invitation=first)
    assert client.get(old).status_code == 404
    first.refresh_from_db()
    new = reverse("accounts:accept", args=[tokens.make(first.pk, first.nonce)])
    assert client.get(new).status_code == 200
    client.force_login(send_officer)
    assert client.post(reverse("accounts:revoke", args=[first.pk])).status_code == 302
    client.logout()
    refused = client.get(new)
    assert refused.status_code == 410 and "withdrawn" in refused.content.decode()


def test_an_officer_invites_one_person_from_the_page(client, send_officer, county):
    client.force_login(send_officer)
    form = client.get(reverse("accounts:invite"))
    assert form.status_code == 200
    missing = client.post(reverse("accounts:invite"), {"first_name": "Ben", "last_name": "O",
                                                      "email": "ben@x.sch.uk", "role": "senco"})  # fmt: skip
    assert missing.status_code == 400
    assert "Choose the school where they will be SENCO" in missing.content.decode()
    sent = client.post(
        reverse("accounts:invite"),
        {"first_name": "Ben", "last_name": "Okafor", "email": "Ben@X.sch.uk",
         "role": "headteacher", "school": "123402"},
    )  # fmt: skip
    assert sent.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.school.urn) == ("ben@x.sch.uk", 123402)
    twice = client.post(
        reverse("accounts:invite"),
        {"first_name": "Ben", "last_name": "Okafor", "email": "ben@x.sch.uk",
         "role": "headteacher", "school": "123402"},
    )  # fmt: skip
    assert twice.status_code == 400 and "already has an invitation" in twice.content.decode()
    listing = client.get(reverse("accounts:invitations"))
    assert "ben@x.sch.uk" in listing.content.decode()


def test_school_staff_cannot_invite_anyone(client, senco_a, county):
    client.force_login(senco_a)
    for name in ("accounts:invitations", "accounts:invite", "accounts:bulk"):
        assert client.get(reverse(name)).status_code == 403
    with pytest.raises(services.DomainError):
        services.invite(by=senco_a, email="x@y.uk", first_name="X", last_name="Y",
                        role=Role.SENCO, school=county[123401])  # fmt: skip


def test_the_invitations_page_and_a_files_check_cost_the_same_queries_for_5_or_50(
    client, send_officer, county, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def rows(n: int) -> str:
        return HEADER + "".join(f"123401,SENCO,P{i},Q,p{i}@ashfield.sch.uk\n" for i in range(n))

    client.force_login(send_officer)
    counts = []
    for n in (5, 50):
        services.apply_csv(rows(n), by=send_officer)
        with CaptureQueriesContext(connection) as page:
            assert client.get(reverse("accounts:invitations")).status_code == 200
        with CaptureQueriesContext(connection) as plan:
            services.plan_csv(rows(n), by=send_officer)
        counts.append((len(page), len(plan)))
    assert counts[0] == counts[1], counts
    assert counts[1][1] <= 5
