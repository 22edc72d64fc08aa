"""Who may open what: one table for every page and API route of the portal.

Each route the URLconf serves is classified here (a new route without an entry
fails ``test_every_route_is_classified``), with the URL of cluster A's / school A's
object it shows or changes:

* ``OBJECT``: school A's or cluster A's thing. The SENCO and the headteacher of
  school B (another cluster) and a panel member of cluster B get 404 for every
  method the route takes; the owner opens it (200); a finance officer gets 404 or a
  page without pupil detail, as the entry says.
* ``LIST``: a list. Outsiders never see cluster A's marker in it; the owner does.
* ``LA``: LA officers only. School staff and panel members get 403/404.
* ``OPEN``: no school's data (sign-in, health, schema, the user's own notifications).

Then: every route refuses a POST without a CSRF token, and an anonymous user is sent
to sign in (pages) or refused (API) on every route.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from funding.models import RateCardEntry
from tests.text import has_word

from .conftest import World, secrets

OBJECT, LIST, LA, OPEN = "object", "list", "la", "open"
OUTSIDERS = ("senco_b", "head_b", "panel_b")
SCHOOL_SIDE = ("senco_a", "head_a", "panel_a")
PUPIL_KEYS = ("pupil_initials", "primary_need", "outcomes_sought", "parent_voice")
ANONYMOUS_ALLOWED = {"login", "logout", "healthz", "schema", "api-docs", "api-not-found",
                     # Invitations and account flows: the link or the email is the key.
                     "accounts:accept", "account_reset_password", "account_reset_password_done",
                     "account_reset_password_from_key", "account_reset_password_from_key_done",
                     "openid_connect_login", "openid_connect_callback", "not_invited",
                     "socialaccount_login_cancelled", "socialaccount_login_error",
                     "account_login", "account_signup", "account_inactive"}  # fmt: skip
# htmx fragments that tell a signed-out user so in place (401) rather than swap the sign-in
# page into the page: the autosave's status line (what was typed stays on the page).
ANONYMOUS_TOLD = {"funding:autosave"}


@dataclass(frozen=True)
class Route:
    kind: str
    url: Callable[[World], str]
    owner: str | None = None  # who opens it with a GET (200); None: not checked here
    methods: tuple[str, ...] = ("GET",)
    finance: str | None = None  # "404" or "no_pupil"
    marker: Callable[[World], str] | None = None  # LIST: text only the owner's side sees
    # LA: how others are refused (a service refusal is a 400 with its message).
    refused: tuple[int, ...] = (403, 404)


def r(name: str, *args, **kwargs) -> Callable[[World], str]:
    """A URL builder: each arg is an attribute path on the world (``a.draft.pk``) or a value."""

    def value(w: World, arg):
        if isinstance(arg, str) and arg.startswith(("a.", "b.")):
            obj = w
            for part in arg.split("."):
                obj = getattr(obj, part)
            return obj
        return arg

    return lambda w: reverse(
        name,
        args=[value(w, a) for a in args],
        kwargs={k: value(w, v) for k, v in kwargs.items()},
    )


def a_rate():
    """A rate on the LA's card, whoever made it."""
    return RateCardEntry.objects.get_or_create(
        role="Teaching assistant", year=2026, defaults={"hourly_rate": Decimal("15.50")}
    )[0]


def a_band():
    """A need band the LA keeps, whoever made it."""
    from funding.models import NeedBand

    return NeedBand.objects.get_or_create(need="ASD", band=2, defaults={"descriptor": "Moderate"})[
        0
    ]


def some_term_dates():
    """The LA's term dates for 2027/28, entered by whoever."""
    from datetime import date, timedelta

    from budgets.models import TERM_DAY_FIELDS, TermDates

    first = date(2027, 9, 2)
    # Each date a week after the one before: in order, and each a Thursday.
    days = {name: first + timedelta(weeks=3 * i) for i, name in enumerate(TERM_DAY_FIELDS)}
    return TermDates.objects.get_or_create(academic_year=2027, defaults=days)[0]


def an_invitation(w: World):
    """A pending invitation the LA SEND officer sent to school A."""
    from accounts.models import Invitation
    from accounts.services import invite

    found = Invitation.objects.filter(email="invited@a.sch.uk").first()
    return found or invite(
        by=w.send_officer, email="invited@a.sch.uk", first_name="In", last_name="Vited",
        role="senco", school=w.a.school,
    )  # fmt: skip


def INVITED(name: str) -> Callable[[World], str]:  # noqa: N802 - reads like r(...)
    return lambda w: reverse(name, args=[an_invitation(w).pk])


def INVITATION_LINK(w: World) -> str:  # noqa: N802
    from accounts.tokens import make

    invitation = an_invitation(w)
    return reverse("accounts:accept", args=[make(invitation.pk, invitation.nonce)])


def A_MEMBERSHIP(name: str) -> Callable[[World], str]:  # noqa: N802 - reads like r(...)
    """School A's SENCO's membership, for the LA SEND officer to end."""
    return lambda w: reverse(name, args=[w.a.senco.memberships.get().pk])


def a_notice(w: World):
    """School A's notice that a request is coming, not yet started."""
    from funding.models import IntentionNotice

    return IntentionNotice.objects.get_or_create(
        school=w.a.school,
        defaults={
            "cluster": w.a.school.cluster, "stream": w.a.decided.stream, "pupil_initials": "NA",
            "year_group": "4", "expected_month": timezone.localdate().replace(day=1),
            "reports_awaited": "NOTICEA speech therapist", "created_by": w.a.senco,
        },
    )[0]  # fmt: skip


def NOTICE(name: str) -> Callable[[World], str]:  # noqa: N802 - reads like r(...)
    return lambda w: reverse(name, args=[a_notice(w).pk])


def NOTICE_MARK(w: World) -> str:  # noqa: N802
    return a_notice(w).reports_awaited


def an_import():
    """An escalation upload, whoever made it."""
    from reports.models import EscalationImport

    return EscalationImport.objects.get_or_create(filename="world.csv")[0]


