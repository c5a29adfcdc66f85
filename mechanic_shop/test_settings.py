"""Settings for the test suite: production settings with a throwaway key and a fast hasher."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-used-anywhere-else-0123456789")

from mechanic_shop.settings import *  # noqa: E402,F403

# Argon2 is deliberately slow; tests that need the real hasher name it themselves.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]  # noqa: F405

ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405

# Each test run gets its own file-cache folder, so concurrent runs never share counters.
if CACHES["default"]["BACKEND"] == "core.cache.LockedFileBasedCache":  # noqa: F405
    import tempfile

    CACHES["default"]["LOCATION"] = tempfile.mkdtemp(prefix="mechanic-shop-test-cache-")  # noqa: F405
