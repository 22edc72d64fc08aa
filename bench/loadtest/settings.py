"""The load test's settings: the stack's production settings (tests/stack_settings.py,
DEBUG off) with the bench's URLconf, which adds the floor view. Never used by the product."""

from tests.stack_settings import *  # noqa: F403

ROOT_URLCONF = "bench.loadtest.urls"
