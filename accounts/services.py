"""Every write of the accounts app: inviting (one person, or many from a CSV), revoking,
resending and accepting an invitation (docs/architecture.md §2, "Accounts").

Each function is one transaction. The invitation email is sent once it commits.
Changes are recorded by django-auditlog (invitations, users, memberships): the actor
is the signed-in user, or the person accepting their own invitation.
"""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

from auditlog.context import set_actor
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clusters.models import (
    COUNTY_ROLES,
    SCHOOL_ROLES,
    Cluster,
    Membership,
    Role,
    School,
    current_membership,
)
from portal import wording
from portal.cells import FORMULA_STARTS
from portal.errors import DomainError
from portal.notifications import announce

from . import policy, tokens
from .models import Invitation

User = get_user_model()

NOT_ALLOWED = "Only an LA SEND officer or an administrator can invite people"
BAD_LINK = (
    "This invitation link is not valid. Check you copied the whole link from the email, "
    "or ask your LA to invite you again"
)
USED_LINK = "This invitation has already been used. Sign in with the account you made"
EXPIRED_LINK = "This invitation has expired. Ask your LA to invite you again"
REVOKED_LINK = "This invitation was withdrawn by your LA. Ask them if you still need an account"
CSV_COLUMNS = ("URN", "role", "first name", "last name", "email")


class InvitationRefused(DomainError):
    """A link that cannot be used: forged, expired, used or withdrawn."""


# --- One person ----------------------------------------------------------------------


def _place_refusal(role: str, school: School | None, cluster: Cluster | None) -> str:
    if role not in Role.values:
        return "Choose a role from the list"
    if role in SCHOOL_ROLES and school is None:
        return f"Choose the school where they will be {Role(role).label}"
    if role == Role.PANEL_MEMBER and cluster is None:
        return "Choose the cluster whose panel they will sit on"
    return ""


def _normalised(role: str, school: School | None, cluster: Cluster | None):
    """The membership's place rules: a school role names a school only, a panel member
    a cluster only, an LA role neither."""
    if role in SCHOOL_ROLES:
        return school, None
    if role == Role.PANEL_MEMBER:
        return None, cluster
    return None, None


def pending_for(email: str, role: str, school: School | None, cluster: Cluster | None):
    return Invitation.objects.filter(
        email__iexact=email,
        role=role,
        school=school,
        cluster=cluster,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    )


def pending_for_email(email: str):
    return Invitation.objects.filter(
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    )


def has_account(email: str) -> bool:
    return User.objects.filter(email__iexact=email).exists()


def _new(by, *, email, first_name, last_name, role, school, cluster) -> Invitation:
    return Invitation(
        email=email.strip().lower(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        role=role,
        school=school,
        cluster=cluster,
        invited_by=by,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_DAYS),
        nonce=secrets.token_hex(16),
    )


@transaction.atomic
def invite(
    *,
    by: AbstractBaseUser,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    school: School | None = None,
    cluster: Cluster | None = None,
) -> Invitation:
    """Invite one person to one role; they are emailed a link that works once."""
    if not policy.can_invite(by):
        raise DomainError(NOT_ALLOWED, status=403)
    school, cluster = _normalised(role, school, cluster)
    if refusal := _place_refusal(role, school, cluster):
        raise DomainError(refusal, field="role")
    email = email.strip().lower()
    if has_account(email):
        raise DomainError(
            f"{email} already has an account: give them the role on the people page",
            field="email",
        )
    if pending_for(email, role, school, cluster).select_for_update().exists():
        raise DomainError(
            f"{email} already has an invitation to this role waiting: resend it from the "
            "list of invitations",
            field="email",
            status=409,
        )
    invitation = _new(
        by,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        school=school,
        cluster=cluster,
    )
    invitation.save()
    _send_on_commit([invitation])
    return invitation


