from django.urls import path

from . import views

app_name = "clusters"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("<int:pk>/", views.cluster_detail, name="cluster"),
    path("new/", views.cluster_new, name="new"),
    path("<int:pk>/edit/", views.cluster_edit, name="edit"),
    path("schools/<int:urn>/", views.school_detail, name="school"),
    path("schools/<int:urn>/move/", views.move_school, name="move_school"),
    path("imports/gias/", views.import_gias, name="import_gias"),
    path("imports/statistics/", views.import_stats, name="import_stats"),
    path("imports/<int:pk>/", views.import_detail, name="import"),
    path("imports/<int:pk>/status/", views.import_status, name="import_status"),
    path("imports/<int:pk>/apply/", views.import_apply, name="import_apply"),
    path("imports/<int:pk>/discard/", views.import_discard, name="import_discard"),
]
