from django.urls import path

from . import views

app_name = "clusters"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("<int:pk>/", views.cluster_detail, name="cluster"),
    path("schools/<int:urn>/", views.school_detail, name="school"),
]
