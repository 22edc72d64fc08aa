"""Invitation pages (/invitations/) and the account flows django-allauth runs
(/account/: password reset, single sign-on). Only the allauth views the portal uses
are routed: its own sign-in and sign-up pages are not (sign-in stays /sign-in/)."""

from allauth.account import views as allauth_views
from allauth.socialaccount import views as social_views
from django.urls import path, re_path
from django.views.generic import RedirectView

from . import sso, views

app_name = "accounts"

urlpatterns = [
    path("", views.invitations, name="invitations"),
    path("new/", views.invite, name="invite"),
    path("bulk/", views.bulk, name="bulk"),
    path("<int:pk>/revoke/", views.revoke, name="revoke"),
    path("<int:pk>/resend/", views.resend, name="resend"),
    path("accept/<str:token>/", views.accept, name="accept"),
]

# Global names: allauth reverses these.
account_urlpatterns = [
    path("", views.account, name="account"),
    path("sign-out-everywhere/", views.sign_out_everywhere, name="sign_out_everywhere"),
    path("password/reset/", allauth_views.password_reset, name="account_reset_password"),
    path(
        "password/reset/done/",
        allauth_views.password_reset_done,
        name="account_reset_password_done",
    ),
    re_path(
        r"^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        allauth_views.password_reset_from_key,
        name="account_reset_password_from_key",
    ),
    path(
        "password/reset/key/done/",
        allauth_views.password_reset_from_key_done,
        name="account_reset_password_from_key_done",
    ),
    path("sso/<str:provider_id>/login/", sso.login, name="openid_connect_login"),
    path("sso/<str:provider_id>/login/callback/", sso.callback, name="openid_connect_callback"),
    path("sso/not-invited/", views.not_invited, name="not_invited"),
    path("sso/cancelled/", social_views.login_cancelled, name="socialaccount_login_cancelled"),
    path("sso/error/", social_views.login_error, name="socialaccount_login_error"),
    # allauth's own sign-in and sign-up are the portal's sign-in and "not invited" pages.
    path("login/", RedirectView.as_view(pattern_name="login"), name="account_login"),
    path("signup/", RedirectView.as_view(pattern_name="not_invited"), name="account_signup"),
    path("inactive/", views.account_closed, name="account_inactive"),
]
