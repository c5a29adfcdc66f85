"""Fixtures of the cross-app contract tests (the root conftest.py has the shared ones)."""

import pytest
from django.core.cache import caches
from django.test import Client

from tests import live

STORES = ["diskcache", "redis"]


@pytest.fixture(scope="session")
def diskcache_directory(tmp_path_factory) -> str:
    # One directory for the run (creating a diskcache costs a tenth of a second), emptied for each test.
    return str(tmp_path_factory.mktemp("diskcache"))


@pytest.fixture
def diskcache_store(settings, diskcache_directory):
    """Every cache alias on diskcache, the settings' default store, whatever CACHE_URL the suite
    runs with."""
    if all(settings.CACHES[alias]["BACKEND"] == "core.cache_backends.DiskCache" for alias in ("default", "limits")):
        # The suite's own store already (the root conftest empties it for each test). Replacing it
        # would cost every test new diskcache objects: a tenth of a second each.
        yield caches["default"]
        return
    settings.CACHES = {
        alias: {
            "BACKEND": "core.cache_backends.DiskCache",
            "LOCATION": f"{diskcache_directory}/{alias}",
            "KEY_PREFIX": "tests",
        }
        for alias in ("default", "limits")
    }
    for alias in ("default", "limits"):
        caches[alias].clear()
    yield caches["default"]
    for alias in ("default", "limits"):
        caches[alias].clear()
        caches[alias].close()


@pytest.fixture(params=STORES)
def store(request):
    """The test runs once on diskcache (the default store) and once on Redis (as in production)."""
    return request.getfixturevalue("redis_cache" if request.param == "redis" else "diskcache_store")


@pytest.fixture
def superuser(make_staff):
    return make_staff(username="admin-user", is_superuser=True)


@pytest.fixture
def admin_browser(superuser) -> Client:
    """A browser signed in to the Django admin as a superuser."""
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def redis_unreachable(settings):
    """Every cache alias on a Redis port nothing listens on, configured as settings.py configures
    Redis: every call fails at once."""
    pytest.importorskip("django_redis")
    unreachable = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{live.free_port()}/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
    }
    settings.CACHES = {
        "default": unreachable,
        "limits": unreachable,
    }
