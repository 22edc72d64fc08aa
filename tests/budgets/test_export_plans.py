"""The finance officer's exports read every row through a server-side cursor: PostgreSQL
must plan those cursors for all their rows, not the first tenth (a national payment
export took three times as long planned for a fast start)."""

import pytest
from django.conf import settings
from django.db import connection


@pytest.mark.django_db
@pytest.mark.skipif(not settings.USING_POSTGRES, reason="a PostgreSQL planner setting")
def test_the_portals_cursors_are_planned_to_be_read_whole():
    with connection.cursor() as cursor:
        cursor.execute("SHOW cursor_tuple_fraction")
        assert cursor.fetchone() == ("1",)
