"""The stored-response middleware (core.caching.CachedReadMiddleware / serve_stored): a warmed
GET is answered from the stored bytes with no query and without the view, exactly as the view
would have answered it, and only where the view would have: it never widens access, never
skips a rate limit, never answers another media type, and never serves data older than a write.
Each test runs with the default file store and with Redis."""

import jwt
import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from conftest import client_with_token, settled_token
from core import caching
from core.authentication import tokens_for_staff
from core.throttling import ScopedRateThrottle
from customers.views import CustomerViewSet
from mechanics.views import MechanicViewSet
from tickets.views import TicketViewSet

pytestmark = pytest.mark.usefixtures("private_file_cache", "throttling_off")

HOUR = 3600
START = 1_900_000_000 - 1_900_000_000 % HOUR + 100  # 100 s into an hour: no window ends mid-test
ANOTHER_KEY = "an-attacker-key-that-is-not-the-server-key-0123456789"
# Headers every API response carries; a hit must carry the same values as the miss.
SHAPING_HEADERS = {
    "Content-Type",
    "Allow",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "X-Frame-Options",
    "Cross-Origin-Opener-Policy",
    "Content-Length",
}


def client_of(principal) -> APIClient:
    """A token client whose principal the middleware can serve (once it has been seen)."""
    return client_with_token(settled_token(principal))


@pytest.fixture
def staff(store, staff_user) -> APIClient:
    return client_of(staff_user)


@pytest.fixture
def view_disabled(monkeypatch):
    """Replace a view action with one that fails the test if it runs."""

    def disable(viewset, action: str) -> None:
        def view_must_not_run(*args, **kwargs):
            raise AssertionError(f"{viewset.__name__}.{action} ran")

        monkeypatch.setattr(viewset, action, view_must_not_run)

    return disable


def warm(client, url: str) -> dict:
    """A miss, then a hit; returns the miss's body."""
    miss, hit = client.get(url), client.get(url)
    assert (miss.status_code, miss["X-Cache"]) == (200, "miss"), miss.content[:300]
    assert (hit.status_code, hit["X-Cache"]) == (200, "hit")
    assert hit.content == miss.content
    return miss


def headers_except_cache_status(response) -> dict:
    return {name: value for name, value in response.headers.items() if name not in ("X-Cache", "Age")}


def assert_refused_without_trace(response, status: int, *secrets: str) -> None:
    assert response.status_code == status, response.content
    assert not response.has_header("X-Cache")
    assert set(response.json()) == {"error"}
    for secret in secrets:
        assert secret.encode() not in response.content


# --- served from the stored bytes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "viewset", "action"),
    [
        ("/mechanics/{m}", MechanicViewSet, "retrieve"),
        ("/mechanics", MechanicViewSet, "list"),
        ("/mechanics?page=1&per_page=1", MechanicViewSet, "list"),
        ("/tickets", TicketViewSet, "list"),
        ("/customers/{c}", CustomerViewSet, "retrieve"),
    ],
)
def test_a_warmed_read_is_served_with_no_query_and_without_the_view(
    staff, customer, make_mechanic, make_ticket, view_disabled, django_assert_num_queries, url, viewset, action
):
    mechanic = make_mechanic()
    make_ticket(customer=customer, mechanics=[mechanic])
    url = url.format(m=mechanic.pk, c=customer.pk)
    miss = warm(staff, url)
    view_disabled(viewset, action)

    with django_assert_num_queries(0):
        served = staff.get(url)

    assert (served.status_code, served["X-Cache"]) == (200, "hit")
    assert served.content == miss.content


def test_a_customer_is_served_their_own_warmed_record_without_the_view(
    store, customer, view_disabled, django_assert_num_queries
):
    client = client_of(customer)
    miss = warm(client, f"/customers/{customer.pk}")
    view_disabled(CustomerViewSet, "retrieve")

    with django_assert_num_queries(0):
        served = client.get(f"/customers/{customer.pk}")

    assert (served.status_code, served["X-Cache"], served.content) == (200, "hit", miss.content)


@pytest.mark.parametrize(
    ("url", "action", "paginated"),
    [
        ("/mechanics/{m}", "retrieve", False),
        ("/mechanics", "list", False),
        ("/mechanics?page=1&per_page=1", "list", True),
        ("/mechanics?page=2&per_page=1", "list", True),
    ],
)
def test_a_hit_from_the_middleware_has_the_headers_of_the_miss(staff, make_mechanic, view_disabled, url, action, paginated):
    """Security headers, Allow and pagination headers are added by layers the middleware skips
    or by the view; the client must not be able to tell a stored answer from a fresh one."""
    mechanic, _ = make_mechanic(), make_mechanic()
    url = url.format(m=mechanic.pk)
    miss = warm(staff, url)
    view_disabled(MechanicViewSet, action)

    hit = staff.get(url)

    assert hit["X-Cache"] == "hit" and int(hit["Age"]) >= 0
    assert headers_except_cache_status(hit) == headers_except_cache_status(miss)
    expected = SHAPING_HEADERS | ({"X-Total-Count", "Link"} if paginated else set())
    assert expected <= set(hit.headers)
    assert hit["Content-Length"] == str(len(hit.content))
    if paginated:
        assert (hit["X-Total-Count"], hit["Link"]) == ("2", miss["Link"])


