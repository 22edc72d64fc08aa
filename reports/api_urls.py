"""This app's endpoints under /api/v1/."""

from rest_framework.routers import SimpleRouter

from .api import EscalationImportViewSet, ReportRunViewSet

router = SimpleRouter()
router.register("report-runs", ReportRunViewSet, basename="reports-api")
router.register("escalation-imports", EscalationImportViewSet, basename="escalation-api")

urlpatterns = router.urls
