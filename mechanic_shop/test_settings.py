"""Settings for the test suite: the production settings with a throwaway key, a fast password
hasher, and a cache of the run's own."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-used-anywhere-else-0123456789")
# Without CACHE_URL each test process gets a diskcache directory of its own (removed when its test
# session ends, conftest.py): concurrent runs on one machine, and pytest-xdist's workers of one run
# (which inherit the environment), never share counters, cached accounts or cached pages.
TEST_CACHE_DIR = os.environ["CACHE_DIR"] = tempfile.mkdtemp(prefix="mechanic-shop-test-cache-")
# With CACHE_URL, a key prefix of the process's own, for the same reason.
os.environ["CACHE_KEY_PREFIX"] = f"mechanic_shop_tests:{os.getpid()}"

from mechanic_shop.settings import *  # noqa: F403

# Argon2 is deliberately slow; tests that need the real hasher name it themselves.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]  # noqa: F405

ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405

# Tasks run in the test's own process, at once (a test that needs a real worker and broker starts
# them: tests/test_workers_live.py); nothing is written to a broker.
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Webhook receivers in tests are local servers; host names are never looked up in DNS.
WEBHOOK_ALLOW_HTTP = True
WEBHOOK_ALLOW_PRIVATE = True
WEBHOOK_RESOLVER = "webhooks.addresses.offline_resolver"

# The tests collect no static files: WhiteNoise serves them from the app folders
# (WHITENOISE_USE_FINDERS) and, without a STATIC_ROOT, looks for no collected directory.
STATIC_ROOT = None

# Clearing a Redis cache (every test does) removes the process's own keys, not the whole shared
# database (tests/caches.py).
for _cache in CACHES.values():  # noqa: F405
    if _cache["BACKEND"] == "django_redis.cache.RedisCache":
        _cache["BACKEND"] = "tests.caches.NamespacedRedisCache"
