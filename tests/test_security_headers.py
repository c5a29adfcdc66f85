"""Production safety: with DEBUG off no error body carries a stack trace, a file path, a setting
or SQL; API responses carry the security headers; responses to a signed-in caller are private to
them (exactly `Cache-Control: private, no-cache`, no Expires, `Vary: Authorization`), cached by
the server or not, and token responses are never stored (Cache-Control: no-store); HTTPS is
enforced when configured; cookies are Secure.
(`check --deploy` itself runs in test_settings.py.)
"""

import json

import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from conftest import CUSTOMER_PASSWORD, STAFF_PASSWORD, RateLimitClock, access_token_for, client_with_token

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"error", "fields", "missing_ids"}
# Whatever a leaking error page would show: a traceback, source paths, settings, SQL.
LEAKS = [
    "Traceback",
    'File "',
    "/work/",
    "site-packages",
    "SECRET",
    "SELECT",
    "INSERT",
    "UPDATE ",
    "DELETE FROM",
    "django.",
    "rest_framework.",
    "RuntimeError",
    "<html",
    "<!DOCTYPE",
]


def quiet(client: APIClient) -> APIClient:
    # A server error becomes the response a real client would get, not an exception in the test.
    client.raise_request_exception = False
    return client


@pytest.fixture
def shop(make_customer, make_ticket, make_mechanic, make_item, staff_user):
    customer = make_customer()
    mechanic = make_mechanic()
    ticket = make_ticket(customer=customer, mechanics=[mechanic])
    return {
        "customer": customer,
        "ticket": ticket,
        "mechanic": mechanic,
        "item": make_item(),
        "staff": quiet(client_with_token(access_token_for(staff_user))),
        "as_customer": quiet(client_with_token(access_token_for(customer))),
        "anonymous": quiet(APIClient()),
    }


def boom(*args, **kwargs):
    raise RuntimeError(
        f"SELECT password FROM customers_customer -- {django_settings.SECRET_KEY} {django_settings.BASE_DIR}/core/x.py"
    )


def force_500(shop, monkeypatch):
    monkeypatch.setattr("inventory.selectors.inventory_list", boom)
    return shop["anonymous"].get("/inventory")


def throttled(shop, monkeypatch):
    monkeypatch.setattr("django_ratelimit.core.time", RateLimitClock())  # both deletes in one window
    staff = shop["staff"]
    staff.delete("/mechanics/999999")  # mechanics_delete allows one an hour
    return staff.delete("/mechanics/999998")


# (status, how to provoke it)
ERRORS = {
    "400-validation": (400, lambda s, mp: s["staff"].post("/inventory", {"name": "", "price": "x"}, format="json")),
    "400-parse": (
        400,
        lambda s, mp: s["staff"].generic("POST", "/inventory", b'{"name": \xff', content_type="application/json"),
    ),
    "400-too-deep": (
        400,
        lambda s, mp: s["staff"].generic("POST", "/inventory", b"[" * 100_000, content_type="application/json"),
    ),
    "400-pagination": (400, lambda s, mp: s["anonymous"].get("/inventory?page=0&per_page=1")),
    "400-disallowed-host": (400, lambda s, mp: s["anonymous"].get("/inventory", HTTP_HOST="evil.example")),
    "401-no-token": (401, lambda s, mp: s["anonymous"].get("/mechanics")),
    "401-bad-token": (401, lambda s, mp: quiet(APIClient(HTTP_AUTHORIZATION="Bearer x.y.z")).get("/inventory")),
    "401-bad-login": (
        401,
        lambda s, mp: s["anonymous"].post("/auth/login", {"username": "staff", "password": "nope"}, format="json"),
    ),
    "403-customer-on-staff-route": (403, lambda s, mp: s["as_customer"].get("/mechanics")),
    "404-unknown-path": (404, lambda s, mp: s["anonymous"].get("/wp-admin/setup-config.php")),
    "404-unknown-id": (404, lambda s, mp: s["staff"].get("/customers/999999")),
    "404-missing-ids": (
        404,
        lambda s, mp: s["staff"].put(
            f"/tickets/{s['ticket'].pk}/update-mechanics", {"add_mechanic_ids": [999999]}, format="json"
        ),
    ),
    "405-wrong-method": (405, lambda s, mp: s["staff"].delete("/customers")),
    "409-conflict": (409, lambda s, mp: s["staff"].delete(f"/customers/{s['customer'].pk}")),
    "413-too-large": (
        413,
        lambda s, mp: s["staff"].generic(
            "POST",
            "/inventory",
            b"x" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
            content_type="application/json",
        ),
    ),
    "415-wrong-type": (
        415,
        lambda s, mp: s["staff"].post("/inventory", "name=x", content_type="application/x-www-form-urlencoded"),
    ),
    "429-throttled": (429, throttled),
    "500-forced": (500, force_500),
}


