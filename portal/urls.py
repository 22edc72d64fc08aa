from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from accounts.sso import allow_forms_to_providers
from accounts.urls import account_urlpatterns

from . import api_docs, views
from .forms import SignInForm

api_v1 = [
    path("", include("clusters.api_urls")),
    path("", include("funding.api_urls")),
    path("", include("panels.api_urls")),
    path("", include("budgets.api_urls")),
    path("", include("reports.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("portal.api_urls")),
]

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path(
        "sign-in/",
        allow_forms_to_providers(
            auth_views.LoginView.as_view(
                template_name="portal/login.html",
                redirect_authenticated_user=True,
                authentication_form=SignInForm,
            )
        ),
        name="login",
    ),
    path("sign-out/", views.SignOut.as_view(), name="logout"),
    path("search/", views.search, name="search"),
    path("account/two-factor/", include("portal.twofactor.urls")),
    path("account/", include(account_urlpatterns)),
    path("invitations/", include("accounts.urls")),
    path("people/", include("accounts.people_urls")),
    path("notifications/", views.notifications, name="notifications"),
    path("audit/", views.view_audit, name="view_audit"),
    path("audit/export.csv", views.view_audit_export, name="view_audit_export"),
    path("healthz", views.healthz, name="healthz"),
    path("health/ready/", views.Readiness.as_view(), name="readiness"),
    path("clusters/", include("clusters.urls")),
    path("requests/", include("funding.urls")),
    path("panels/", include("panels.urls")),
    path("budgets/", include("budgets.urls")),
    path("reports/", include("reports.urls")),
    path("api/v1/", include(api_v1)),
    # Signed-in users only unless API_DOCS_PUBLIC; the docs page keeps the CSP.
    path("api/schema/", api_docs.SchemaView.as_view(), name="schema"),
    path("api/docs/", api_docs.docs, name="api-docs"),
    path("admin/", admin.site.urls),
    # Any other /api/ address (a malformed id, say) is a JSON 404 even with DEBUG on, where
    # Django would answer its HTML page. Only with the trailing slash, so APPEND_SLASH
    # still redirects an address that lacks it.
    re_path(r"^api/(?:.*/)?$", views.not_found, name="api-not-found"),
]

handler403 = "portal.views.forbidden"
handler404 = "portal.views.not_found"
handler500 = "portal.views.server_error"