# --- never wider than the view -----------------------------------------------------------------


@pytest.mark.parametrize("url", ["/mechanics", "/mechanics/{m}"])
def test_a_staff_warmed_read_is_refused_to_a_customer_and_to_no_token(staff, customer, make_mechanic, url):
    url = url.format(m=make_mechanic(name="Marvin Wrench", email="marvin@shop.example").pk)
    warm(staff, url)
    customer_client = client_of(customer)
    assert customer_client.get("/inventory").status_code == 200  # the customer is in the principal cache

    assert_refused_without_trace(customer_client.get(url), 403, "Marvin Wrench", "marvin@shop.example")
    assert_refused_without_trace(APIClient().get(url), 401, "Marvin Wrench", "marvin@shop.example")


def test_a_customer_warmed_record_is_refused_to_another_customer(store, make_customer):
    owner = make_customer(name="Alice Secret", email="alice.secret@example.com")
    other = client_of(make_customer())
    assert other.get("/inventory").status_code == 200
    url = f"/customers/{owner.pk}"
    warm(client_of(owner), url)

    assert_refused_without_trace(other.get(url), 403, "Alice Secret", "alice.secret@example.com")


def test_an_admin_session_without_a_token_is_not_served_a_staff_warmed_read(staff, make_staff, make_mechanic):
    """The middleware runs before the session middleware, and the API reads only bearer tokens:
    a browser signed into the admin is an anonymous API caller."""
    url = "/mechanics"
    make_mechanic(name="Marvin Wrench")
    warm(staff, url)
    browser = APIClient()
    browser.force_login(make_staff("admin-user", is_superuser=True))

    assert_refused_without_trace(browser.get(url), 401, "Marvin Wrench")


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "text/html, application/xhtml+xml", ""])
def test_a_warmed_read_asked_for_another_media_type_gets_what_the_view_gives(staff, make_mechanic, accept):
    url = f"/mechanics/{make_mechanic().pk}"
    warm(staff, url)

    response = staff.get(url, HTTP_ACCEPT=accept)

    assert response.status_code == 406
    assert not response.has_header("X-Cache")
    assert set(response.json()) == {"error"}


def bad_tokens(staff_user) -> dict[str, str]:
    good = str(tokens_for_staff(staff_user).access_token)
    claims = jwt.decode(good, options={"verify_signature": False})
    return {
        "garbage": "garbage",
        "signed-with-another-key": jwt.encode(claims, ANOTHER_KEY, algorithm="HS256"),
        "expired": jwt.encode({**claims, "iat": claims["iat"] - 7200, "exp": claims["exp"] - 7200}, django_settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256"),
        "refresh-token": str(tokens_for_staff(staff_user)),
        "two-tokens": f"{good} {good}",
    }


@pytest.mark.parametrize("kind", ["garbage", "signed-with-another-key", "expired", "refresh-token", "two-tokens"])
def test_a_bad_token_on_a_warmed_read_is_401(staff, staff_user, make_mechanic, kind):
    url = f"/mechanics/{make_mechanic(name='Marvin Wrench').pk}"
    warm(staff, url)

    response = client_with_token(bad_tokens(staff_user)[kind]).get(url)

    assert_refused_without_trace(response, 401, "Marvin Wrench")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_deleted_customers_token_is_401_on_their_own_warmed_record(store, make_customer):
    customer = make_customer(name="Gone Customer")
    client = client_of(customer)
    url = f"/customers/{customer.pk}"
    warm(client, url)

    customer.delete()

    assert_refused_without_trace(client.get(url), 401, "Gone Customer")


def test_a_staff_user_who_lost_access_is_401_on_a_warmed_read(staff, staff_user, make_mechanic):
    url = f"/mechanics/{make_mechanic(name='Marvin Wrench').pk}"
    warm(staff, url)

    staff_user.is_staff = False
    staff_user.save()

    assert_refused_without_trace(staff.get(url), 401, "Marvin Wrench")


# --- rate limits -------------------------------------------------------------------------------


@pytest.fixture
def throttled(settings, monkeypatch):
    settings.THROTTLING_ENABLED = True
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "mechanics_list": "2/hour"}
    monkeypatch.setattr(ScopedRateThrottle, "timer", staticmethod(lambda: START))