@pytest.mark.parametrize(("status", "provoke"), list(ERRORS.values()), ids=list(ERRORS))
def test_error_bodies_are_the_documented_shape_and_leak_nothing(shop, monkeypatch, status, provoke):
    assert django_settings.DEBUG is False  # the test settings are the production settings

    response = provoke(shop, monkeypatch)

    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert isinstance(body, dict) and set(body) <= ERROR_KEYS
    assert isinstance(body["error"], str) and body["error"]
    assert all(isinstance(k, str) and all(isinstance(m, str) for m in v) for k, v in body.get("fields", {}).items())
    assert all(isinstance(i, int) for i in body.get("missing_ids", []))
    text = response.content.decode()
    assert django_settings.SECRET_KEY not in text and str(django_settings.BASE_DIR) not in text
    for leak in LEAKS:
        assert leak not in text, leak


def test_a_forced_server_error_answers_only_a_generic_sentence(shop, monkeypatch):
    response = force_500(shop, monkeypatch)

    assert response.status_code == 500
    assert response.json() == {"error": "Internal server error."}


@pytest.mark.parametrize(("path", "status"), [("/inventory", 500), ("/wp-admin/x", 404)])
def test_with_debug_on_the_technical_pages_are_still_json_without_a_traceback(
    shop, monkeypatch, settings, path, status
):
    # DEBUG is never on in production, but a developer's server must not turn into HTML either.
    settings.DEBUG = True
    monkeypatch.setattr("inventory.selectors.inventory_list", boom)

    response = shop["anonymous"].get(path)

    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()) == {"error"}
    assert "Traceback" not in response.content.decode() and "SELECT" not in response.content.decode()


@pytest.mark.parametrize("path", ["/api/docs-missing", "/api/redoc-missing", "/static/missing.css"])
def test_with_debug_on_a_browser_page_404_lists_no_url_patterns(shop, settings, path):
    settings.DEBUG = True

    response = shop["anonymous"].get(path)

    assert response.status_code == 404
    assert response.content == b"Not found."
    assert response["Content-Type"].startswith("text/plain")


# --- request bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/customers/login", {"email": "someone@example.com", "password": "Chunked-Pass-42"}),
        (
            "/customers",
            {"name": "Chunked", "email": "chunked@example.com", "phone": "1", "password": "Chunked-Pass-42"},
        ),
    ],
)
def test_a_chunked_body_without_content_length_is_411_not_a_missing_field(shop, path, body):
    # What gunicorn hands Django for `Transfer-Encoding: chunked`: the header, no Content-Length.
    response = shop["anonymous"].generic(
        "POST",
        path,
        json.dumps(body),
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
    )

    assert response.status_code == 411
    assert response.json() == {
        "error": "A request body needs a Content-Length header (chunked bodies are not accepted)."
    }


# --- security headers -----------------------------------------------------------------------------

SUCCESSES = {
    "200-list": lambda s, mp: s["anonymous"].get("/inventory"),
    "200-staff-read": lambda s, mp: s["staff"].get(f"/tickets/{s['ticket'].pk}"),
    "201-create": lambda s, mp: s["staff"].post("/inventory", {"name": "Brake pad", "price": 1}, format="json"),
    "204-delete": lambda s, mp: s["staff"].delete(f"/inventory/{s['item'].pk}"),
    "200-login": lambda s, mp: s["anonymous"].post(
        "/auth/login", {"username": "staff", "password": STAFF_PASSWORD}, format="json"
    ),
    "200-health": lambda s, mp: s["anonymous"].get("/healthz"),
    "200-schema": lambda s, mp: s["anonymous"].get("/api/schema/"),
}
HEADER_CASES = {
    **SUCCESSES,
    **{name: provoke for name, (_, provoke) in ERRORS.items() if name != "400-disallowed-host"},
}


@pytest.mark.parametrize("provoke", list(HEADER_CASES.values()), ids=list(HEADER_CASES))
def test_api_responses_carry_the_security_headers(shop, monkeypatch, provoke):
    response = provoke(shop, monkeypatch)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "X-Powered-By" not in response and "Server" not in response


