import pytest
from django.test import Client

from tests.factories import FundingStreamFactory


@pytest.fixture
def stream(db):
    return FundingStreamFactory()


@pytest.fixture
def login(password):
    """A test client signed in as ``user``."""

    def _login(user) -> Client:
        client = Client()
        assert client.login(username=user.username, password=password)
        return client

    return _login
