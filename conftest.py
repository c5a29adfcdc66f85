"""Fixtures shared by every app's tests."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from core.authentication import CUSTOMER_ROLE, STAFF_ROLE, principal_cache_key, tokens_for_customer, tokens_for_staff
from customers.models import Customer
from inventory.models import Inventory
from mechanics.models import Mechanic
from tickets.models import Ticket, TicketInventory, TicketMechanic

# Helper modules (not test modules) whose assertions should explain failures as a test's do.
pytest.register_assert_rewrite("core.tests.asserts", "core.tests.live")

from core.tests.live import REDIS_URL, require_redis  # noqa: E402  (after the rewrite hook)
CUSTOMER_PASSWORD = "Correct-Horse-42"
STAFF_PASSWORD = "Staff-Battery-42"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def client_with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def settled(*principals):
    """Saving a principal (creating it too) leaves a tombstone that keeps it out of the principal
    cache, and so out of reach of stored responses, for PRINCIPAL_CACHE_SECONDS; drop it, as its
    expiry would."""
    for principal in principals:
        role = CUSTOMER_ROLE if isinstance(principal, Customer) else STAFF_ROLE
        cache.delete(principal_cache_key(role, principal.pk))
    return principals[0] if len(principals) == 1 else principals


def settled_token(principal) -> str:
    """An access token of a settled principal (see settled)."""
    settled(principal)
    tokens = tokens_for_customer(principal) if isinstance(principal, Customer) else tokens_for_staff(principal)
    return str(tokens.access_token)


@pytest.fixture
def admin_browser(db):
    """A browser signed into the admin as a superuser."""
    user = get_user_model().objects.create_superuser("boss", "boss@shop.example", "Boss-Password-1")
    browser = Client()
    browser.force_login(user)
    return browser


@pytest.fixture
def make_staff(db):
    def make(username: str = "staff", **extra):
        return get_user_model().objects.create_user(
            username=username, password=STAFF_PASSWORD, is_staff=True, **extra
        )

    return make


@pytest.fixture
def staff_user(make_staff):
    return make_staff()


@pytest.fixture
def staff_client(staff_user) -> APIClient:
    return client_with_token(str(tokens_for_staff(staff_user).access_token))


@pytest.fixture
def make_customer(db):
    counter = iter(range(1, 1_000_000))

    def make(**fields) -> Customer:
        n = next(counter)
        customer = Customer(
            name=fields.get("name", f"Customer {n}"),
            email=fields.get("email", f"customer{n}@example.com"),
            phone=fields.get("phone", f"555-01{n:02d}"),
        )
        customer.set_password(fields.get("password", CUSTOMER_PASSWORD))
        customer.save()
        return customer

    return make


@pytest.fixture
def customer(make_customer) -> Customer:
    return make_customer()


@pytest.fixture
def customer_client(customer) -> APIClient:
    return client_with_token(str(tokens_for_customer(customer).access_token))


@pytest.fixture
def client_for():
    """An API client signed in as the given Customer or staff user."""

    def make(principal) -> APIClient:
        tokens = tokens_for_customer(principal) if isinstance(principal, Customer) else tokens_for_staff(principal)
        return client_with_token(str(tokens.access_token))

    return make


@pytest.fixture
def make_mechanic(db):
    counter = iter(range(1, 1_000_000))

    def make(**fields) -> Mechanic:
        n = next(counter)
        return Mechanic.objects.create(
            name=fields.get("name", f"Mechanic {n}"),
            email=fields.get("email", f"mechanic{n}@example.com"),
            phone=fields.get("phone", f"555-02{n:02d}"),
            salary=fields.get("salary", Decimal("50000.00")),
        )

    return make


@pytest.fixture
def make_item(db):
    counter = iter(range(1, 1_000_000))

    def make(**fields) -> Inventory:
        n = next(counter)
        return Inventory.objects.create(
            name=fields.get("name", f"Part {n}"), price=fields.get("price", Decimal("19.99"))
        )

    return make


@pytest.fixture
def make_ticket(db, make_customer):
    def make(customer: Customer | None = None, mechanics=(), parts=(), **fields) -> Ticket:
        ticket = Ticket.objects.create(
            customer=customer or make_customer(),
            vin=fields.get("vin", "1HGCM82633A004352"),
            service_date=fields.get("service_date", date(2026, 11, 1)),
            service_description=fields.get("service_description", "Oil change"),
        )
        TicketMechanic.objects.bulk_create([TicketMechanic(ticket=ticket, mechanic=m) for m in mechanics])
        TicketInventory.objects.bulk_create(
            [TicketInventory(ticket=ticket, inventory=item, quantity=qty) for item, qty in parts]
        )
        return ticket

    return make


@pytest.fixture
def redis_cache(settings):
    """Point the default cache at the real Redis server (skipped when none answers, unless
    REQUIRE_REDIS=1, as in CI)."""
    require_redis()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "mechanic_shop_tests",
        }
    }
    cache.clear()
    yield cache
    cache.clear()


@pytest.fixture
def private_file_cache(settings, tmp_path):
    """The default store (locked file cache) in a directory of this test's own, so other test
    runs on the machine cannot clear it mid-test. `redis_cache` overrides it."""
    settings.CACHES = {
        "default": {"BACKEND": "core.cache.LockedFileBasedCache", "LOCATION": str(tmp_path / "cache")}
    }


@pytest.fixture
def throttling_off(settings):
    settings.THROTTLING_ENABLED = False


@pytest.fixture(params=["file", "redis"])
def store(request):
    """Runs the test once with the private file cache and once with Redis."""
    if request.param == "redis":
        request.getfixturevalue("redis_cache")
    return request.param
