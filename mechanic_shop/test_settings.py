"""Settings for the test suite: the production settings with a throwaway key, a fast password
hasher, and a cache of the run's own."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-used-anywhere-else-0123456789")
# Without CACHE_URL each test run gets a diskcache directory of its own, so concurrent runs
# on one machine never share counters.
os.environ.setdefault("CACHE_DIR", tempfile.mkdtemp(prefix="mechanic-shop-test-cache-"))

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
