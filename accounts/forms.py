"""The accounts pages' forms, in the portal's words (portal/forms.py)."""

from __future__ import annotations

from crispy_forms_gds.helper import FormHelper
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from clusters.models import Cluster, Role, School
from portal.forms import DateField, PlainMessagesMixin

from .models import Invitation


class GDSForm(PlainMessagesMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class InviteForm(GDSForm):
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="The invitation goes to this address, and it becomes their username",
    )
    role = forms.ChoiceField(label="Role", choices=Role.choices, widget=forms.RadioSelect)
    school = forms.ModelChoiceField(
        label="School (for a SENCO or headteacher)",
        queryset=School.objects.none(),
        required=False,
        to_field_name="urn",
        empty_label="Choose a school",
    )
    cluster = forms.ModelChoiceField(
        label="Cluster (for a panel member)",
        queryset=Cluster.objects.none(),
        required=False,
        empty_label="Choose a cluster",
    )
    error_names = {"role": "the role", "email": "the email address"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = School.objects.order_by("name")
        self.fields["cluster"].queryset = Cluster.objects.order_by("name")

    def clean(self):
        data = super().clean()
        role = data.get("role")
        if role in (Role.SENCO, Role.HEADTEACHER) and not data.get("school"):
            self.add_error("school", f"Choose the school where they will be {Role(role).label}")
        if role == Role.PANEL_MEMBER and not data.get("cluster"):
            self.add_error("cluster", "Choose the cluster whose panel they will sit on")
        return data


class BulkInviteForm(GDSForm):
    file = forms.FileField(
        label="Invitations file (CSV)",
        help_text="Columns, in order: URN, role, first name, last name, email",
    )
    error_names = {"file": "a CSV file"}

    MAX_BYTES = 2 * 1024 * 1024

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise ValidationError("The file must be smaller than 2 MB")
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise ValidationError("The file must be a CSV file")
        raw = upload.read()
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                return raw.decode("cp1252")
            except UnicodeDecodeError:
                raise ValidationError("The file must be a CSV file saved as UTF-8") from None


class SetPasswordForm(GDSForm):
    password1 = forms.CharField(
        label="Create a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        max_length=128,
        help_text="At least 8 characters; not a common password, not all numbers, not "
        "like your name or email",
    )
    password2 = forms.CharField(
        label="Confirm your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        max_length=128,
    )
    error_names = {"password1": "a password", "password2": "your password again"}

    def __init__(self, *args, invitation: Invitation, **kwargs):
        self.invitation = invitation
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The passwords do not match: enter the same password twice")
        elif first:
            from .services import check_password

            try:
                check_password(self.invitation, first)
            except ValidationError as exc:
                self.add_error("password1", [plain_password_message(e) for e in exc.error_list])
        return data


PASSWORD_WORDS = {
    "password_too_short": "Your password must be at least 8 characters",
    "password_too_common": "Your password is too common: choose one that is harder to guess",
    "password_entirely_numeric": "Your password must not be all numbers",
    "password_too_similar": "Your password is too like your name or email address",
}


def plain_password_message(error: ValidationError) -> str:
    return PASSWORD_WORDS.get(error.code, "Choose a different password")


def _gds_helper(form) -> None:
    form.helper = FormHelper()
    form.helper.form_tag = False
    form.helper.disable_csrf = True


def _reset_forms():
    """allauth's password reset forms, in GOV.UK markup and the portal's words."""
    from allauth.account import forms as allauth_forms

    class ResetPasswordForm(PlainMessagesMixin, allauth_forms.ResetPasswordForm):
        error_names = {"email": "the email address of your account"}

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["email"].label = "Email address"
            self.fields["email"].widget.attrs.pop("placeholder", None)
            _gds_helper(self)

    class ResetPasswordKeyForm(PlainMessagesMixin, allauth_forms.ResetPasswordKeyForm):
        error_names = {"password1": "a new password", "password2": "the new password again"}

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["password1"].label = "New password"
            self.fields["password2"].label = "Confirm the new password"
            for name in ("password1", "password2"):
                self.fields[name].widget.attrs.pop("placeholder", None)
                self.fields[name].max_length = 128
            _gds_helper(self)

        def full_clean(self):
            super().full_clean()
            for name in ("password1", "password2"):
                errors = self._errors.get(name) if self._errors else None
                if errors:
                    self._errors[name] = self.error_class(
                        [_reset_words(e) for e in errors.as_data()]
                    )

    return ResetPasswordForm, ResetPasswordKeyForm


ResetPasswordForm, ResetPasswordKeyForm = _reset_forms()


def _reset_words(error: ValidationError) -> str:
    if error.code in PASSWORD_WORDS:
        return PASSWORD_WORDS[error.code]
    if "same password" in str(error.message):
        return "The passwords do not match: enter the same password twice"
    return str(error.message)


class EndMembershipForm(GDSForm):
    """When a leaver's membership ends, and who takes a SENCO's drafts (the service checks
    both: today or later, from the day it began; another SENCO at the school)."""

    ends_on = DateField(
        label="Date the membership ends",
        name="the date the membership ends",
        help_text="From this day it gives no access. Today or later, for example 31 8 2027",
    )
    hand_to = forms.ModelChoiceField(
        label="Hand the drafts to",
        queryset=None,
        required=False,
        widget=forms.RadioSelect,
        empty_label=None,
        help_text="Another SENCO at the school: the drafts become theirs, and both of you are told",
    )

    def __init__(self, *args, takers=(), has_drafts: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        User = get_user_model()
        self.fields["hand_to"].queryset = User.objects.filter(pk__in=[t.pk for t in takers])
        self.fields["hand_to"].label_from_instance = lambda u: (
            f"{u.get_full_name() or u.username} ({u.email})"
        )
        if not has_drafts:
            del self.fields["hand_to"]
