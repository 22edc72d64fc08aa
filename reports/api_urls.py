"""This app's endpoints under /api/v1/."""

from rest_framework.routers import SimpleRouter

from .api import ReportRunViewSet

router = SimpleRouter()
router.register("report-runs", ReportRunViewSet, basename="reports-api")

urlpatterns = router.urls
