"""This app's endpoints under /api/v1/."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("districts", api.DistrictViewSet, basename="district")
router.register("clusters", api.ClusterViewSet, basename="cluster")
router.register("schools", api.SchoolViewSet, basename="school")
router.register("school-imports", api.SchoolImportViewSet, basename="school-import")

urlpatterns = router.urls
