from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.run_list, name="list"),
    path("<int:pk>/", views.run_detail, name="detail"),
    path("<int:pk>/status/", views.run_status, name="status"),
    path("<int:pk>/again/", views.run_again, name="again"),
    path("<int:pk>/download/<str:fmt>/", views.download, name="download"),
    path("escalation/", views.escalation_imports, name="escalation"),
    path("escalation/<int:pk>/", views.escalation_detail, name="escalation_detail"),
]
