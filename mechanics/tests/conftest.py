import uuid

import pytest


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """A fresh in-memory cache per test: the project's default file cache is shared by every
    test process on this machine, so another run's cache.clear() or rate-limit counters could
    otherwise leak into these tests. Tests that need Redis ask for `redis_cache`, which wins."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"mechanics-tests-{uuid.uuid4().hex}",
        }
    }
