"""The /webhooks endpoints as an API client sees them (API.md, "Webhooks")."""

import pytest
from django.db import transaction

from events import services as events
from events.models import EventType
from tests.asserts import assert_error
from webhooks import services
from webhooks.addresses import MAX_URL_LENGTH
from webhooks.models import Delivery, Subscription
from webhooks.tests.receiver import Receiver, status

SUBSCRIPTION_KEYS = {"id", "url", "events", "description", "active", "created_at"}
DELIVERY_KEYS = {"id", "event_id", "event_type", "attempt", "status_code", "error", "at", "next_attempt_at", "state"}


def create(client, url: str, events_=("*",), **extra):
    return client.post("/webhooks", {"url": url, "events": list(events_), **extra}, format="json")


def publish(event_type=EventType.TICKET_CREATED):
    with transaction.atomic():
        event = events.record_event(type=event_type, data={"id": 1})
    events.dispatch_event(event_id=event.pk)
    return event


# --- who may call -------------------------------------------------------------------------------

ENDPOINTS = [
    ("get", "/webhooks"),
    ("post", "/webhooks"),
    ("get", "/webhooks/1"),
    ("patch", "/webhooks/1"),
    ("delete", "/webhooks/1"),
    ("get", "/webhooks/1/deliveries"),
    ("post", "/webhooks/1/deliveries/1/redeliver"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_anonymous_callers_are_told_to_sign_in(api_client, method, path):
    response = getattr(api_client, method)(path, {}, format="json")
    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_customers_may_not_touch_webhooks(customer_client, method, path):
    assert_error(getattr(customer_client, method)(path, {}, format="json"), 403)


def test_put_is_not_served(staff_client, receiver):
    subscription = services.subscription_create(url=receiver.url, events=["*"])
    assert_error(staff_client.put(f"/webhooks/{subscription.pk}", {}, format="json"), 405)


# --- subscriptions ------------------------------------------------------------------------------


def test_subscribing_shows_the_secret_once(staff_client, receiver):
    response = create(staff_client, receiver.url, ["ticket.status_changed", "payment.received"], description="Books")

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == SUBSCRIPTION_KEYS | {"secret"}
    assert body["url"] == receiver.url
    assert body["events"] == ["ticket.status_changed", "payment.received"]
    assert (body["description"], body["active"]) == ("Books", True)
    assert body["created_at"].endswith("Z")
    assert body["secret"] == Subscription.objects.get().secret
    assert body["secret"].startswith("whsec_")

    for path in ("/webhooks", f"/webhooks/{body['id']}"):
        shown = staff_client.get(path).json()
        shown = shown[0] if isinstance(shown, list) else shown
        assert set(shown) == SUBSCRIPTION_KEYS
    patched = staff_client.patch(f"/webhooks/{body['id']}", {"description": "x"}, format="json").json()
    assert "secret" not in patched


def test_and_slash_both_work(staff_client, receiver):
    assert create(staff_client, receiver.url).status_code == 201
    assert staff_client.get("/webhooks/").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": ["*"]}, "url"),
        ({"url": "http://127.0.0.1:9/h"}, "events"),
        ({"url": "http://127.0.0.1:9/h", "events": ["ticket.exploded"]}, "events"),
        ({"url": "http://127.0.0.1:9/h", "events": []}, "events"),
        ({"url": "http://127.0.0.1:9/h", "events": "ticket.created"}, "events"),
        ({"url": "http://127.0.0.1:9/h", "events": [["ticket.created"]]}, "events.0"),
        ({"url": "http://127.0.0.1:9/h", "events": ["ticket.created", "ticket.created"]}, "events"),
        ({"url": "http://127.0.0.1:9/h", "events": ["*"] * 50}, "events"),
        ({"url": "http://127.0.0.1:9/" + "a" * MAX_URL_LENGTH, "events": ["*"]}, "url"),
        ({"url": "not a url", "events": ["*"]}, "url"),
        ({"url": "ftp://127.0.0.1/h", "events": ["*"]}, "url"),
        ({"url": "https://unknown-host.invalid/h", "events": ["*"]}, "url"),
        ({"url": 42, "events": ["*"]}, "url"),
        ({"url": None, "events": ["*"]}, "url"),
        ({"url": "http://127.0.0.1:9/h", "events": ["*"], "description": "d" * 256}, "description"),
    ],
)
def test_bad_subscriptions_are_400_naming_the_field(staff_client, body, field):
    assert_error(staff_client.post("/webhooks", body, format="json"), 400, field)
    assert not Subscription.objects.exists()


