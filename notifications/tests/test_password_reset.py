"""Password reset (API.md "Customers hear from the shop"): 202 for any email, the email from the
worker; a link to a page with a new-password form, and POST /customers/password-reset/confirm
for API clients; Django's validators; the token works once and expires; the reset ends every
earlier token and clears the account's sign-in failure counts; the password_reset limits."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.tokens import tokens_for_customer
from conftest import CUSTOMER_PASSWORD, client_with_token
from customers.tests.factories import CustomerFactory
from notifications.models import Email

NEW_PASSWORD = "Fresh-Lantern-77"


@pytest.fixture
def ann(db):
    return CustomerFactory(name="Ann Driver", email="ann@example.com")


@pytest.fixture
def ask(api_client, committed):
    def post(email, **extra):
        with committed():
            return api_client.post("/customers/password-reset", {"email": email}, **extra)

    return post


@pytest.fixture
def reset_link(ann, ask, outbox, link_in) -> str:
    response = ask("ann@example.com")
    assert response.status_code == 202
    [message] = outbox
    return link_in(message)


def token_of(path: str) -> str:
    return path.split("token=", 1)[1]


def sign_in(api_client, password: str):
    return api_client.post("/customers/login", {"email": "ann@example.com", "password": password})


def page_post(client: Client, path: str, password: str, again: str | None = None):
    page = client.get(path)
    assert page.status_code == 200, page.content
    token = page.cookies["csrftoken"].value
    return client.post(
        path,
        {
            "token": token_of(path),
            "new_password": password,
            "new_password_again": password if again is None else again,
            "csrfmiddlewaretoken": token,
        },
    )


# --- asking -------------------------------------------------------------------------------------


def test_a_known_email_gets_a_reset_link(ann, reset_link, outbox):
    message = outbox[0]
    assert message.to == ["ann@example.com"]
    assert message.subject == "Reset your password"
    assert reset_link.startswith("/password-reset?token=")
    assert "60 minutes" in message.body


@pytest.mark.parametrize("email", ["nobody@example.com", "not-an-email", "", 42, None, ["ann@example.com"], "a" * 400])
def test_any_other_email_is_202_and_gets_none(ann, ask, outbox, email):
    response = ask(email)
    assert response.status_code == 202
    assert response.json() == {"status": "accepted"}
    assert outbox == []


def test_an_unknown_email_is_recorded_as_skipped(ann, ask):
    ask("nobody@example.com")
    assert list(Email.objects.values_list("to", "state")) == [("nobody@example.com", "skipped")]


def test_the_email_is_matched_as_sign_in_matches_it(ann, ask, outbox):
    assert ask("  ANN@Example.COM ").status_code == 202
    assert [m.to for m in outbox] == [["ann@example.com"]]


def test_a_known_and_an_unknown_email_cost_the_request_the_same(ann, api_client):
    counts = []
    for email in ("ann@example.com", "nobody@example.com"):
        with CaptureQueriesContext(connection) as queries:
            assert api_client.post("/customers/password-reset", {"email": email}).status_code == 202
        counts.append([q["sql"].split()[0] for q in queries.captured_queries])
    assert counts[0] == counts[1]
    assert not any("customers_customer" in q["sql"] for q in queries.captured_queries)  # looked up by the worker


def test_a_request_without_an_email_is_400(api_client):
    response = api_client.post("/customers/password-reset", {})
    assert response.status_code == 400
    assert "email" in response.json()["fields"]


# --- the page -----------------------------------------------------------------------------------


def test_the_page_sets_a_new_password_that_signs_in(ann, reset_link, api_client):
    client = Client(enforce_csrf_checks=True)
    page = client.get(reset_link)
    assert 'type="password"' in page.content.decode() and 'name="viewport"' in page.content.decode()
    response = page_post(client, reset_link, NEW_PASSWORD)
    assert response.status_code == 200
    assert "Your password is changed" in response.content.decode()
    assert sign_in(api_client, NEW_PASSWORD).status_code == 200
    assert sign_in(api_client, CUSTOMER_PASSWORD).status_code == 401


def test_a_weak_password_shows_djangos_messages_and_changes_nothing(ann, reset_link, api_client):
    response = page_post(Client(enforce_csrf_checks=True), reset_link, "12345")
    assert response.status_code == 400
    page = response.content.decode()
    assert "This password is too short" in page and "This password is entirely numeric" in page
    assert sign_in(api_client, CUSTOMER_PASSWORD).status_code == 200


def test_passwords_that_differ_are_refused(ann, reset_link, api_client):
    response = page_post(Client(enforce_csrf_checks=True), reset_link, NEW_PASSWORD, again=NEW_PASSWORD + "x")
    assert response.status_code == 400 and "The two passwords differ" in response.content.decode()
    assert sign_in(api_client, CUSTOMER_PASSWORD).status_code == 200


def test_a_used_link_is_410(ann, reset_link):
    client = Client(enforce_csrf_checks=True)
    assert page_post(client, reset_link, NEW_PASSWORD).status_code == 200
    response = client.get(reset_link)
    assert response.status_code == 410
    assert "not valid, was already used, or has expired" in response.content.decode()


@pytest.mark.parametrize("token", ["", "garbage", "MQ.abc-def", "%00", "x" * 500])
def test_a_bad_token_on_the_page_is_410(ann, client, token):
    assert client.get("/password-reset", {"token": token}).status_code in (400, 410)


# --- the API --------------------------------------------------------------------------------------


def test_confirm_through_the_api_is_204_and_once(ann, reset_link, api_client):
    body = {"token": token_of(reset_link), "new_password": NEW_PASSWORD}
    response = api_client.post("/customers/password-reset/confirm", body)
    assert response.status_code == 204, response.content
    assert sign_in(api_client, NEW_PASSWORD).status_code == 200
    again = api_client.post("/customers/password-reset/confirm", {**body, "new_password": "Another-Lantern-78"})
    assert again.status_code == 400
    assert list(again.json()["fields"]) == ["token"]


def test_a_weak_password_through_the_api_is_400_with_djangos_messages(ann, reset_link, api_client):
    response = api_client.post(
        "/customers/password-reset/confirm", {"token": token_of(reset_link), "new_password": "password"}
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"new_password": ["This password is too common."]}


def test_an_expired_token_is_400(ann, reset_link, api_client, settings):
    settings.PASSWORD_RESET_TIMEOUT = -1  # every token is older than that
    response = api_client.post(
        "/customers/password-reset/confirm", {"token": token_of(reset_link), "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 400


def test_a_token_for_an_older_password_is_400(ann, reset_link, api_client, staff_client):
    staff_client.patch(f"/customers/{ann.pk}", {"password": "Staff-Chosen-99"})
    response = api_client.post(
        "/customers/password-reset/confirm", {"token": token_of(reset_link), "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 400


def test_the_reset_ends_every_earlier_token(ann, reset_link, api_client):
    refresh = tokens_for_customer(ann)
    access = str(refresh.access_token)
    assert client_with_token(access).get(f"/customers/{ann.pk}").status_code == 200
    api_client.post("/customers/password-reset/confirm", {"token": token_of(reset_link), "new_password": NEW_PASSWORD})
    assert client_with_token(access).get(f"/customers/{ann.pk}").status_code == 401
    assert api_client.post("/auth/refresh", {"refresh_token": str(refresh)}).status_code == 401


def test_the_reset_clears_the_sign_in_failures(ann, reset_link, api_client, settings, ratelimit_clock):
    settings.THROTTLING_ENABLED = True
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "login_account": "3/hour"}
    ratelimit_clock.set_into_window("ann@example.com", 1)
    for n in range(3):
        wrong = {"email": "ann@example.com", "password": "Wrong-Guess-1"}
        assert api_client.post("/customers/login", wrong, REMOTE_ADDR=f"198.51.100.{n}").status_code == 401
    right = {"email": "ann@example.com", "password": CUSTOMER_PASSWORD}
    assert api_client.post("/customers/login", right, REMOTE_ADDR="203.0.113.9").status_code == 429

    body = {"token": token_of(reset_link), "new_password": NEW_PASSWORD}
    assert api_client.post("/customers/password-reset/confirm", body, REMOTE_ADDR="203.0.113.9").status_code == 204

    right["password"] = NEW_PASSWORD
    assert api_client.post("/customers/login", right, REMOTE_ADDR="203.0.113.9").status_code == 200


def test_the_reset_is_in_the_customers_audit_trail(ann, reset_link, api_client, staff_client):
    api_client.post("/customers/password-reset/confirm", {"token": token_of(reset_link), "new_password": NEW_PASSWORD})
    from audit.models import Change

    change = Change.objects.filter(object_id=ann.pk, action="update").last()
    assert change.changes == {"password": ["(hidden)", "(changed)"]}
    assert change.by == "ann@example.com (password reset)"


# --- rate limits ----------------------------------------------------------------------------------


def test_five_an_hour_per_address(ann, api_client, settings, ratelimit_clock):
    settings.THROTTLING_ENABLED = True
    ratelimit_clock.set_into_window("address:203.0.113.5", 1)
    for n in range(5):
        response = api_client.post(
            "/customers/password-reset", {"email": f"x{n}@example.com"}, REMOTE_ADDR="203.0.113.5"
        )
        assert response.status_code == 202
    response = api_client.post("/customers/password-reset", {"email": "x9@example.com"}, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0


def test_three_an_hour_per_email_however_it_is_spelled(ann, api_client, settings, ratelimit_clock):
    settings.THROTTLING_ENABLED = True
    ratelimit_clock.set_into_window("email:ann@example.com", 1)
    for n, spelling in enumerate(["ann@example.com", "ANN@example.com", " ann@EXAMPLE.com"]):
        response = api_client.post("/customers/password-reset", {"email": spelling}, REMOTE_ADDR=f"198.51.100.{n}")
        assert response.status_code == 202
    response = api_client.post("/customers/password-reset", {"email": "ann@example.com"}, REMOTE_ADDR="198.51.100.9")
    assert response.status_code == 429
    other = api_client.post("/customers/password-reset", {"email": "bob@example.com"}, REMOTE_ADDR="198.51.100.9")
    assert other.status_code == 202
