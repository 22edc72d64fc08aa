"""This app's endpoints under /api/v1/."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("invitations", api.InvitationViewSet, basename="invitation")

urlpatterns = router.urls
