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

# The tests collect no static files: WhiteNoise serves them from the app folders
# (WHITENOISE_USE_FINDERS) and, without a STATIC_ROOT, looks for no collected directory.
STATIC_ROOT = None
