from django.urls import path, re_path

from . import views

app_name = "budgets"

urlpatterns = [
    path("", views.county, name="county"),
    path("live/", views.county_live, name="county_live"),
    path("clusters/<int:pk>/", views.cluster, name="cluster"),
    path("clusters/<int:pk>/live/", views.cluster_live, name="cluster_live"),
    path("budget/<int:pk>/", views.budget_detail, name="budget"),
    path("allocate/", views.allocate, name="allocate"),
    path("adjust/", views.adjust, name="adjust"),
    path("override/", views.override, name="override"),
    path("requests/<int:pk>/", views.request_money, name="request"),
    path("requests/<int:pk>/move/", views.move_pupil, name="move_pupil"),
    path("requests/<int:pk>/reduce/", views.reduce_award, name="reduce_award"),
    path("payments/", views.payments, name="payments"),
    path("terms/", views.term_dates, name="term_dates"),
    path("terms/new/", views.term_dates_edit, name="term_dates_new"),
    path("terms/<int:year>/", views.term_dates_edit, name="term_dates_edit"),
    path("export/", views.export, {"what": "ledger", "fmt": "csv"}, name="exports"),
    re_path(r"^export/(?P<what>ledger|payments)\.(?P<fmt>csv|xlsx)$", views.export, name="export"),
]