@pytest.mark.parametrize("url", ["/mechanics", "/mechanics?page=1&per_page=1"])
def test_a_warmed_rate_limited_list_still_counts_every_request(staff, make_mechanic, throttled, url):
    make_mechanic()

    responses = [staff.get(url) for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 429]
    assert [r["X-Cache"] for r in responses[:2]] == ["miss", "hit"]
    assert responses[2]["Retry-After"] == str(HOUR - 100)


def test_an_action_without_a_rate_limit_is_still_served_by_the_middleware_when_limits_are_on(
    staff, make_mechanic, throttled, view_disabled, django_assert_num_queries
):
    url = f"/mechanics/{make_mechanic().pk}"
    warm(staff, url)
    view_disabled(MechanicViewSet, "retrieve")

    with django_assert_num_queries(0):
        assert [staff.get(url).status_code for _ in range(3)] == [200, 200, 200]


# --- never older than a write ------------------------------------------------------------------


def patch_name(client, mechanic, name: str) -> None:
    assert client.patch(f"/mechanics/{mechanic.pk}", {"name": name}, format="json").status_code == 200


def orm_rename(client, mechanic, name: str) -> None:
    mechanic.name = name
    mechanic.save()


@pytest.mark.parametrize("write", [patch_name, orm_rename], ids=["api-patch", "orm-save"])
@pytest.mark.parametrize("url", ["/mechanics/{m}", "/mechanics", "/mechanics?page=1&per_page=5"])
def test_the_read_after_a_write_is_a_miss_with_the_new_data(staff, make_mechanic, view_disabled, monkeypatch, write, url):
    mechanic = make_mechanic(name="Old Name")
    url = url.format(m=mechanic.pk)
    warm(staff, url)
    with monkeypatch.context() as patch:
        patch.setattr(MechanicViewSet, "retrieve", lambda *a, **k: pytest.fail("the view ran"))
        patch.setattr(MechanicViewSet, "list", lambda *a, **k: pytest.fail("the view ran"))
        assert staff.get(url)["X-Cache"] == "hit"  # served by the middleware

    write(staff, mechanic, "New Name")
    after = staff.get(url)

    assert (after.status_code, after["X-Cache"]) == (200, "miss")
    assert b"New Name" in after.content and b"Old Name" not in after.content
    assert staff.get(url).content == after.content


def test_a_write_between_hits_that_never_went_through_the_middleware_is_seen(store, staff_user, make_mechanic):
    """The same, when the staff user was saved recently (tombstoned), so the hits came from the view."""
    client = client_with_token(str(tokens_for_staff(staff_user).access_token))
    mechanic = make_mechanic(name="Old Name")
    url = f"/mechanics/{mechanic.pk}"
    warm(client, url)

    patch_name(client, mechanic, "New Name")
    after = client.get(url)

    assert (after["X-Cache"], after.json()["name"]) == ("miss", "New Name")


# --- which query strings share an entry --------------------------------------------------------


@pytest.fixture
def cached_response_calls(monkeypatch) -> list[str]:
    """Paths for which a view reached cached_response (the middleware never calls it)."""
    calls = []
    real = caching.cached_response

    def spy(request, *args, **kwargs):
        calls.append(request.get_full_path())
        return real(request, *args, **kwargs)

    monkeypatch.setattr(caching, "cached_response", spy)
    return calls


def test_another_query_parameter_is_served_by_the_view_from_the_same_entry(staff, make_mechanic, cached_response_calls):
    """Only page and per_page select an entry; the middleware leaves any other query string to
    the view, which finds the same entry."""
    make_mechanic(), make_mechanic()
    miss = warm(staff, "/mechanics")
    assert cached_response_calls == ["/mechanics"]  # the hit came from the middleware

    response = staff.get("/mechanics?x=1")

    assert (response.status_code, response["X-Cache"], response.content) == (200, "hit", miss.content)
    assert cached_response_calls == ["/mechanics", "/mechanics?x=1"]


def test_a_page_has_an_entry_of_its_own(staff, make_mechanic, cached_response_calls):
    make_mechanic(), make_mechanic()
    whole = warm(staff, "/mechanics")

    first_page, again = staff.get("/mechanics?page=1&per_page=1"), staff.get("/mechanics?page=1&per_page=1")

    assert (first_page.status_code, first_page["X-Cache"], again["X-Cache"]) == (200, "miss", "hit")
    assert len(first_page.json()) == 1 and len(whole.json()) == 2
    assert (first_page["X-Total-Count"], again.content) == ("2", first_page.content)
    assert cached_response_calls == ["/mechanics", "/mechanics?page=1&per_page=1"]
