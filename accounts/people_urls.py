"""The LA SEND officer's people pages (/people/): who holds which membership, and
ending one (a leaver)."""

from django.urls import path

from . import views

app_name = "people"

urlpatterns = [
    path("", views.people, name="list"),
    path("memberships/<int:pk>/end/", views.end_membership, name="end"),
]
