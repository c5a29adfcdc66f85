"""Fixtures every app's tests share: API clients signed in as each kind of caller, model
factories as fixtures, and the switches for throttling and the Redis cache."""

import runpy
import shutil
import zlib
from pathlib import Path

import environ
import pytest
from django.conf import settings as django_settings
from django.core.cache import caches
from rest_framework.test import APIClient

from accounts.tests.factories import STAFF_PASSWORD, StaffUserFactory
from accounts.tokens import tokens_for_customer, tokens_for_staff
from customers.models import Customer
from customers.tests.factories import CUSTOMER_PASSWORD, CustomerFactory
from inventory.tests.factories import InventoryFactory
from mechanics.tests.factories import MechanicFactory
from tickets.tests.factories import TicketFactory

# Helper modules (not test modules) whose assertions should explain failures as a test's do.
pytest.register_assert_rewrite("tests.asserts", "tests.live")

from tests.caches import NAMESPACE  # noqa: E402  (after the rewrite hook)
from tests.live import REDIS_URL, require_redis  # noqa: E402

__all__ = ["CUSTOMER_PASSWORD", "STAFF_PASSWORD"]


def pytest_sessionfinish(session):
    """Remove the diskcache directory of this test process (mechanic_shop/test_settings.py)."""
    for alias in caches:
        caches[alias].close()
    shutil.rmtree(django_settings.TEST_CACHE_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
def _empty_caches():
    """Every test starts with empty caches: no cached response, principal or rate-limit count
    of another test."""
    for alias in caches:
        caches[alias].clear()
    yield
    for alias in caches:
        caches[alias].clear()


def client_with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def access_token_for(principal) -> str:
    tokens = tokens_for_customer(principal) if isinstance(principal, Customer) else tokens_for_staff(principal)
    return str(tokens.access_token)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for(db):
    """An API client signed in as the given Customer or staff user."""

    def make(principal) -> APIClient:
        return client_with_token(access_token_for(principal))

    return make


@pytest.fixture
def make_staff(db):
    return StaffUserFactory


@pytest.fixture
def staff_user(make_staff):
    return make_staff(username="staff")


@pytest.fixture
def staff_client(staff_user, client_for) -> APIClient:
    return client_for(staff_user)


@pytest.fixture
def make_customer(db):
    return CustomerFactory


@pytest.fixture
def customer(make_customer) -> Customer:
    return make_customer()


@pytest.fixture
def customer_client(customer, client_for) -> APIClient:
    return client_for(customer)


@pytest.fixture
def make_mechanic(db):
    return MechanicFactory


@pytest.fixture
def make_item(db):
    return InventoryFactory


@pytest.fixture
def make_ticket(db):
    return TicketFactory


# A day's first second (so a minute's and an hour's too), a little in the future.
RATE_LIMIT_EPOCH = 1_900_000_000 - 1_900_000_000 % 86400


class RateLimitClock:
    """Stands in for the `time` module inside django-ratelimit, which times every rate limit
    (core/ratelimits.py): windows move only when a test moves them.

    django-ratelimit's windows of a period all end at the same second modulo the period, shifted
    for each counted value by crc32(value) modulo the period; a window's last second is that end
    second, and the next window begins one second later."""

    def __init__(self, now: float = RATE_LIMIT_EPOCH + 0.5):
        self.now = now

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def next_window(self, value: str, period: int = 3600) -> int:
        """When the window of `period` after the current one begins for the counted `value`."""
        last_second = int(self.now) - int(self.now) % period + zlib.crc32(value.encode()) % period
        return (last_second if last_second >= int(self.now) else last_second + period) + 1

    def set_into_window(self, value: str, seconds: float, period: int = 3600) -> None:
        """Stop `seconds` into a window of `period` of the counted `value` (from RATE_LIMIT_EPOCH on)."""
        self.now = RATE_LIMIT_EPOCH
        self.now = self.next_window(value, period) + seconds


@pytest.fixture
def ratelimit_clock(monkeypatch) -> RateLimitClock:
    clock = RateLimitClock()
    monkeypatch.setattr("django_ratelimit.core.time", clock)
    return clock


@pytest.fixture
def throttling_off(settings):
    settings.THROTTLING_ENABLED = False


# The variables mechanic_shop/settings.py reads that the machine running the tests may have set.
SETTINGS_ENVIRONMENT = [
    "SECRET_KEY",
    "DEBUG",
    "DATABASE_URL",
    "CACHE_URL",
    "CACHE_DIR",
    "CACHE_KEY_PREFIX",
    "THROTTLE_RATES",
    "THROTTLING_ENABLED",
    "JWT_ACCESS_TOKEN_LIFETIME",
    "JWT_SIGNING_KEY",
    "ALLOWED_HOSTS",
    "NUM_PROXIES",
    "TIME_ZONE",
    "PAPER_SIZE",
    "SHOP_NAME",
    "SHOP_ADDRESS",
    "SHOP_PHONE",
    "SHOP_TAX_ID",
    "STATIC_ROOT",
    "EMAIL_URL",
    "DEFAULT_FROM_EMAIL",
    "PUBLIC_BASE_URL",
    "ESTIMATE_LINK_DAYS",
    "PASSWORD_RESET_TIMEOUT",
]


@pytest.fixture
def load_settings(monkeypatch, tmp_path):
    """load_settings(**environment) -> mechanic_shop/settings.py's names, as a dict, loaded afresh
    with only `environment` set (and no .env file)."""
    monkeypatch.setattr(environ.Env, "read_env", classmethod(lambda cls, *args, **kwargs: None))

    def load(**environment: str) -> dict:
        for name in SETTINGS_ENVIRONMENT:
            monkeypatch.delenv(name, raising=False)
        environment.setdefault("CACHE_DIR", str(tmp_path / "cache"))
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(Path(django_settings.BASE_DIR) / "mechanic_shop" / "settings.py"))

    return load


@pytest.fixture
def redis_cache(settings):
    """Both cache aliases on the real Redis server, as in production (skipped when none answers,
    unless REQUIRE_REDIS=1, as in CI)."""
    require_redis()
    # Keys of this test process only, so processes sharing the Redis database (pytest-xdist's
    # workers) never clear each other's (tests/caches.py).
    redis = {"BACKEND": "tests.caches.NamespacedRedisCache", "LOCATION": REDIS_URL}
    settings.CACHES = {
        "default": {**redis, "KEY_PREFIX": NAMESPACE},
        "limits": {**redis, "KEY_PREFIX": f"{NAMESPACE}:limits"},
    }
    caches["default"].clear()
    yield caches["default"]
    caches["default"].clear()


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, driven by Playwright (tests marked browser and slow), for one module."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in the tests' thread while it is started,
    # and the tests still read and write through the ORM synchronously: Django refuses that unless
    # told it is safe. Only while the browser runs: a later module (check --deploy) must see the
    # setting as production has it.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            yield browser
            browser.close()


@pytest.fixture
def make_page(browser):
    """Pages, each in a fresh browser context (no cookies of another test): `make_page()`, or
    with the context's options, `make_page(viewport=..., java_script_enabled=False)`."""
    contexts = []

    def make(**options):
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(make_page):
    return make_page()