def link_for(invitation: Invitation) -> str:
    token = tokens.make(invitation.pk, invitation.nonce)
    return f"{settings.PORTAL_BASE_URL}{reverse('accounts:accept', args=[token])}"


def _send_on_commit(invitations: list[Invitation]) -> None:
    messages = [
        (
            f"You are invited to the Inclusion Funding Portal as {inv.get_role_display()}",
            render_to_string(
                "accounts/email/invitation.txt",
                {
                    "invitation": inv,
                    "link": link_for(inv),
                    "la_name": settings.LA_NAME,
                    "days": settings.INVITATION_DAYS,
                },
            ),
            inv.email,
        )
        for inv in invitations
    ]

    def _send() -> None:
        # One message per person: nobody sees another's address.
        for subject, body, address in messages:
            send_mail(subject, body, None, [address], fail_silently=True)

    transaction.on_commit(_send)


@transaction.atomic
def revoke(*, by: AbstractBaseUser, invitation: Invitation) -> Invitation:
    """Withdraw a pending invitation: its link stops working at once."""
    if not policy.can_invite(by):
        raise DomainError(NOT_ALLOWED, status=403)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at:
        raise DomainError(
            "This invitation has been accepted: end the person's membership instead",
            status=409,
        )
    if invitation.revoked_at:
        return invitation
    invitation.revoked_at = timezone.now()
    invitation.revoked_by = by
    invitation.save(update_fields=["revoked_at", "revoked_by"])
    return invitation


@transaction.atomic
def resend(*, by: AbstractBaseUser, invitation: Invitation) -> Invitation:
    """A new link, good for another full period; the old link stops working."""
    if not policy.can_invite(by):
        raise DomainError(NOT_ALLOWED, status=403)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at or invitation.revoked_at:
        raise DomainError("Only a pending or expired invitation can be sent again", status=409)
    invitation.nonce = secrets.token_hex(16)
    invitation.expires_at = timezone.now() + timedelta(days=settings.INVITATION_DAYS)
    invitation.save(update_fields=["nonce", "expires_at"])
    _send_on_commit([invitation])
    return invitation


# --- Accepting -----------------------------------------------------------------------


def open_invitation(token: str, *, lock: bool = False) -> Invitation:
    """The invitation a link names, if the link may still be used."""
    try:
        invitation_id, nonce = tokens.read(token)
    except signing.SignatureExpired:
        raise InvitationRefused(EXPIRED_LINK, status=410) from None
    except signing.BadSignature:
        raise InvitationRefused(BAD_LINK, status=404) from None
    found = Invitation.objects.select_related("school", "cluster")
    if lock:
        found = found.select_for_update(of=("self",))
    invitation = found.filter(pk=invitation_id).first()
    if invitation is None or not secrets.compare_digest(invitation.nonce, nonce):
        raise InvitationRefused(BAD_LINK, status=404)
    if invitation.accepted_at:
        raise InvitationRefused(USED_LINK, status=410)
    if invitation.revoked_at:
        raise InvitationRefused(REVOKED_LINK, status=410)
    if invitation.expires_at <= timezone.now():
        raise InvitationRefused(EXPIRED_LINK, status=410)
    return invitation


def check_password(invitation: Invitation, password: str) -> None:
    """Django's validators, against the person the account will be (``ValidationError``)."""
    candidate = User(
        username=invitation.email,
        email=invitation.email,
        first_name=invitation.first_name,
        last_name=invitation.last_name,
    )
    password_validation.validate_password(password, candidate)


def _make_member(invitation: Invitation, user) -> None:
    Membership.objects.get_or_create(
        user=user, role=invitation.role, school=invitation.school, cluster=invitation.cluster
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    # The address is proven by the link: password reset by email may use it.
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=user, email=invitation.email, defaults={"verified": True, "primary": True}
    )