def a_school_import():
    """A GIAS upload waiting in its preview, whoever made it."""
    from clusters.models import SchoolImport

    return SchoolImport.objects.get_or_create(
        filename="world-gias.csv", defaults={"kind": "gias", "status": "preview"}
    )[0]


def SCHOOL_IMPORT(name: str) -> Callable[[World], str]:  # noqa: N802 - reads like r(...)
    return lambda w: reverse(name, args=[a_school_import().pk])


POST = ("POST",)
BOTH = ("GET", "POST")
REF = lambda w: w.a.submitted.reference  # noqa: E731


def LETTER(name: str) -> Callable[[World], str]:  # noqa: N802 - reads like r(...)
    """The letter the school got for the item decided at the past meeting."""
    return lambda w: reverse(name, args=[w.a.decided_item.letter.pk])


ROUTES: dict[str, Route] = {
    # --- portal ---------------------------------------------------------------------
    "dashboard": Route(OPEN, r("dashboard")),
    "login": Route(OPEN, r("login")),
    "logout": Route(OPEN, r("logout"), methods=POST),
    "notifications": Route(OPEN, r("notifications")),
    # The user's own account and signing all their sessions out (tests/accounts/test_sessions.py).
    "account": Route(OPEN, r("account")),
    "sign_out_everywhere": Route(OPEN, r("sign_out_everywhere"), methods=POST),
    # The view audit (tests/portal/test_view_audit.py): the data-protection officer's only;
    # LA officers get 404 too (test_the_view_audit_is_the_dpo_s_alone).
    "view_audit": Route(LA, r("view_audit"), "dpo", refused=(404,)),
    "view_audit_export": Route(LA, r("view_audit_export"), "dpo", refused=(404,)),
    "view-audit-list": Route(LA, r("view-audit-list"), "dpo", refused=(404,)),
    # The header's search (tests/portal/test_search.py): school A's name finds its requests
    # for its own staff only; the finance officer sees the references, never the pupil.
    "search": Route(
        LIST,
        lambda w: reverse("search") + f"?q={w.a.school.name}",
        "senco_a",
        finance="no_pupil",
        marker=REF,
    ),
    # The user's own two-factor device (tests/portal/test_two_factor.py).
    "two_factor:verify": Route(OPEN, r("two_factor:verify"), methods=BOTH),
    "two_factor:set_up": Route(OPEN, r("two_factor:set_up"), methods=BOTH),
    # The user's own recovery codes (tests/portal/test_two_factor_recovery.py).
    "two_factor:recovery_codes": Route(OPEN, r("two_factor:recovery_codes"), methods=BOTH),
    "two_factor:recover": Route(OPEN, r("two_factor:recover"), methods=BOTH),
    "healthz": Route(OPEN, r("healthz")),
    # Administrators only; LA officers get 404 too (tests/portal/test_health.py).
    "readiness": Route(LA, r("readiness"), refused=(404,)),
    "schema": Route(OPEN, r("schema")),
    "api-docs": Route(OPEN, r("api-docs")),
    # Any other /api/ address: a JSON 404 for everyone.
    "api-not-found": Route(OPEN, lambda w: "/api/v1/no-such-thing/"),
    # --- accounts: invitations, password reset, single sign-on ------------------------
    "accounts:invitations": Route(LA, r("accounts:invitations"), "send_officer"),
    "accounts:invite": Route(LA, r("accounts:invite"), "send_officer", methods=BOTH),
    "accounts:bulk": Route(LA, r("accounts:bulk"), "send_officer", methods=BOTH),
    "accounts:revoke": Route(LA, INVITED("accounts:revoke"), methods=POST),
    "accounts:resend": Route(LA, INVITED("accounts:resend"), methods=POST),
    # People and memberships (tests/accounts/test_people.py, test_leavers.py).
    "people:list": Route(LA, r("people:list"), "send_officer"),
    "people:end": Route(LA, A_MEMBERSHIP("people:end"), "send_officer", methods=BOTH),
    # Open to whoever holds the link (tests/accounts/test_invitations.py).
    "accounts:accept": Route(OPEN, INVITATION_LINK, methods=BOTH),
    "account_reset_password": Route(OPEN, r("account_reset_password"), methods=BOTH),
    "account_reset_password_done": Route(OPEN, r("account_reset_password_done")),
    "account_reset_password_from_key": Route(
        OPEN, r("account_reset_password_from_key", uidb36="1", key="not-a-key"), methods=BOTH
    ),
    "account_reset_password_from_key_done": Route(OPEN, r("account_reset_password_from_key_done")),
    # No provider is configured here: 404 (tests/accounts/test_oidc.py runs a real one).
    "openid_connect_login": Route(
        OPEN, r("openid_connect_login", provider_id="none"), methods=BOTH
    ),
    "openid_connect_callback": Route(OPEN, r("openid_connect_callback", provider_id="none")),
    "not_invited": Route(OPEN, r("not_invited")),
    "socialaccount_login_cancelled": Route(OPEN, r("socialaccount_login_cancelled")),
    "socialaccount_login_error": Route(OPEN, r("socialaccount_login_error")),
    "account_login": Route(OPEN, r("account_login")),
    "account_signup": Route(OPEN, r("account_signup")),
    "account_inactive": Route(OPEN, r("account_inactive")),
    # --- clusters -------------------------------------------------------------------
    "clusters:directory": Route(
        LIST, r("clusters:directory"), "head_a", marker=lambda w: w.a.school.name
    ),
    "clusters:cluster": Route(OBJECT, r("clusters:cluster", "a.cluster.pk"), "head_a"),
    "clusters:school": Route(OBJECT, r("clusters:school", "a.school.urn"), "head_a"),
    # The cluster map: the LA SEND officer only (tests/clusters/test_cluster_map.py).
    "clusters:new": Route(LA, r("clusters:new"), "send_officer", methods=BOTH),
    "clusters:edit": Route(LA, r("clusters:edit", "a.cluster.pk"), "send_officer", methods=BOTH),
    "clusters:move_school": Route(
        LA, r("clusters:move_school", "a.school.urn"), "send_officer", methods=BOTH
    ),
    # Imports by upload: the LA SEND officer only (tests/clusters/test_import_upload.py,
    # which also has the finance officer refused).
    "clusters:import_gias": Route(LA, r("clusters:import_gias"), "send_officer", methods=BOTH),
    "clusters:import_stats": Route(LA, r("clusters:import_stats"), "send_officer", methods=BOTH),
    "clusters:import": Route(LA, SCHOOL_IMPORT("clusters:import"), "send_officer"),
    "clusters:import_status": Route(LA, SCHOOL_IMPORT("clusters:import_status"), "send_officer"),
    "clusters:import_apply": Route(LA, SCHOOL_IMPORT("clusters:import_apply"), methods=POST),
    "clusters:import_discard": Route(LA, SCHOOL_IMPORT("clusters:import_discard"), methods=POST),
    # --- funding pages --------------------------------------------------------------
    "funding:list": Route(LIST, r("funding:list"), "senco_a", finance="no_pupil", marker=REF),
    "funding:export": Route(LIST, r("funding:export"), "senco_a", finance="no_pupil", marker=REF),
    "funding:triage": Route(LA, r("funding:triage"), "send_officer"),
    "funding:start": Route(OPEN, r("funding:start")),
    "funding:streams": Route(LA, r("funding:streams"), "send_officer"),
    "funding:stream_new": Route(LA, r("funding:stream_new"), "send_officer", methods=BOTH),
    "funding:stream_edit": Route(
        LA, r("funding:stream_edit", "a.decided.stream_id"), "send_officer", methods=BOTH
    ),
    "funding:detail": Route(
        OBJECT, r("funding:detail", "a.submitted.pk"), "senco_a", finance="no_pupil"
    ),
    "funding:timeline": Route(
        OBJECT, r("funding:timeline", "a.submitted.pk"), "senco_a", finance="no_pupil"
    ),
    "funding:submitted": Route(OBJECT, r("funding:submitted", "a.submitted.pk"), "senco_a"),
    "funding:download": Route(
        OBJECT,
        r("funding:download", "a.submitted.pk", "a.document.pk"),
        "senco_a",
        finance="404",
    ),
    "funding:action": Route(
        OBJECT, r("funding:action", "a.submitted.pk", "withdraw"), "senco_a", methods=BOTH
    ),
    "funding:reconsider": Route(OBJECT, r("funding:reconsider", "a.decided.pk"), methods=BOTH),
    # A continuation starts from a funded request; "what changed" is a continuation's only
    # (the world's draft continues nothing: 404 to all). tests/journey/test_continuation.py
    "funding:continue": Route(
        OBJECT, r("funding:continue", "a.decided.pk"), "senco_a", methods=BOTH
    ),
    "funding:changes": Route(OBJECT, r("funding:changes", "a.draft.pk")),
    # Intention to request notices (tests/funding/test_notices.py): the school's own and
    # LA SEND officers'; finance officers, who see no pupil, are refused.
    "funding:notices": Route(LIST, r("funding:notices"), "senco_a", marker=NOTICE_MARK),
    "funding:notice_new": Route(OPEN, r("funding:notice_new"), methods=BOTH),
    "funding:notice": Route(OBJECT, NOTICE("funding:notice"), "senco_a", finance="404"),
    "funding:notice_start": Route(OBJECT, NOTICE("funding:notice_start"), methods=POST),
    # Deleting a draft asks first (tests/funding/test_drafts_and_returns.py).
    "funding:delete": Route(
        OBJECT, r("funding:delete", "a.draft.pk"), "senco_a", methods=BOTH, finance="404"
    ),
    # A step's long text saving itself (htmx; tests/funding/test_no_lost_text.py).
    "funding:autosave": Route(OBJECT, r("funding:autosave", "a.draft.pk", "needs"), methods=POST),
    # The draft's task list and sections: the school's working copy, never the LA's.
    **{
        f"funding:{name}": Route(
            OBJECT, r(f"funding:{name}", "a.draft.pk"), "senco_a", methods=BOTH, finance="404"
        )
        for name in (
            "tasks",
            "pupil",
            "needs",
            "evidence",
            "provision",
            "consent",
            "documents",
            "check",
        )
    },
    "funding:cycle": Route(
        OBJECT,
        lambda w: reverse("funding:cycle", args=[w.a.draft.pk, w.a.draft.cycles.first().pk]),
        "senco_a",
        methods=BOTH,
        finance="404",
    ),
    "funding:remove_cycle": Route(
        OBJECT,
        lambda w: reverse("funding:remove_cycle", args=[w.a.draft.pk, w.a.draft.cycles.first().pk]),
        methods=POST,
    ),
    "funding:remove_line": Route(
        OBJECT,
        lambda w: reverse(
            "funding:remove_line", args=[w.a.draft.pk, w.a.draft.provision_lines.first().pk]
        ),
        methods=POST,
    ),
    "funding:edit_line": Route(
        OBJECT,
        lambda w: reverse(
            "funding:edit_line", args=[w.a.draft.pk, w.a.draft.provision_lines.first().pk]
        ),
        "senco_a",
        methods=BOTH,
        finance="404",
    ),
    # Term dates: LA officers read them, the LA SEND officer enters them
    # (tests/budgets/test_term_dates.py).
    "budgets:term_dates": Route(LA, r("budgets:term_dates"), "finance_officer"),
    "budgets:term_dates_new": Route(LA, r("budgets:term_dates_new"), "send_officer", methods=BOTH),
    "budgets:term_dates_edit": Route(
        LA,
        lambda w: reverse("budgets:term_dates_edit", args=[some_term_dates().academic_year]),
        "send_officer",
        methods=BOTH,
    ),  # fmt: skip
    # Need bands: the LA SEND officer keeps them (tests/funding/test_need_bands.py).
    "funding:need_bands": Route(LA, r("funding:need_bands"), "send_officer"),
    "funding:need_band_new": Route(LA, r("funding:need_band_new"), "send_officer", methods=BOTH),
    "funding:need_band_edit": Route(
        LA,
        lambda w: reverse("funding:need_band_edit", args=[a_band().pk]),
        "send_officer",
        methods=BOTH,
    ),
    # The LA's rate card: LA officers keep it (tests/funding/test_costs.py).
    "funding:rate_card": Route(LA, r("funding:rate_card"), "finance_officer"),
    "funding:rate_new": Route(LA, r("funding:rate_new"), "send_officer", methods=BOTH),
    "funding:rate_edit": Route(
        LA,
        lambda w: reverse("funding:rate_edit", args=[a_rate().pk]),
        "send_officer",
        methods=BOTH,
    ),  # fmt: skip
    "funding:remove_document": Route(
        OBJECT,
        r("funding:remove_document", "a.draft.pk", "a.draft_document.pk"),
        methods=POST,
    ),
    # --- panels pages ---------------------------------------------------------------
    "panels:index": Route(LIST, r("panels:index"), "panel_a", marker=lambda w: w.a.panel.name),
    "panels:panel": Route(OBJECT, r("panels:panel", "a.panel.pk"), "panel_a"),
    "panels:participation": Route(OBJECT, r("panels:participation", "a.panel.pk"), "send_officer"),
    "panels:add_member": Route(OBJECT, r("panels:add_member", "a.panel.pk"), methods=POST),
    "panels:vice_chair": Route(OBJECT, r("panels:vice_chair", "a.panel.pk"), methods=POST),
    "panels:generate_year": Route(OBJECT, r("panels:generate_year", "a.panel.pk"), methods=POST),
    "panels:end_membership": Route(OBJECT, r("panels:end_membership", "a.member.pk"), methods=POST),
    "panels:absence": Route(OBJECT, r("panels:absence", "a.member.pk"), methods=POST),
    "panels:schedule": Route(LA, r("panels:schedule"), "send_officer", methods=BOTH),
    "panels:schedule_many": Route(LA, r("panels:schedule_many"), "send_officer", methods=BOTH),
    "panels:meeting": Route(
        OBJECT, r("panels:meeting", "a.next_meeting.pk"), "panel_a", finance="no_pupil"
    ),
    # The budget in the room (totals, no pupil data), refreshed in place by htmx.
    "panels:room": Route(
        OBJECT, r("panels:room", "a.next_meeting.pk"), "panel_a", finance="no_pupil"
    ),
    **{
        f"panels:{name}": Route(OBJECT, r(f"panels:{name}", "a.next_meeting.pk"), methods=POST)
        for name in ("open", "attendance", "swap_chair")
    },
    # The close page: what closing will do, then the confirmation (for whoever runs it).
    "panels:close": Route(OBJECT, r("panels:close", "a.next_meeting.pk"), methods=BOTH),
    # Cancelling or moving a meeting: the LA SEND officer's (tests/panels/test_calendar.py).
    "panels:cancel_or_move": Route(
        OBJECT, r("panels:cancel_or_move", "a.next_meeting.pk"), "send_officer", methods=BOTH
    ),
    # A meeting's closing date and venue, the panel's quorum rule: the LA SEND officer's
    # (tests/panels/test_versions.py).
    "panels:meeting_details": Route(
        OBJECT, r("panels:meeting_details", "a.next_meeting.pk"), "send_officer", methods=BOTH
    ),
    "panels:setup": Route(OBJECT, r("panels:setup", "a.panel.pk"), "send_officer", methods=BOTH),
    "panels:minutes": Route(
        OBJECT, r("panels:minutes", "a.past_meeting.pk"), "senco_a", finance="no_pupil"
    ),
    "panels:minutes_pdf": Route(OBJECT, r("panels:minutes_pdf", "a.past_meeting.pk"), "senco_a"),
    # The agenda pack (tests/panels/test_papers.py): served once the closing date has passed,
    # so today's meeting (closing today) refuses it to its own members too.
    "panels:pack": Route(OBJECT, r("panels:pack", "a.past_meeting.pk")),
    "panels:item": Route(OBJECT, r("panels:item", "a.open_item.pk"), "panel_a", finance="no_pupil"),
    **{
        f"panels:{name}": Route(OBJECT, r(f"panels:{name}", "a.open_item.pk"), methods=POST)
        for name in (
            "moderate",
            "conflict",
            "withdraw_conflict",
            "reveal",
            "decide",
            "ratify",
            "acting_chair",
        )
    },
    "panels:decision": Route(OBJECT, r("panels:decision", "a.decision.pk"), "senco_a"),
    "panels:review": Route(OBJECT, r("panels:review", "a.decided.pk"), methods=BOTH),
    "panels:chairs_action": Route(OBJECT, r("panels:chairs_action", "a.decided.pk"), methods=BOTH),
    # Chair's action (tests/panels/test_chairs_action.py): the LA SEND officers and the chair
    # who proposed it; only the officer it names confirms or refuses it, only that chair
    # withdraws it.
    "panels:proposal": Route(
        OBJECT, r("panels:proposal", "a.proposal.pk"), "send_officer", finance="404"
    ),
    **{
        f"panels:{name}": Route(OBJECT, r(f"panels:{name}", "a.proposal.pk"), methods=POST)
        for name in ("confirm_proposal", "refuse_proposal", "withdraw_proposal")
    },
    "panels:appeal": Route(LA, r("panels:appeal", "a.decided.pk"), "send_officer", methods=BOTH),
    # Decision letters (tests/panels/test_letters.py): the school's staff, the meeting's
    # chair and LA SEND officers; a finance officer never (the pupil's initials).
    "panels:meeting_letters": Route(
        OBJECT, r("panels:meeting_letters", "a.past_meeting.pk"), "senco_a", finance="404"
    ),
    "panels:letter": Route(OBJECT, LETTER("panels:letter"), "senco_a", finance="404"),
    "panels:letter_pdf": Route(OBJECT, LETTER("panels:letter_pdf"), "senco_a", finance="404"),
    "panels:letter_templates": Route(LA, r("panels:letter_templates"), "send_officer"),
    "panels:letter_template": Route(
        LA, r("panels:letter_template", "declined"), "send_officer", methods=BOTH
    ),
    # --- budgets pages --------------------------------------------------------------
    "budgets:county": Route(
        LIST, r("budgets:county"), "send_officer", marker=lambda w: w.a.cluster.name
    ),
    "budgets:county_live": Route(LA, r("budgets:county_live"), "send_officer"),
    "budgets:cluster": Route(OBJECT, r("budgets:cluster", "a.cluster.pk"), "head_a"),
    "budgets:cluster_live": Route(OBJECT, r("budgets:cluster_live", "a.cluster.pk"), "head_a"),
    "budgets:budget": Route(LA, r("budgets:budget", "a.budget.pk"), "finance_officer"),
    "budgets:allocate": Route(LA, r("budgets:allocate"), "finance_officer", methods=BOTH),
    "budgets:adjust": Route(LA, r("budgets:adjust"), "finance_officer", methods=BOTH),
    "budgets:override": Route(LA, r("budgets:override"), "finance_officer", methods=BOTH),
    "budgets:request": Route(LA, r("budgets:request", "a.decided.pk"), "finance_officer"),
    "budgets:move_pupil": Route(LA, r("budgets:move_pupil", "a.decided.pk"), methods=BOTH),
    "budgets:reduce_award": Route(LA, r("budgets:reduce_award", "a.decided.pk"), methods=BOTH),
    "budgets:payments": Route(LA, r("budgets:payments"), "finance_officer"),
    "budgets:exports": Route(LA, r("budgets:exports"), "finance_officer"),
    "budgets:export": Route(LA, r("budgets:export", what="ledger", fmt="csv"), "finance_officer"),
    # --- reports pages --------------------------------------------------------------
    "reports:list": Route(
        LIST,
        r("reports:list"),
        "head_a",
        marker=lambda w: reverse("reports:detail", args=[w.a.report.pk]),
    ),
    "reports:detail": Route(OBJECT, r("reports:detail", "a.report.pk"), "head_a"),
    "reports:status": Route(OBJECT, r("reports:status", "a.report.pk"), "head_a"),
    "reports:again": Route(OBJECT, r("reports:again", "a.report.pk"), methods=POST),
    # Files exist only once the run has succeeded: 404 to all here; outsiders still 404.
    "reports:download": Route(OBJECT, r("reports:download", "a.report.pk", "html")),
    # The LA's escalation extract: LA officers only (tests/reports/test_escalation_import.py).
    "reports:escalation": Route(LA, r("reports:escalation"), "send_officer", methods=BOTH),
    "reports:escalation_detail": Route(
        LA, lambda w: reverse("reports:escalation_detail", args=[an_import().pk]), "send_officer"
    ),
    # --- API: clusters --------------------------------------------------------------
    "district-list": Route(OPEN, r("district-list")),
    "district-detail": Route(
        OPEN, lambda w: reverse("district-detail", args=[w.a.cluster.district_id])
    ),
    "cluster-list": Route(LIST, r("cluster-list"), "head_a", marker=lambda w: w.a.cluster.name),
    "cluster-detail": Route(OBJECT, r("cluster-detail", "a.cluster.pk"), "head_a"),
    "school-list": Route(LIST, r("school-list"), "head_a", marker=lambda w: w.a.school.name),
    "school-detail": Route(OBJECT, r("school-detail", "a.school.urn"), "head_a"),
    # --- API: funding ---------------------------------------------------------------
    "funding-request-list": Route(
        LIST, r("funding-request-list"), "senco_a", finance="no_pupil", marker=REF, methods=BOTH
    ),
    "funding-request-detail": Route(
        OBJECT,
        r("funding-request-detail", "a.submitted.pk"),
        "senco_a",
        methods=("GET", "PATCH"),
        finance="no_pupil",
    ),
    "funding-request-documents": Route(
        OBJECT,
        r("funding-request-documents", "a.submitted.pk"),
        "senco_a",
        methods=BOTH,
        finance="404",
    ),
    "funding-request-timeline": Route(
        OBJECT, r("funding-request-timeline", "a.submitted.pk"), "senco_a", finance="no_pupil"
    ),
    **{
        f"funding-request-{name}": Route(
            OBJECT, r(f"funding-request-{name}", "a.submitted.pk"), methods=POST
        )
        for name in ("reconsider", "resubmit", "return", "submit", "triage", "withdraw")
    },
    "funding-stream-list": Route(OPEN, r("funding-stream-list")),
    "funding-notice-list": Route(
        LIST, r("funding-notice-list"), "senco_a", marker=NOTICE_MARK, methods=BOTH
    ),
    "funding-notice-detail": Route(
        OBJECT, NOTICE("funding-notice-detail"), "send_officer", finance="404"
    ),
    "funding-notice-start": Route(OBJECT, NOTICE("funding-notice-start"), methods=POST),
    # The rate card is the LA's published rates: every signed-in user reads it, only LA
    # officers change it (a school's POST or PATCH is a 403: tests/funding/test_costs_api.py).
    "rate-card-list": Route(OPEN, r("rate-card-list"), methods=BOTH),
    "rate-card-detail": Route(
        OPEN, lambda w: reverse("rate-card-detail", args=[a_rate().pk]), methods=("GET", "PATCH")
    ),
    # Need bands: every signed-in user reads them; only the LA SEND officer changes them
    # (a school's POST or PATCH is a 403: tests/funding/test_need_bands.py).
    "need-band-list": Route(OPEN, r("need-band-list"), methods=BOTH),
    # Term dates are public: everyone signed in reads them; a school's POST is a 403.
    "term-dates-list": Route(OPEN, r("term-dates-list"), methods=BOTH),
    "term-dates-detail": Route(
        OPEN,
        lambda w: reverse("term-dates-detail", args=[some_term_dates().academic_year]),
        methods=("GET", "PATCH"),
    ),
    "need-band-detail": Route(
        OPEN, lambda w: reverse("need-band-detail", args=[a_band().pk]), methods=("GET", "PATCH")
    ),
    "funding-stream-detail": Route(OPEN, r("funding-stream-detail", "a.decided.stream_id")),
    # --- API: panels ----------------------------------------------------------------
    "panel-list": Route(LIST, r("panel-list"), "panel_a", marker=lambda w: w.a.panel.name),
    "panel-detail": Route(OBJECT, r("panel-detail", "a.panel.pk"), "panel_a"),
    "panel-vice-chair": Route(OBJECT, r("panel-vice-chair", "a.panel.pk"), methods=POST),
    # Publishing a year (tests/panels/test_calendar.py): the preview writes nothing.
    "panel-year-preview": Route(OBJECT, r("panel-year-preview", "a.panel.pk"), methods=POST),
    "panel-year": Route(OBJECT, r("panel-year", "a.panel.pk"), methods=POST),
    "meeting-list": Route(
        LIST,
        r("meeting-list"),
        "panel_a",
        marker=lambda w: f'"id":{w.a.next_meeting.pk},"panel":{w.a.panel.pk}',
    ),
    "meeting-detail": Route(OBJECT, r("meeting-detail", "a.next_meeting.pk"), "panel_a"),
    "meeting-pack": Route(OBJECT, r("meeting-pack", "a.past_meeting.pk"), refused=(400, 404)),
    "meeting-agenda": Route(
        OBJECT, r("meeting-agenda", "a.next_meeting.pk"), "panel_a", finance="no_pupil"
    ),
    **{
        f"meeting-{name}": Route(OBJECT, r(f"meeting-{name}", "a.next_meeting.pk"), methods=POST)
        for name in ("attendance", "close", "open")
    },
    "meeting-close-preview": Route(OBJECT, r("meeting-close-preview", "a.next_meeting.pk")),
    **{
        f"meeting-{name}": Route(OBJECT, r(f"meeting-{name}", "a.next_meeting.pk"), methods=POST)
        for name in ("cancel", "move")
    },
    # Published minutes: the panel, the cluster's schools, the LA.
    "minutes-detail": Route(OBJECT, r("minutes-detail", "a.past_meeting.pk"), "senco_a"),
    "agenda-item-schedule": Route(
        LA, r("agenda-item-schedule"), methods=POST, refused=(400, 403, 404)
    ),
    # Bulk scheduling (tests/panels/test_bulk_scheduling.py).
    "agenda-item-schedule-many": Route(
        LA, r("agenda-item-schedule-many"), methods=POST, refused=(400, 403, 404)
    ),
    "agenda-item-schedulable": Route(LA, r("agenda-item-schedulable"), "send_officer"),
    "agenda-item-detail": Route(
        OBJECT, r("agenda-item-detail", "a.open_item.pk"), "panel_a", finance="no_pupil"
    ),
    "agenda-item-papers": Route(
        OBJECT, r("agenda-item-papers", "a.open_item.pk"), "panel_a", finance="404"
    ),
    "agenda-item-views": Route(
        OBJECT, r("agenda-item-views", "a.open_item.pk"), "voter_a", methods=BOTH, finance="404"
    ),
    # The spread of the views: as the views (tests/panels/test_moderation.py).
    "agenda-item-spread": Route(
        OBJECT, r("agenda-item-spread", "a.open_item.pk"), "voter_a", finance="404"
    ),
    **{
        f"agenda-item-{name}": Route(
            OBJECT, r(f"agenda-item-{name}", "a.open_item.pk"), methods=POST
        )
        for name in ("conflict", "conflict-withdrawal", "reveal", "decision", "acting-chair")
    },
    "decision-list": Route(
        LIST, r("decision-list"), "senco_a", marker=lambda w: w.a.decision.rationale
    ),
    "decision-detail": Route(OBJECT, r("decision-detail", "a.decision.pk"), "senco_a"),
    "chairs-action-list": Route(
        LIST,
        r("chairs-action-list"),
        "send_officer",
        methods=BOTH,
        marker=lambda w: f'"reference":"{w.a.proposal.request.reference}"',
    ),
    "chairs-action-detail": Route(
        OBJECT, r("chairs-action-detail", "a.proposal.pk"), "send_officer", finance="404"
    ),
    **{
        f"chairs-action-{name}": Route(
            OBJECT, r(f"chairs-action-{name}", "a.proposal.pk"), methods=POST
        )
        for name in ("confirm", "refuse", "withdraw")
    },
    "appeal-list": Route(LIST, r("appeal-list"), "senco_a", methods=BOTH),
    # No appeal in this county: an unknown id is a 404 to all, never a 500.
    "appeal-detail": Route(OBJECT, r("appeal-detail", 999999)),
    # Decision letters, the LA's templates and follow-ups (tests/panels/test_letters_api.py).
    "letter-list": Route(LIST, r("letter-list"), "senco_a", marker=lambda w: w.a.decided.reference),
    "letter-detail": Route(OBJECT, LETTER("letter-detail"), "senco_a", finance="404"),
    "letter-pdf": Route(OBJECT, LETTER("letter-pdf"), "senco_a", finance="404"),
    "letter-template-list": Route(LA, r("letter-template-list"), "send_officer"),
    "letter-template-detail": Route(
        LA, r("letter-template-detail", "declined"), "send_officer", methods=("GET", "PUT")
    ),
    "follow-up-list": Route(LIST, r("follow-up-list"), "senco_a", methods=BOTH),
    # No follow-up in this county: an unknown id is a 404 to all, never a 500.
    "follow-up-detail": Route(OBJECT, r("follow-up-detail", 999999)),
    # The SENCO's outcome review, as the page panels:review (tests/panels/test_review_api.py).
    "request-outcome-review": Route(
        OBJECT, r("request-outcome-review", "a.decided.pk"), methods=POST
    ),
    # --- API: invitations (tests/accounts/test_password_reset_and_api.py) -------------
    "invitation-list": Route(LA, r("invitation-list"), "send_officer", methods=BOTH),
    "invitation-detail": Route(LA, INVITED("invitation-detail"), "send_officer"),
    "invitation-bulk": Route(LA, r("invitation-bulk"), methods=POST),
    "invitation-revoke": Route(LA, INVITED("invitation-revoke"), methods=POST),
    "membership-list": Route(LA, r("membership-list"), "send_officer"),
    "membership-end": Route(LA, A_MEMBERSHIP("membership-end"), methods=POST),
    # --- API: budgets ---------------------------------------------------------------
    "budget-list": Route(
        LIST, r("budget-list"), "head_a", marker=lambda w: f'"cluster_name":"{w.a.cluster.name}"'
    ),
    "budget-detail": Route(OBJECT, r("budget-detail", "a.budget.pk"), "head_a"),
    "ledger-entry-list": Route(LA, r("ledger-entry-list"), "finance_officer"),
    "ledger-entry-detail": Route(
        LA,
        lambda w: reverse("ledger-entry-detail", args=[w.a.budget.entries.first().pk]),
        "finance_officer",
    ),
    "allocation-list": Route(LA, r("allocation-list"), "finance_officer", methods=BOTH),
    "allocation-preview": Route(LA, r("allocation-preview"), methods=POST),
    "adjustment-list": Route(LA, r("adjustment-list"), methods=POST),
    "budget-override-list": Route(LA, r("budget-override-list"), methods=POST),
    "payment-run-list": Route(LA, r("payment-run-list"), methods=POST),
    "request-money-detail": Route(LA, r("request-money-detail", "a.decided.pk"), "finance_officer"),
    "request-money-move-pupil": Route(
        LA, r("request-money-move-pupil", "a.decided.pk"), methods=POST
    ),
    "request-money-reduce-award": Route(
        LA, r("request-money-reduce-award", "a.decided.pk"), methods=POST
    ),
    # --- API: reports ---------------------------------------------------------------
    "reports-api-list": Route(
        LIST,
        r("reports-api-list"),
        "head_a",
        methods=BOTH,
        marker=lambda w: f"/api/v1/report-runs/{w.a.report.pk}/",
    ),
    "reports-api-detail": Route(OBJECT, r("reports-api-detail", "a.report.pk"), "head_a"),
    "reports-api-download": Route(OBJECT, r("reports-api-download", "a.report.pk", "html")),
    "escalation-api-list": Route(LA, r("escalation-api-list"), "send_officer", methods=BOTH),
    "school-import-list": Route(LA, r("school-import-list"), "send_officer", methods=BOTH),
    "school-import-detail": Route(LA, SCHOOL_IMPORT("school-import-detail"), "send_officer"),
    "school-import-apply": Route(LA, SCHOOL_IMPORT("school-import-apply"), methods=POST),
    "school-import-discard": Route(LA, SCHOOL_IMPORT("school-import-discard"), methods=POST),
    "escalation-api-detail": Route(
        LA, lambda w: reverse("escalation-api-detail", args=[an_import().pk]), "send_officer"
    ),
}


