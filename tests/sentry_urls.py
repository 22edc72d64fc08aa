"""The portal's URLs and one page that fails, for tests/portal/test_sentry.py's
separate process (an error the way a real one reaches Sentry)."""

from django.http import HttpResponse
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns


def fails(request):
    request.POST  # noqa: B018 - the body is read, as a form view would
    raise RuntimeError("the pupil record could not be saved")


def handler500(request):
    return HttpResponse("Sorry, there is a problem with the service.", status=500)


urlpatterns = [path("test-only/fails/", fails), *portal_urlpatterns]
