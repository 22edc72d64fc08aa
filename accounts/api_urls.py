"""This app's endpoints under /api/v1/."""

from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("invitations", api.InvitationViewSet, basename="invitation")
router.register("memberships", api.MembershipViewSet, basename="membership")

urlpatterns = router.urls
