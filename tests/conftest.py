import itertools
import os
import random
import zlib

import factory.random
import pytest
from django.conf import settings
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from clusters.models import Role
from tests import objectstore
from tests.factories import PASSWORD, SchoolFactory, make_user

# Property tests draw the same examples on every run: a failure is a bug to fix, never
# a roll of the dice in someone else's build; and no time limits, which a loaded machine
# (or a parallel run) would break by chance.
hypothesis_settings.register_profile(
    "portal",
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
hypothesis_settings.load_profile("portal")


def pytest_configure(config):
    # Factories' fake names and dates are the same on every run.
    factory.random.reseed_random("inclusion-funding-portal")
    # CI runs the production path: PostgreSQL must be there, or the run fails (never skips).
    if os.environ.get("CI") and not settings.USING_POSTGRES:
        raise pytest.UsageError("CI must run against PostgreSQL: set DATABASE_URL")


@pytest.fixture(autouse=True)
def _same_fake_data_in_any_order(request):
    """Each test's fake names and dates (factory_boy, Faker, ``random``) follow from its
    own id alone: not from the tests that ran before it in this process, nor from the
    seed that shuffled the order (pyproject.toml: ``--randomly-dont-reset-seed``)."""
    seed = zlib.crc32(request.node.nodeid.encode())
    random.seed(seed)
    factory.random.reseed_random(seed)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private"},
        },
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.AXES_ENABLED = False
    # Two-factor sign-in is tested on its own (tests/portal/test_two_factor.py).
    settings.OTP_ENFORCED = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PUPIL_KEY_SECRET = "test-pupil-key-secret"


_buckets = itertools.count(1)


@pytest.fixture(scope="session")
def object_store_server():
    """moto's S3 server, one process per test session (per xdist worker)."""
    server = objectstore.ObjectStoreServer().start()
    yield server
    server.stop()


@pytest.fixture
def object_store(object_store_server, settings):
    """The private storage in a fresh bucket of the real object-store server."""
    name = f"portal-test-{next(_buckets)}"
    bucket = objectstore.Bucket(name, object_store_server.url).create()
    settings.STORAGES = {
        **settings.STORAGES,
        "private": objectstore.s3_storage_setting(bucket.name, object_store_server.url),
    }
    return bucket


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def school_a(db):
    return SchoolFactory(name="Ashfield Primary")


@pytest.fixture
def school_b(db):
    return SchoolFactory(name="Brookside Primary")


@pytest.fixture
def senco_a(school_a):
    return make_user(Role.SENCO, school=school_a, username="senco_a")


@pytest.fixture
def senco_b(school_b):
    return make_user(Role.SENCO, school=school_b, username="senco_b")


@pytest.fixture
def head_a(school_a):
    return make_user(Role.HEADTEACHER, school=school_a, username="head_a")


@pytest.fixture
def send_officer(db):
    return make_user(Role.LA_SEND_OFFICER, username="send_officer")


@pytest.fixture
def finance_officer(db):
    return make_user(Role.LA_FINANCE_OFFICER, username="finance_officer")