@transaction.atomic
def accept_with_password(token: str, password: str) -> AbstractBaseUser:
    """Make the invited person's account with their password, and their membership.
    Refused (nothing made) for a link that cannot be used or a weak password."""
    invitation = open_invitation(token, lock=True)
    check_password(invitation, password)
    if has_account(invitation.email) or User.objects.filter(username=invitation.email).exists():
        raise InvitationRefused(
            "There is already an account for this email address: sign in with it", status=409
        )
    user = User(
        username=invitation.email,
        email=invitation.email,
        first_name=invitation.first_name,
        last_name=invitation.last_name,
    )
    user.set_password(password)
    with set_actor(None):
        user.save()
    with set_actor(user):
        _make_member(invitation, user)
    return user


@transaction.atomic
def accept_with_identity(invitation_id: int, email: str) -> AbstractBaseUser:
    """Single sign-on: the identity provider vouched for ``email``, which the pending
    invitation names. The account has no password (they sign in through the provider,
    or set one by password reset)."""
    invitation = (
        Invitation.objects.select_for_update()
        .filter(
            pk=invitation_id,
            email__iexact=email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .first()
    )
    if invitation is None:
        raise InvitationRefused(BAD_LINK, status=404)
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User(
            username=invitation.email,
            email=invitation.email,
            first_name=invitation.first_name,
            last_name=invitation.last_name,
        )
        user.set_unusable_password()
        user.save()
    with set_actor(user):
        _make_member(invitation, user)
    return user


# --- Many people from a CSV ----------------------------------------------------------


@dataclass(frozen=True)
class CsvProblem:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column “{self.column}”" if self.column else "")
        return f"{where[:1].upper()}{where[1:]}: {self.message}"


@dataclass(frozen=True)
class CsvRow:
    line: int
    email: str
    first_name: str
    last_name: str
    role: str
    school: School | None
    cluster: Cluster | None
    # "new", or why nothing will change for this row.
    outcome: str = "new"
    reason: str = ""

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    @property
    def place(self) -> str:
        if self.school:
            return str(self.school)
        if self.cluster:
            return f"{self.cluster} panel"
        return settings.LA_NAME


@dataclass
class BulkPlan:
    rows: list[CsvRow] = field(default_factory=list)
    problems: list[CsvProblem] = field(default_factory=list)

    @property
    def new(self) -> list[CsvRow]:
        return [r for r in self.rows if r.outcome == "new"]

    @property
    def unchanged(self) -> list[CsvRow]:
        return [r for r in self.rows if r.outcome != "new"]


def _role_from(text: str) -> str | None:
    wanted = " ".join(text.replace("_", " ").split()).casefold()
    for role in Role:
        if wanted in (role.value.replace("_", " ").casefold(), role.label.casefold()):
            return role.value
    if wanted in ("head", "head teacher"):
        return Role.HEADTEACHER
    return None


def _header(row: list[str]) -> list[str]:
    return [" ".join(c.replace("_", " ").split()).casefold() for c in row]


def plan_csv(text: str, *, by: AbstractBaseUser) -> BulkPlan:
    """Read an invitations file (``URN, role, first name, last name, email``): each row
    becomes a new invitation, or is unchanged (the person has an account, or an
    invitation to that role waiting). Every problem is named by line and column; a file
    with any problem is refused whole. Reads only: :func:`apply_csv` writes."""
    if not policy.can_invite(by):
        raise DomainError(NOT_ALLOWED, status=403)
    plan = BulkPlan()
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text))
    try:
        lines = list(reader)
    except csv.Error:
        plan.problems.append(CsvProblem(reader.line_num, "", "the file is not a CSV file"))
        return plan
    if not lines or not any(c.strip() for c in lines[0]):
        plan.problems.append(
            CsvProblem(1, "", "the first line must name the columns: " + ", ".join(CSV_COLUMNS))
        )
        return plan
    header = _header(lines[0])
    wanted = [c.casefold() for c in CSV_COLUMNS]
    if header[: len(wanted)] != wanted or any(c for c in header[len(wanted) :]):
        plan.problems.append(
            CsvProblem(1, "", "the columns must be, in order: " + ", ".join(CSV_COLUMNS))
        )
        return plan
    body = [(n, row) for n, row in enumerate(lines[1:], start=2) if any(c.strip() for c in row)]
    if not body:
        plan.problems.append(CsvProblem(2, "", "the file has no one to invite"))
        return plan
    if len(body) > settings.INVITATION_CSV_MAX_ROWS:
        plan.problems.append(
            CsvProblem(
                body[settings.INVITATION_CSV_MAX_ROWS][0],
                "",
                f"a file may invite at most {settings.INVITATION_CSV_MAX_ROWS:,} people: "
                "split it into smaller files",
            )
        )
        return plan

    urns = set()
    for _, row in body:
        cell = row[0].strip() if row else ""
        if cell.isdigit():
            urns.add(int(cell))
    schools = {s.urn: s for s in School.objects.filter(urn__in=urns).select_related("cluster")}
    emails_seen: dict[str, int] = {}
    parsed: list[CsvRow] = []
    for line, row in body:
        row = [*row, *[""] * (len(CSV_COLUMNS) - len(row))]
        if len(row) > len(CSV_COLUMNS) and any(c.strip() for c in row[len(CSV_COLUMNS) :]):
            plan.problems.append(
                CsvProblem(line, "", f"the line has more than {len(CSV_COLUMNS)} columns")
            )
            continue
        cells = dict(zip(CSV_COLUMNS, (c.strip() for c in row), strict=False))
        bad = False
        for column, raw in zip(CSV_COLUMNS, row, strict=False):
            if raw[:1] in FORMULA_STARTS or raw.strip()[:1] in FORMULA_STARTS:
                plan.problems.append(
                    CsvProblem(
                        line,
                        column,
                        "starts with “=”, “+”, “-”, “@” or a tab, which a spreadsheet would "
                        "run as a formula: remove it",
                    )
                )
                bad = True
        if bad:
            continue
        role = _role_from(cells["role"])
        if role is None:
            plan.problems.append(
                CsvProblem(
                    line,
                    "role",
                    f"“{cells['role'][:40]}” is not a role: use one of "
                    + ", ".join(r.label for r in Role),
                )
            )
        school = cluster = None
        urn_text = cells["URN"]
        if role is not None and role not in COUNTY_ROLES:
            if not urn_text:
                plan.problems.append(CsvProblem(line, "URN", "enter the school's URN (6 digits)"))
            elif not urn_text.isdigit() or int(urn_text) not in schools:
                plan.problems.append(
                    CsvProblem(line, "URN", f"no school in the portal has URN “{urn_text[:20]}”")
                )
            else:
                school = schools[int(urn_text)]
                if role == Role.PANEL_MEMBER:
                    # A panel member sits on the panel of that school's cluster.
                    cluster, school = school.cluster, None
                    if cluster is None:
                        plan.problems.append(
                            CsvProblem(line, "URN", "this school is in no cluster, so has no panel")
                        )
        elif role in COUNTY_ROLES and urn_text:
            plan.problems.append(CsvProblem(line, "URN", "leave the URN empty for an LA role"))
        for column, label in (("first name", "first name"), ("last name", "last name")):
            if not cells[column]:
                plan.problems.append(CsvProblem(line, column, f"enter the person's {label}"))
            elif len(cells[column]) > 150:
                plan.problems.append(
                    CsvProblem(line, column, f"the {label} must be 150 characters or fewer")
                )
        email = cells["email"].lower()
        try:
            validate_email(email)
        except ValidationError:
            plan.problems.append(
                CsvProblem(
                    line,
                    "email",
                    "enter an email address in the correct format, like name@example.com",
                )
            )
            email = ""
        if email:
            if email in emails_seen:
                plan.problems.append(
                    CsvProblem(
                        line,
                        "email",
                        f"{email} is also on line {emails_seen[email]}: invite each person once",
                    )
                )
            else:
                emails_seen[email] = line
        if plan.problems and plan.problems[-1].line == line:
            continue
        parsed.append(
            CsvRow(
                line=line,
                email=email,
                first_name=cells["first name"],
                last_name=cells["last name"],
                role=role,
                school=school,
                cluster=cluster,
            )
        )
    if plan.problems:
        return plan

    # Who is already in: an account, or an invitation waiting (two queries for the file).
    emails = [r.email for r in parsed]
    with_account = set(User.objects.filter(email__in=emails).values_list("email", flat=True)) | set(
        User.objects.filter(username__in=emails).values_list("username", flat=True)
    )
    with_account = {e.lower() for e in with_account}
    waiting = set(
        Invitation.objects.filter(
            email__in=emails,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).values_list("email", "role", "school_id", "cluster_id")
    )
    for row in parsed:
        key = (row.email, row.role, row.school.pk if row.school else None,
               row.cluster.pk if row.cluster else None)  # fmt: skip
        if row.email in with_account:
            row = _unchanged(row, "already has an account")
        elif key in waiting:
            row = _unchanged(row, "already invited to this role")
        plan.rows.append(row)
    return plan


