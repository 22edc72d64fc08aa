from django.urls import path

from . import views

app_name = "funding"

urlpatterns = [
    path("", views.request_list, name="list"),
    path("triage/", views.triage_queue, name="triage"),
    path("export.csv", views.export_csv, name="export"),
    path("new/", views.start, name="start"),
    path("streams/", views.streams, name="streams"),
    path("streams/new/", views.stream_edit, name="stream_new"),
    path("streams/<int:stream_id>/", views.stream_edit, name="stream_edit"),
    path("notices/", views.notices, name="notices"),
    path("notices/new/", views.notice_new, name="notice_new"),
    path("notices/<int:pk>/", views.notice, name="notice"),
    path("notices/<int:pk>/start/", views.notice_start, name="notice_start"),
    path("rates/", views.rate_card, name="rate_card"),
    path("rates/new/", views.rate_edit, name="rate_new"),
    path("rates/<int:rate_id>/", views.rate_edit, name="rate_edit"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/timeline/", views.timeline, name="timeline"),
    path("<int:pk>/tasks/", views.tasks, name="tasks"),
    path("<int:pk>/pupil/", views.section, {"name": "pupil"}, name="pupil"),
    path("<int:pk>/needs/", views.section, {"name": "needs"}, name="needs"),
    path("<int:pk>/evidence/", views.evidence, name="evidence"),
    path("<int:pk>/evidence/<int:cycle_id>/", views.evidence, name="cycle"),
    path("<int:pk>/evidence/<int:cycle_id>/remove/", views.remove_cycle, name="remove_cycle"),
    path("<int:pk>/provision/", views.provision, name="provision"),
    path("<int:pk>/provision/<int:line_id>/", views.edit_line, name="edit_line"),
    path("<int:pk>/provision/<int:line_id>/remove/", views.remove_line, name="remove_line"),
    path("<int:pk>/consent/", views.section, {"name": "consent"}, name="consent"),
    path("<int:pk>/documents/", views.documents, name="documents"),
    path("<int:pk>/documents/<int:doc_id>/", views.download, name="download"),
    path("<int:pk>/documents/<int:doc_id>/remove/", views.remove_document, name="remove_document"),
    path("<int:pk>/check/", views.check, name="check"),
    path("<int:pk>/submitted/", views.submitted, name="submitted"),
    path("<int:pk>/reconsider/", views.reconsider, name="reconsider"),
    path("<int:pk>/continue/", views.start_continuation, name="continue"),
    path("<int:pk>/changes/", views.changes, name="changes"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/action/<slug:name>/", views.action, name="action"),
]
