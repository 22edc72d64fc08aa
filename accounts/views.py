"""Invitation pages: the LA's list, inviting one person or many from a CSV, and the
page an invited person opens from their email. Thin: each calls a service or selector."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clusters.models import Cluster, Role
from portal.errors import DomainError

from . import forms, policy, selectors, services, sso
from .models import InvitationState

BULK_SALT = "accounts.bulk-preview"
PAGE_SIZE = 100


def _officer_only(request: HttpRequest) -> None:
    if not policy.can_invite(request.user):
        raise PermissionDenied


@login_required
def invitations(request: HttpRequest) -> HttpResponse:
    _officer_only(request)
    state = request.GET.get("state", "")
    if state not in InvitationState.values:
        state = ""
    query = request.GET.get("q", "").strip()[:100]
    found = selectors.invitations(request.user, state=state, query=query)
    total = found.count()
    return render(
        request,
        "accounts/invitations.html",
        {
            "invitations": list(found[:PAGE_SIZE]),
            "total": total,
            "shown": min(total, PAGE_SIZE),
            "state": state,
            "query": query,
            "states": InvitationState.choices,
            "days": settings.INVITATION_DAYS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest) -> HttpResponse:
    _officer_only(request)
    form = forms.InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = services.invite(
                by=request.user,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                role=data["role"],
                school=data.get("school"),
                cluster=data.get("cluster"),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                f"Invitation sent to {invitation.email} ({invitation.get_role_display()}, "
                f"{invitation.place}).",
            )
            return redirect("accounts:invitations")
    return render(
        request, "accounts/invite.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def bulk(request: HttpRequest) -> HttpResponse:
    """Upload → preview (nothing written) → apply. The preview carries the file's text
    signed, so what is applied is exactly what was previewed, read again."""
    _officer_only(request)
    if request.method == "POST" and "payload" in request.POST:
        try:
            text = signing.loads(request.POST["payload"], salt=BULK_SALT, max_age=3600)
        except signing.BadSignature:
            messages.error(request, "The preview has expired: upload the file again.")
            return redirect("accounts:bulk")
        try:
            plan = services.apply_csv(text, by=request.user)
        except services.CsvRefused as exc:
            return _preview(request, exc.plan, text, status=400)
        count = len(plan.new)
        messages.success(
            request,
            f"{count} invitation{'s' if count != 1 else ''} sent; {len(plan.unchanged)} unchanged.",
        )
        return redirect("accounts:invitations")
    form = forms.BulkInviteForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["file"]
        plan = services.plan_csv(text, by=request.user)
        return _preview(request, plan, text, status=400 if plan.problems else 200)
    return render(
        request,
        "accounts/bulk.html",
        {"form": form, "columns": services.CSV_COLUMNS},
        status=400 if form.errors else 200,
    )


def _preview(request, plan, text: str, *, status: int) -> HttpResponse:
    return render(
        request,
        "accounts/bulk_preview.html",
        {
            "plan": plan,
            "payload": signing.dumps(text, salt=BULK_SALT, compress=True),
            "form": forms.BulkInviteForm(),
            "columns": services.CSV_COLUMNS,
        },
        status=status,
    )


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    _officer_only(request)
    invitation = selectors.invitation(request.user, pk)
    try:
        services.revoke(by=request.user, invitation=invitation)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The invitation to {invitation.email} was withdrawn.")
    return redirect("accounts:invitations")


@login_required
@require_POST
def resend(request: HttpRequest, pk: int) -> HttpResponse:
    _officer_only(request)
    invitation = selectors.invitation(request.user, pk)
    try:
        services.resend(by=request.user, invitation=invitation)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"A new invitation link was sent to {invitation.email}.")
    return redirect("accounts:invitations")


@require_http_methods(["GET", "POST"])
@sso.allow_forms_to_providers
def accept(request: HttpRequest, token: str) -> HttpResponse:
    """Open to anyone holding the link: the token is the only key."""
    try:
        invitation = services.open_invitation(token)
    except services.InvitationRefused as exc:
        return render(
            request, "accounts/invitation_refused.html", {"message": exc.message}, status=exc.status
        )
    if request.user.is_authenticated:
        return render(request, "accounts/accept_signed_in.html", {"invitation": invitation})
    form = forms.SetPasswordForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.accept_with_password(token, form.cleaned_data["password1"])
        except services.InvitationRefused as exc:
            return render(
                request,
                "accounts/invitation_refused.html",
                {"message": exc.message},
                status=exc.status,
            )
        except ValidationError as exc:
            form.add_error("password1", [forms.plain_password_message(e) for e in exc.error_list])
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                f"Your account is ready. Your username is {user.username}.",
            )
            return redirect("dashboard")
    return render(
        request,
        "accounts/accept.html",
        {
            "invitation": invitation,
            "form": form,
            "token": token,
            "providers": sso.providers_for(invitation.email),
        },
        status=400 if form.errors else 200,
    )


def not_invited(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/not_invited.html", {"reason": ""}, status=403)


def account_closed(request: HttpRequest) -> HttpResponse:
    """allauth sends a closed (inactive) account here."""
    return render(
        request,
        "accounts/not_invited.html",
        {"reason": "Your account is closed: ask your LA's administrator to open it."},
        status=403,
    )


# --- People and memberships (docs/architecture.md §2, "Leavers") ---------------------

PEOPLE_PAGE_SIZE = 50


def _people_only(request: HttpRequest) -> None:
    # Not even that the page exists: 404, as for anything out of scope.
    if not policy.can_manage_people(request.user):
        raise Http404


@login_required
@require_GET
def people(request: HttpRequest) -> HttpResponse:
    _people_only(request)
    filters = selectors.PeopleFilters.from_params(request.GET)
    page = Paginator(selectors.people(request.user, filters), PEOPLE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "accounts/people.html",
        {
            "page": page,
            "filters": filters,
            "roles": Role.choices,
            "clusters": Cluster.objects.select_related("district").order_by("name"),
            "querystring": urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v]),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def end_membership(request: HttpRequest, pk: int) -> HttpResponse:
    """Ending a leaver's membership: the date, and (a SENCO with drafts) who takes them.
    A change of a published meeting's chair is shown to confirm, as on the panel's page."""
    from panels.services import RotaChangesUnconfirmed

    _people_only(request)
    membership = selectors.membership(request.user, pk)
    drafts = selectors.drafts_to_hand_over(membership)
    takers = services.other_sencos(membership) if drafts else []
    form = forms.EndMembershipForm(
        request.POST if request.method == "POST" else None, takers=takers, has_drafts=bool(drafts)
    )
    if request.method == "POST" and form.is_valid():
        try:
            ended = services.end_membership(
                request.user,
                membership,
                form.cleaned_data["ends_on"],
                form.cleaned_data.get("hand_to"),
                confirm_chair_changes=request.POST.get("confirm_chair_changes") == "yes",
            )
        except RotaChangesUnconfirmed as exc:
            resend = [
                (name, value)
                for name, values in request.POST.lists()
                if name not in ("csrfmiddlewaretoken", "confirm_chair_changes")
                for value in values
            ]
            return render(
                request,
                "accounts/confirm_end.html",
                {"membership": membership, "changes": exc.changes, "what": exc.what,
                 "resend": resend},
                status=409,
            )  # fmt: skip
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                f"{ended.user.get_full_name() or ended.user.username}'s membership as "
                f"{ended.get_role_display()} at {ended.place} ends on {ended.ends_on:%-d %B %Y}."
                + (" Their drafts were handed over." if drafts else ""),
            )
            return redirect("people:list")
    return render(
        request,
        "accounts/end_membership.html",
        {
            "membership": membership,
            "form": form,
            "drafts": drafts,
            "no_taker": bool(drafts) and not takers,
            "may_end": policy.can_end_membership(request.user, membership),
        },
        status=400 if form.errors else 200,
    )


# --- The user's own account (docs/architecture.md §11, "Sessions") --------------------


@login_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    from portal.roles import scope_for

    from .sessions import idle_minutes, in_words

    return render(
        request,
        "accounts/account.html",
        {
            "memberships": selectors.own_memberships(request.user),
            "idle": in_words(idle_minutes(scope_for(request.user))),
        },
    )


@login_required
@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth import logout

    ended = services.sign_out_everywhere(
        request.user, ip_address=request.META.get("REMOTE_ADDR") or None
    )
    logout(request)
    messages.success(
        request,
        "You have signed out everywhere: "
        + ("your session has ended." if ended <= 1 else f"all {ended} of your sessions have ended.")
        + " Anyone using the portal as you on another device must sign in again.",
    )
    return redirect("login")