def test_disallowed_host_answer_is_not_sniffable(shop):
    # Refused before the inner middleware runs; a JSON body needs no X-Frame-Options, but the
    # browser must not sniff it into HTML.
    response = shop["anonymous"].get("/inventory", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.fixture
def https_only(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    return settings


HSTS = "max-age=31536000; includeSubDomains; preload"


@pytest.mark.parametrize("path", ["/inventory", "/nope", "/mechanics"])
def test_https_responses_carry_hsts(https_only, path):
    response = APIClient().get(path, secure=True)

    assert response.status_code in (200, 401, 404)
    assert response["Strict-Transport-Security"] == HSTS


def test_production_defaults_turn_hsts_on():
    assert django_settings.SECURE_HSTS_SECONDS >= 31536000
    assert django_settings.SECURE_HSTS_INCLUDE_SUBDOMAINS is True
    assert APIClient().get("/inventory", secure=True)["Strict-Transport-Security"].startswith("max-age=31536000")


def test_plain_http_responses_carry_no_hsts():
    # Browsers ignore HSTS over http; sending it there would only mislead.
    assert "Strict-Transport-Security" not in APIClient().get("/inventory")


@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
@pytest.mark.parametrize("path", ["/inventory", "/inventory?page=1&per_page=5", "/customers/login", "/nope"])
def test_plain_http_is_redirected_to_https_when_configured(https_only, method, path):
    response = getattr(APIClient(), method)(path, data={}, format="json")

    assert response.status_code == 301
    assert response["Location"] == f"https://testserver{path}"
    assert "Strict-Transport-Security" not in response


def chunked_post(client: APIClient, **extra):
    """A POST as gunicorn hands Django a `Transfer-Encoding: chunked` body: the header, no Content-Length."""
    return client.generic(
        "POST",
        "/customers/login",
        json.dumps({"email": "someone@example.com", "password": "Chunked-Pass-42"}),
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
        **extra,
    )


def test_a_chunked_plain_http_post_is_redirected_to_https_before_any_other_answer(https_only):
    # The HTTPS redirect comes first: no middleware answers a plain-HTTP request before it.
    response = chunked_post(APIClient())

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/customers/login"


def test_a_chunked_https_post_is_refused_with_the_security_headers(https_only):
    response = chunked_post(APIClient(), secure=True)

    assert response.status_code == 411
    assert response["Strict-Transport-Security"] == HSTS
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/healthz", "/healthz/"])
def test_health_probe_is_exempt_from_the_https_redirect(https_only, path):
    # Load balancers probe over plain http inside the network.
    assert APIClient().get(path).status_code == 200


def test_forwarded_proto_is_trusted_only_when_configured(https_only):
    spoofed = APIClient().get("/inventory", HTTP_X_FORWARDED_PROTO="https")
    assert spoofed.status_code == 301

    https_only.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    behind_proxy = APIClient().get("/inventory", HTTP_X_FORWARDED_PROTO="https")
    assert behind_proxy.status_code == 200
    assert behind_proxy["Strict-Transport-Security"] == HSTS


# --- caching by browsers and proxies ------------------------------------------------------------

AUTHENTICATED = {
    "200-staff-list": lambda s: s["staff"].get("/mechanics"),
    "200-staff-list-again": lambda s: (s["staff"].get("/mechanics"), s["staff"].get("/mechanics"))[
        1
    ],  # a cached answer
    "200-staff-record": lambda s: s["staff"].get(f"/mechanics/{s['mechanic'].pk}"),
    "200-customer-own-record": lambda s: s["as_customer"].get(f"/customers/{s['customer'].pk}"),
    "200-customer-own-record-again": lambda s: (
        s["as_customer"].get(f"/customers/{s['customer'].pk}"),
        s["as_customer"].get(f"/customers/{s['customer'].pk}"),
    )[1],
    "200-customer-tickets": lambda s: s["as_customer"].get("/tickets/my-tickets"),
    "200-public-list-signed-in": lambda s: s["as_customer"].get("/inventory"),
    "201-create": lambda s: s["staff"].post("/inventory", {"name": "Brake pad", "price": 1}, format="json"),
    "204-delete": lambda s: s["staff"].delete(f"/inventory/{s['item'].pk}"),
    "403-forbidden": lambda s: s["as_customer"].get("/mechanics"),
    "404-unknown-id": lambda s: s["staff"].get("/customers/999999"),
}


PRIVATE = "private, no-cache"


def assert_private(response) -> None:
    """Exactly `private, no-cache`: shared caches never store it, the caller's own client
    revalidates it, and no lifetime (max-age, Expires) from the server's cache leaks out."""
    assert response["Cache-Control"] == PRIVATE, response["Cache-Control"]
    assert "Expires" not in response, response["Expires"]
    assert "Authorization" in [h.strip() for h in response["Vary"].split(",")]


@pytest.mark.parametrize("provoke", list(AUTHENTICATED.values()), ids=list(AUTHENTICATED))
def test_responses_to_a_signed_in_caller_are_private(shop, provoke):
    response = provoke(shop)

    assert response.status_code < 500
    assert_private(response)


def test_a_cached_read_is_private_without_a_lifetime_on_a_miss_and_on_a_hit(shop):
    """GET /mechanics/<id> is kept 60 s in the server's cache; the signed-in caller's copy, fresh
    or from the cache, carries no lifetime (max-age, Expires)."""
    path = f"/mechanics/{shop['mechanic'].pk}"

    miss, hit = shop["staff"].get(path), shop["staff"].get(path)

    assert (miss.status_code, hit.status_code) == (200, 200)
    assert "Age" not in miss and "Age" in hit  # the second came from the cache
    assert_private(miss)
    assert_private(hit)


@pytest.mark.parametrize(
    "provoke",
    [
        pytest.param(lambda s: s["as_customer"].get("/tickets/my-tickets"), id="uncached-read"),
        pytest.param(
            lambda s: s["staff"].patch(f"/mechanics/{s['mechanic'].pk}", {"name": "Renamed"}, format="json"), id="write"
        ),
    ],
)
def test_an_uncached_answer_to_a_signed_in_caller_is_private_too(shop, provoke):
    response = provoke(shop)

    assert response.status_code == 200
    assert "Age" not in response
    assert_private(response)


@pytest.mark.parametrize("path", ["/mechanics", "/tickets"])
def test_a_bad_token_answer_is_not_stored_for_others(shop, path):
    response = quiet(APIClient(HTTP_AUTHORIZATION="Bearer x.y.z")).get(path)

    assert response.status_code == 401
    assert "private" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


def token_responses(shop, staff_user, customer):
    anonymous = shop["anonymous"]
    staff = anonymous.post("/auth/login", {"username": "staff", "password": STAFF_PASSWORD}, format="json")
    customer_login = anonymous.post(
        "/customers/login", {"email": customer.email, "password": CUSTOMER_PASSWORD}, format="json"
    )
    refreshed = anonymous.post("/auth/refresh", {"refresh_token": staff.json()["refresh_token"]}, format="json")
    return {"staff login": staff, "customer login": customer_login, "refresh": refreshed}


def test_token_responses_are_never_stored(shop, staff_user):
    for name, response in token_responses(shop, staff_user, shop["customer"]).items():
        assert response.status_code == 200, (name, response.content)
        assert "auth_token" in response.json()
        assert "no-store" in response["Cache-Control"], name


# --- cookies ----------------------------------------------------------------------------------------


def test_cookies_are_secure_with_debug_off():
    assert django_settings.DEBUG is False
    assert django_settings.SESSION_COOKIE_SECURE is True
    assert django_settings.CSRF_COOKIE_SECURE is True
    assert django_settings.SESSION_COOKIE_HTTPONLY is True


def test_admin_cookies_are_sent_secure_and_session_cookie_http_only(client, staff_user):
    login_page = client.get("/admin/login/")
    assert login_page.cookies["csrftoken"]["secure"] is True

    signed_in = client.post(
        "/admin/login/?next=/admin/", {"username": "staff", "password": STAFF_PASSWORD, "next": "/admin/"}
    )

    assert signed_in.status_code == 302
    session = signed_in.cookies["sessionid"]
    assert session["secure"] is True and session["httponly"] is True
    assert session["samesite"] == "Lax"


@pytest.mark.parametrize(
    "provoke",
    [
        SUCCESSES["200-list"],
        SUCCESSES["200-login"],
        SUCCESSES["201-create"],
        ERRORS["401-bad-login"][1],
        ERRORS["500-forced"][1],
    ],
)
def test_the_api_sets_no_cookies(shop, monkeypatch, provoke):
    # Tokens travel in the Authorization header; no session or CSRF cookie to steal or ride.
    assert not provoke(shop, monkeypatch).cookies