def served_routes() -> dict[str, str]:
    """Every named route of the URLconf except the Django admin: name -> pattern."""
    found: dict[str, str] = {}

    def walk(resolver: URLResolver, prefix: str, namespace: str | None) -> None:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                ns = ":".join(filter(None, [namespace, p.namespace])) or None
                walk(p, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                name = ":".join(filter(None, [namespace, p.name]))
                found.setdefault(name, prefix + str(p.pattern))

    walk(get_resolver(), "", None)
    return {n: pat for n, pat in found.items() if not n.startswith("admin:") and n != "admin"}


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def test_every_route_is_classified():
    served = served_routes()
    unnamed = [pattern for name, pattern in served.items() if not name or name.endswith(":")]
    assert not unnamed, f"routes without a name cannot be classified: {unnamed}"
    missing = sorted(set(served) - set(ROUTES))
    assert not missing, "New routes need an entry in ROUTES (who may open them?): " + ", ".join(
        missing
    )
    gone = sorted(set(ROUTES) - set(served))
    assert not gone, f"ROUTES lists routes the URLconf no longer serves: {gone}"


# --- the matrix ------------------------------------------------------------------------


class Clients:
    def __init__(self, world: World):
        self.world = world
        self._clients: dict[str, Client] = {}

    def __call__(self, key: str) -> Client:
        if key not in self._clients:
            client = Client()
            client.force_login(self.world.user(key))
            self._clients[key] = client
        return self._clients[key]


def call(client: Client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    if method == "PATCH":
        return client.patch(url, data="{}", content_type="application/json")
    if method == "PUT":
        return client.put(url, data="{}", content_type="application/json")
    if is_api(url):
        return client.post(url, data="{}", content_type="application/json")
    return client.post(url, {})


def body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def empty_list(response) -> bool:
    """An API list with nothing in it (an LA list, scoped to nothing for others)."""
    if response.status_code != 200 or not response.get("Content-Type", "").startswith(
        "application/json"
    ):
        return False
    data = response.json()
    return data == [] or (isinstance(data, dict) and data.get("count") == 0)


def pupil_leaks(response, tag: str = "A", *, keys: bool = False) -> list[str]:
    """School ``tag``'s pupil markers in the response (and, with ``keys``, any pupil field
    of the API at all: a finance officer sees none, whoever's the pupil)."""
    text = body(response)
    # Whole words: a random CSRF token in the page may contain "QXA" by chance.
    leaks = [s for s in [*secrets(tag), f"QX{tag}"] if has_word(text, s)]
    if keys and response.get("Content-Type", "").startswith("application/json"):
        leaks += [k for k in PUPIL_KEYS if f'"{k}"' in text]
    return leaks


def own_senco_b(world: World):
    """Another SENCO at school B, signed in only by the OPEN routes' own client."""
    from django.contrib.auth import get_user_model

    from clusters.models import Role
    from tests.factories import make_user

    found = get_user_model().objects.filter(username="senco_b_own").first()
    return found or make_user(Role.SENCO, school=world.b.school, username="senco_b_own")


def check_route(name: str, route: Route, world: World, clients: Clients) -> list[str]:
    problems: list[str] = []
    url = route.url(world)

    def expect(who: str, method: str, ok: Callable[[int], bool], wanted: str):
        response = call(clients(who), method, url)
        if not ok(response.status_code):
            problems.append(f"{name}: {who} {method} {url} -> {response.status_code}, {wanted}")
        return response

    if route.kind == OBJECT:
        for who in OUTSIDERS:
            for method in route.methods:
                expect(who, method, lambda s: s == 404, "want 404")
        if route.finance == "404":
            expect("finance_officer", route.methods[0], lambda s: s == 404, "want 404")
    elif route.kind == LA:
        for who in SCHOOL_SIDE:
            for method in route.methods:
                response = call(clients(who), method, url)
                if not (response.status_code in route.refused or empty_list(response)):
                    problems.append(
                        f"{name}: {who} {method} {url} -> {response.status_code}, want refused"
                    )
    elif route.kind == LIST:
        for who in OUTSIDERS:
            response = expect(who, "GET", lambda s: s in (200, 302, 404), "want 200/302/404")
            if route.marker and route.marker(world) in body(response):
                problems.append(f"{name}: {who} sees cluster A's {route.marker(world)!r}")
    else:
        # A client of its own, of a SENCO of its own: ``logout`` and
        # ``sign_out_everywhere`` must not sign the others out.
        client = Client()
        client.force_login(own_senco_b(world))
        response = call(client, route.methods[0], url)
        if response.status_code >= 500:
            problems.append(f"{name}: {response.status_code}")

    if route.finance == "no_pupil":
        response = expect("finance_officer", "GET", lambda s: s == 200, "want 200")
        if leaks := pupil_leaks(response, keys=True):
            problems.append(f"{name}: the finance officer sees pupil detail {leaks}")
    if route.owner:
        response = expect(route.owner, "GET", lambda s: s == 200, "want 200 for the owner")
        if (
            route.marker
            and response.status_code == 200
            and route.marker(world) not in body(response)
        ):
            problems.append(f"{name}: the owner {route.owner} does not see {route.marker(world)!r}")
    return problems


def test_outsiders_get_404_and_owners_get_200_on_every_route(world):
    clients = Clients(world)
    problems: list[str] = []
    # Reads first, then writes (an outsider's refused write must change nothing).
    ordered = sorted(ROUTES.items(), key=lambda item: "GET" not in item[1].methods)
    for name, route in ordered:
        problems += check_route(name, route, world, clients)
    assert not problems, "\n".join(problems)


def test_school_b_never_sees_school_a_pupils_anywhere(world):
    """Whatever school B's staff open, school A's pupil markers are not in it."""
    clients = Clients(world)
    leaks = []
    for name, route in ROUTES.items():
        if "GET" not in route.methods:
            continue
        for who in OUTSIDERS:
            response = clients(who).get(route.url(world))
            if found := pupil_leaks(response):
                leaks.append(f"{name} ({who}): {found}")
    assert not leaks, "\n".join(leaks)


# --- CSRF and anonymous ----------------------------------------------------------------


def test_every_route_refuses_a_post_without_a_csrf_token(world):
    clients: dict[str, Client] = {}
    problems = []
    for name, route in ROUTES.items():
        who = "anonymous" if name == "login" else route.owner or "senco_a"
        if who not in clients:
            clients[who] = Client(enforce_csrf_checks=True)
            if who != "anonymous":
                clients[who].force_login(world.user(who))
        url = route.url(world)
        response = clients[who].post(url, {"anything": "1"})
        if response.status_code != 403:
            problems.append(f"{name}: POST {url} without a token -> {response.status_code}")
    assert not problems, "\n".join(problems)


def test_an_anonymous_user_is_sent_to_sign_in_or_refused_everywhere(world):
    problems = []
    client = Client()
    for name, route in ROUTES.items():
        url = route.url(world)
        method = route.methods[0]
        response = call(client, method, url)
        code = response.status_code
        if name in ANONYMOUS_ALLOWED:
            ok = code < 500
        elif name in ANONYMOUS_TOLD:
            ok = code == 401
        elif is_api(url):
            ok = code in (401, 403)
        else:
            ok = code == 302 and response["Location"].startswith(reverse("login"))
        if not ok:
            problems.append(f"{name}: anonymous {method} {url} -> {code}")
    assert not problems, "\n".join(problems)


DPO_ROUTES = ("view_audit", "view_audit_export", "view-audit-list")


def test_the_view_audit_is_the_dpo_s_alone(world):
    clients = Clients(world)
    problems = []
    for name in DPO_ROUTES:
        url = ROUTES[name].url(world)
        for who in ("send_officer", "finance_officer", *SCHOOL_SIDE, *OUTSIDERS):
            if (code := clients(who).get(url).status_code) != 404:
                problems.append(f"{name}: {who} -> {code}, want 404")
        if (code := clients("dpo").get(url).status_code) != 200:
            problems.append(f"{name}: the data-protection officer -> {code}, want 200")
    assert not problems, "\n".join(problems)


def test_the_dpo_sees_nothing_of_any_request(world):
    """Whatever else the data-protection officer opens, no school's pupil is in it."""
    clients = Clients(world)
    leaks = []
    for name, route in ROUTES.items():
        if "GET" not in route.methods or name in DPO_ROUTES:
            continue
        response = clients("dpo").get(route.url(world))
        if found := pupil_leaks(response, "A", keys=True) + pupil_leaks(response, "B"):
            leaks.append(f"{name}: {found}")
    assert not leaks, "\n".join(leaks)


def test_the_django_admin_is_for_staff_only(world, client):
    client.force_login(world.user("send_officer"))
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
