"""Webhooks delivered by real Celery workers through real brokers (Redis, RabbitMQ, and the
filesystem broker `make run` uses), and the faults the outbox is there for (issue #24):

(a) the broker stops, 50 changes are made, the broker comes back: every event reaches the
    receiver, once, each with its own webhook-id;
(b) a worker is killed (kill -9) in the middle of a delivery: the event is delivered after all;
(c) a receiver that fails three times gets the event on the fourth attempt, with the same
    webhook-id and a valid signature each time.

The API runs in gunicorn; the receiver is a local HTTP server in this process. Slow: each broker
starts its own stack (tests/workers.py).
"""

import os
import threading
import uuid
from collections import Counter
from contextlib import contextmanager

import pytest
from standardwebhooks.webhooks import Webhook

from tests import live
from tests.workers import Stack
from vehicles.tests.factories import make_vin
from webhooks.tests.receiver import Receiver, hold, reset, sequence, status

pytestmark = [pytest.mark.slow, pytest.mark.broker]

DATABASE = f"ms_live_workers_{os.getpid()}"
DELIVERY_SECONDS = 90


@pytest.fixture(scope="module", params=["redis", "rabbitmq", "filesystem"])
def stack(request, tmp_path_factory):
    workdir = tmp_path_factory.mktemp(f"workers-{request.param}")
    stack = Stack(request.param, live.live_backend_names()[0], workdir, f"{DATABASE}_{request.param[:2]}")
    try:
        stack.worker = stack.start_worker()
        stack.start_beat()
        yield stack
    finally:
        stack.close()


@contextmanager
def subscribed(stack: Stack, receiver: Receiver, events: list[str]):
    """A webhook for `events` to the receiver; its secret. Deleted afterwards."""
    response = stack.server.staff("POST", "/webhooks", {"url": receiver.url, "events": events})
    assert response.status == 201, response.body
    try:
        yield response.body["id"], response.body["secret"]
    finally:
        stack.server.staff("DELETE", f"/webhooks/{response.body['id']}")


def new_customer(stack: Stack) -> int:
    body = {"name": "Ann", "email": f"{uuid.uuid4().hex[:12]}@example.com", "phone": "1", "password": "Str0ng-Pass-42"}
    response = stack.server.staff("POST", "/customers", body)
    assert response.status == 201, response.body
    return response.body["id"]


def deliveries(stack: Stack, subscription_id: int) -> list[dict]:
    response = stack.server.staff("GET", f"/webhooks/{subscription_id}/deliveries")
    assert response.status == 200, response.body
    return response.body


def settled(stack: Stack, subscription_id: int, count: int) -> list[dict]:
    """The webhook's deliveries once `count` of them are delivered (fails after a while)."""
    rows: list[dict] = []

    def done() -> bool:
        rows[:] = deliveries(stack, subscription_id)
        return sum(row["state"] == "delivered" for row in rows) >= count

    assert live.wait_for(done, DELIVERY_SECONDS, interval=0.5), (rows, stack.logs())
    return rows


def verify(secret: str, request) -> dict:
    """The request's body, once the Standard Webhooks reference implementation accepts its signature."""
    return Webhook(secret).verify(request.body, request.headers)


def test_a_change_is_delivered_signed(stack):
    with Receiver() as receiver, subscribed(stack, receiver, ["customer.created"]) as (subscription_id, secret):
        customer_id = new_customer(stack)

        assert receiver.wait_for_count(1, DELIVERY_SECONDS), stack.logs()
        [row] = settled(stack, subscription_id, 1)
    [request] = receiver.requests
    document = verify(secret, request)
    assert (document["type"], document["data"]["id"]) == ("customer.created", customer_id)
    assert request.webhook_id == document["id"] == row["event_id"]
    assert (row["attempt"], row["status_code"]) == (1, 200)


def test_a_receiver_failing_three_times_gets_the_event_on_the_fourth_attempt(stack):
    answers = sequence(status(500), reset, status(503), status(200))
    with Receiver(answers) as receiver, subscribed(stack, receiver, ["customer.created"]) as (subscription_id, secret):
        customer_id = new_customer(stack)

        [row] = settled(stack, subscription_id, 1)
    assert (row["state"], row["attempt"], row["status_code"], row["error"]) == ("delivered", 4, 200, "")
    assert len(receiver.requests) == 4
    assert {request.webhook_id for request in receiver.requests} == {row["event_id"]}
    for request in receiver.requests:
        assert verify(secret, request)["data"]["id"] == customer_id
    timestamps = [int(request.headers["webhook-timestamp"]) for request in receiver.requests]
    assert timestamps == sorted(timestamps)


def test_a_worker_killed_in_the_middle_of_a_delivery_does_not_lose_it(stack):
    released = threading.Event()
    with (
        Receiver(sequence(hold(released), status(200))) as receiver,
        subscribed(stack, receiver, ["customer.created"]) as (subscription_id, secret),
    ):
        customer_id = new_customer(stack)
        assert receiver.wait_for_count(1, DELIVERY_SECONDS), stack.logs()  # the worker is sending it now

        stack.kill(stack.worker)  # kill -9, its pool processes with it
        released.set()  # the answer goes to a connection nobody reads
        stack.worker = stack.start_worker()

        [row] = settled(stack, subscription_id, 1)
    assert (row["state"], row["attempt"]) == ("delivered", 2)
    first, second = receiver.requests
    assert first.webhook_id == second.webhook_id == row["event_id"]
    assert verify(secret, second)["data"]["id"] == customer_id


def test_changes_made_while_the_broker_is_down_are_all_delivered_once(stack):
    if stack.broker.name == "filesystem":
        pytest.skip("the filesystem broker is a folder: it cannot be down")
    customer_id = new_customer(stack)
    with Receiver() as receiver, subscribed(stack, receiver, ["vehicle.created"]) as (subscription_id, secret):
        stack.broker.stop()
        try:
            vehicle_ids = []
            for n in range(50):
                body = {
                    "customer_id": customer_id,
                    "vin": make_vin(n),
                    "year": 2003,
                    "make": "Honda",
                    "model": "Accord",
                }
                response = stack.server.staff("POST", "/vehicles", body)
                assert response.status == 201, response.body  # the change does not wait for the broker
                vehicle_ids.append(response.body["id"])
            assert receiver.requests == []
        finally:
            stack.broker.start()

        rows = settled(stack, subscription_id, 50)
        assert receiver.wait_for_count(50, DELIVERY_SECONDS)
    attempts = Counter(request.webhook_id for request in receiver.requests)
    assert len(attempts) == 50 and set(attempts.values()) == {1}, attempts  # each once, with its own id
    assert sorted(verify(secret, request)["data"]["id"] for request in receiver.requests) == vehicle_ids
    assert [row["attempt"] for row in rows] == [1] * 50
    assert {row["event_id"] for row in rows} == set(attempts)
