"""Each log line of a request carries its request id, and no pupil data
(portal/logs.py, portal/scrub.py)."""

import json
import logging
import uuid

import pytest
from django.urls import reverse

from clusters.models import Role
from tests.factories import FundingRequestFactory, make_user
from tests.logcapture import json_log_lines

pytestmark = pytest.mark.django_db


def test_a_search_by_initials_is_logged_by_path_with_the_balancers_request_id(client, school_a):
    senco = make_user(Role.SENCO, school=school_a)
    FundingRequestFactory(school=school_a, created_by=senco, pupil_initials="QZ")
    client.force_login(senco)
    with json_log_lines() as lines:
        response = client.get(reverse("search"), {"q": "QZ"}, HTTP_X_REQUEST_ID="lb-7f3a")
    assert response.status_code == 200
    mine = [line for line in lines if line.get("request_id") == "lb-7f3a"]
    events = [line["event"] for line in mine]
    assert "request_started" in events and "request_finished" in events
    finished = next(line for line in mine if line["event"] == "request_finished")
    assert finished["request"] == "GET /search/"  # never the query string
    assert finished["code"] == 200 and finished["user_id"] == senco.pk
    assert "QZ" not in json.dumps(lines)


def test_a_request_without_an_id_gets_one_and_stdlib_lines_carry_it(client, school_a):
    senco = make_user(Role.SENCO, school=school_a)
    client.force_login(senco)
    with json_log_lines() as lines:
        client.get("/no-such-page/")
    ids = {line.get("request_id") for line in lines}
    assert len(ids) == 1
    (request_id,) = ids
    assert uuid.UUID(request_id)
    # Django's own "Not Found" warning (a stdlib logger) has the same id.
    assert any(line["logger"] == "django.request" for line in lines)


def test_pupil_fields_passed_to_a_log_call_are_filtered(client):
    with json_log_lines() as lines:
        logging.getLogger("funding.services").warning(
            "request %s stored", "ENG-2026-00001",
            extra={"pupil_initials": "QZ", "upn": "A123456789012", "parent_voice": "…"},
        )  # fmt: skip
    (line,) = lines
    assert line["event"] == "request ENG-2026-00001 stored"
    assert line["pupil_initials"] == line["upn"] == line["parent_voice"] == "[Filtered]"