def test_private_and_plain_http_urls_are_refused_unless_allowed(staff_client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    settings.WEBHOOK_ALLOW_HTTP = False
    for url, words in [
        ("http://127.0.0.1:9/h", "https"),
        ("https://127.0.0.1:9/h", "loopback"),
        ("https://169.254.169.254/latest", "link-local"),
        ("https://10.1.2.3/h", "private"),
    ]:
        body = assert_error(create(staff_client, url), 400, "url")
        assert words in body["fields"]["url"][0], body


def test_a_duplicate_subscription_is_400(staff_client, receiver):
    assert create(staff_client, receiver.url).status_code == 201
    body = assert_error(create(staff_client, receiver.url, ["ticket.created"]), 400, "url")
    assert body["fields"]["url"] == [services.DUPLICATE_URL]


def test_subscriptions_beyond_the_limit_are_400(staff_client, receiver, settings):
    settings.WEBHOOK_MAX_SUBSCRIPTIONS = 1
    assert create(staff_client, receiver.url).status_code == 201
    body = assert_error(create(staff_client, receiver.url + "/2"), 400, "url")
    assert body["fields"]["url"] == ["At most 1 webhooks may exist."]


def test_patch_changes_what_it_names(staff_client, receiver):
    subscription = services.subscription_create(url=receiver.url, events=["*"], description="a")
    response = staff_client.patch(
        f"/webhooks/{subscription.pk}", {"events": ["stock.low"], "active": False}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["events"], response.json()["active"], response.json()["description"]) == (
        ["stock.low"],
        False,
        "a",
    )
    assert_error(staff_client.patch(f"/webhooks/{subscription.pk}", {"events": ["nope"]}, format="json"), 400)
    assert_error(staff_client.patch(f"/webhooks/{subscription.pk}", {"url": "gopher://x"}, format="json"), 400)


def test_delete_and_unknown_ids(staff_client, receiver):
    subscription = services.subscription_create(url=receiver.url, events=["*"])
    assert staff_client.delete(f"/webhooks/{subscription.pk}").status_code == 204
    for method, path in [
        ("get", f"/webhooks/{subscription.pk}"),
        ("patch", f"/webhooks/{subscription.pk}"),
        ("delete", f"/webhooks/{subscription.pk}"),
        ("get", f"/webhooks/{subscription.pk}/deliveries"),
        ("post", f"/webhooks/{subscription.pk}/deliveries/1/redeliver"),
        ("get", "/webhooks/99999999999999999999"),
    ]:
        assert_error(getattr(staff_client, method)(path, {}, format="json"), 404)


def test_the_list_is_paginated_by_id(staff_client, receiver):
    for n in range(3):
        services.subscription_create(url=f"{receiver.url}/{n}", events=["*"])
    response = staff_client.get("/webhooks?page=2&per_page=2")
    assert response.status_code == 200
    assert [row["url"] for row in response.json()] == [f"{receiver.url}/2"]
    assert response["X-Total-Count"] == "3"


# --- deliveries ---------------------------------------------------------------------------------


def test_deliveries_list_each_delivery_with_its_last_attempt(staff_client, django_assert_num_queries):
    with Receiver(lambda n: status(500)) as failing:
        subscription = services.subscription_create(url=failing.url, events=["*"])
        first, second = publish(EventType.TICKET_CREATED), publish(EventType.STOCK_LOW)
        services.attempt_delivery(delivery_id=Delivery.objects.get(event=first).pk)

    with django_assert_num_queries(3):  # the caller, the webhook, the deliveries with their events
        response = staff_client.get(f"/webhooks/{subscription.pk}/deliveries")

    assert response.status_code == 200
    rows = response.json()
    assert [set(row) for row in rows] == [DELIVERY_KEYS] * 2
    tried, waiting = rows
    assert (tried["event_id"], tried["event_type"], tried["attempt"]) == (str(first.pk), "ticket.created", 1)
    assert (tried["status_code"], tried["error"], tried["state"]) == (500, "The receiver answered 500.", "pending")
    assert tried["at"] and tried["next_attempt_at"] > tried["at"]
    assert (waiting["event_id"], waiting["event_type"], waiting["attempt"]) == (str(second.pk), "stock.low", 0)
    assert (waiting["status_code"], waiting["at"], waiting["error"]) == (None, None, "")


def test_redeliver_is_202_and_sends_again(staff_client, receiver, django_capture_on_commit_callbacks):
    subscription = services.subscription_create(url=receiver.url, events=["*"])
    event = publish()
    delivery = Delivery.objects.get()
    services.attempt_delivery(delivery_id=delivery.pk)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/webhooks/{subscription.pk}/deliveries/{delivery.pk}/redeliver")

    assert response.status_code == 202, response.content
    assert response.json()["id"] == delivery.pk
    assert [r.webhook_id for r in receiver.requests] == [str(event.pk)] * 2


def test_redeliver_on_a_disabled_webhook_is_409(staff_client, receiver):
    subscription = services.subscription_create(url=receiver.url, events=["*"])
    publish()
    delivery = Delivery.objects.get()
    services.subscription_update(subscription_id=subscription.pk, changes={"active": False})
    assert_error(staff_client.post(f"/webhooks/{subscription.pk}/deliveries/{delivery.pk}/redeliver"), 409)