def _unchanged(row: CsvRow, reason: str) -> CsvRow:
    from dataclasses import replace

    return replace(row, outcome="unchanged", reason=reason)


@transaction.atomic
def apply_csv(text: str, *, by: AbstractBaseUser) -> BulkPlan:
    """Invite every new row of the file, or no one: the file is read again here (what
    was previewed may have changed), so running the same file twice invites no one twice."""
    plan = plan_csv(text, by=by)
    if plan.problems:
        raise CsvRefused(plan)
    invitations = [
        _new(
            by,
            email=row.email,
            first_name=row.first_name,
            last_name=row.last_name,
            role=row.role,
            school=row.school,
            cluster=row.cluster,
        )
        for row in plan.new
    ]
    # One at a time (not bulk_create) so django-auditlog records each invitation.
    for invitation in invitations:
        invitation.save()
    _send_on_commit(invitations)
    return plan


class CsvRefused(DomainError):
    def __init__(self, plan: BulkPlan):
        super().__init__(
            f"The file has {len(plan.problems)} problem{'s' if len(plan.problems) != 1 else ''}: "
            "no one was invited. " + "; ".join(str(p) for p in plan.problems[:20])
        )
        self.plan = plan


# --- A leaver: ending a membership ---------------------------------------------------


def other_sencos(membership: Membership, on: date | None = None) -> list[AbstractBaseUser]:
    """The school's other SENCOs still there on ``on`` (the day the membership ends): who
    may take a leaver's drafts."""
    if membership.school_id is None:
        return []
    return list(
        User.objects.filter(
            current_membership("memberships__", on=on),
            memberships__school_id=membership.school_id,
            memberships__role=Role.SENCO,
            is_active=True,
        )
        .exclude(pk=membership.user_id)
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


def _seats_to_end(membership: Membership, ends_on: date):
    """The panel seats the membership gives: a head's or SENCO rep's for the school, or a
    panel member's on the cluster's panel; those still running on the day it ends."""
    from panels.models import PanelMember

    seats = PanelMember.objects.filter(user_id=membership.user_id).select_related("panel")
    if membership.school_id:
        seats = seats.filter(school_id=membership.school_id)
    elif membership.cluster_id:
        seats = seats.filter(panel__cluster_id=membership.cluster_id, school__isnull=True)
    else:
        return []
    return list(seats.filter(Q(end_date__isnull=True) | Q(end_date__gte=ends_on)).order_by("pk"))


@transaction.atomic
def end_membership(
    by: AbstractBaseUser,
    membership: Membership,
    ends_on: date | None,
    hand_to: AbstractBaseUser | None = None,
    *,
    confirm_chair_changes: bool = False,
) -> Membership:
    """End a leaver's membership from ``ends_on`` (the first day without it; today or
    later): a SENCO's drafts at the school go to ``hand_to``, another SENCO there; their
    panel seats there end the day before, through the panels app (which refuses, undoing
    all of this, a change of a published meeting's chair unless ``confirm_chair_changes``);
    both people are told. Refused, nothing changed, with the field it is about."""
    from funding import selectors as funding_selectors
    from funding import services as funding_services
    from panels.services import membership as panel_membership

    if not policy.can_manage_people(by):
        raise DomainError("Only an LA SEND officer can end a membership", status=403)
    locked = (
        Membership.objects.select_for_update(of=("self",))
        .select_related("user", "school")
        .get(pk=membership.pk)
    )
    who = locked.user.get_full_name() or locked.user.get_username()
    if locked.ends_on is not None:
        raise DomainError(
            f"{who}'s membership already ends on {locked.ends_on:%-d %B %Y}", status=409
        )
    today = timezone.localdate()
    began = timezone.localdate(locked.created)
    if ends_on is None:
        raise DomainError("Enter the date the membership ends", field="ends_on")
    if ends_on < today:
        raise DomainError("The date the membership ends must be today or later", field="ends_on")
    if ends_on < began:
        raise DomainError(
            f"The date the membership ends must be on or after the day it began "
            f"({began:%-d %B %Y})",
            field="ends_on",
        )
    drafts = (
        funding_selectors.drafts_held_by(locked.user, locked.school)
        if locked.role == Role.SENCO and locked.school_id
        else []
    )
    if drafts:
        takers = other_sencos(locked, on=ends_on)
        if not takers:
            raise DomainError(
                f"{who} has {wording.counted(len(drafts), 'draft')} at {locked.school.name} and "
                "there is no other SENCO there to hand them to: invite one first",
                field="hand_to",
            )
        if hand_to is None:
            raise DomainError(
                f"Choose the SENCO to hand {who}'s {wording.counted(len(drafts), 'draft')} to",
                field="hand_to",
            )
        if hand_to.pk not in {t.pk for t in takers}:
            raise DomainError(
                f"{hand_to.get_full_name() or hand_to.get_username()} is not another SENCO "
                f"at {locked.school.name}",
                field="hand_to",
            )
    else:
        hand_to = None
    with set_actor(by):
        locked.ends_on = ends_on
        locked.save(update_fields=["ends_on"])
        handed = (
            funding_services.hand_over_drafts(
                from_user=locked.user, to_user=hand_to, school=locked.school, by=by
            )
            if hand_to is not None
            else []
        )
        # A seat's end date is its last day; the membership's is the first day without it.
        for seat in _seats_to_end(locked, ends_on):
            panel_membership.end_membership(
                seat,
                by=by,
                end_date=max(ends_on - timedelta(days=1), seat.start_date),
                confirm_chair_changes=confirm_chair_changes,
            )
    announce("membership_ended", membership=locked, handed=handed, hand_to=hand_to)
    if handed:
        announce("drafts_handed_over", membership=locked, handed=handed, hand_to=hand_to)
    return locked


# --- Sessions (accounts/sessions.py; docs/architecture.md §11) -------------------------


@transaction.atomic
def sign_out_everywhere(user: AbstractBaseUser, *, ip_address: str | None = None) -> int:
    """End every session of ``user`` (this one too), on every device and web node: the
    sessions are rows naming their user. Recorded in the change audit (django-auditlog)
    as the user's own act. Returns how many ended."""
    from auditlog.models import LogEntry

    from .models import UserSession

    ended, _ = UserSession.objects.filter(user_id=user.pk).delete()
    LogEntry.objects.log_create(
        user,
        force_log=True,
        action=LogEntry.Action.ACCESS,
        changes={"sessions": [str(ended), "0"]},
        actor=user,
        remote_addr=ip_address,
        additional_data={"event": "signed out everywhere"},
    )
    return ended
