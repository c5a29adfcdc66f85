"""Idempotency-Key over HTTP (API.md "Safe retries and concurrent edits"): a repeat is answered from
the store and changes nothing, another body with the same key is 422, a repeat while the first runs
is 409, keys are per caller, a failed request leaves its key free, and every POST route takes it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import get_resolver
from django.utils import timezone

from idempotency.models import IdempotencyKey, State
from tests.asserts import assert_error
from tickets import workflow
from tickets.models import Payment, Ticket, TicketLine

PAYMENT = {"amount": "40.00", "method": "card", "reference": "auth 1"}


@pytest.fixture
def invoiced(make_ticket):
    ticket = make_ticket()
    TicketLine.objects.create(ticket=ticket, kind="fee", description="Inspection", quantity=1, unit_price=100)
    for to in ("approved", "in_progress", "completed", "invoiced"):
        workflow.transition(ticket_id=ticket.pk, to=to, by="staff")
    return ticket


def pay(client, ticket, body=PAYMENT, key="pay-1", **headers):
    return client.post(
        f"/tickets/{ticket.pk}/payments", body, format="json", headers={"Idempotency-Key": key, **headers}
    )


def test_a_repeated_payment_is_answered_from_the_store_and_paid_once(staff_client, invoiced):
    first = pay(staff_client, invoiced)
    second = pay(staff_client, invoiced)

    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    assert (second.status_code, second.content, second["Content-Type"]) == (201, first.content, first["Content-Type"])
    assert second["Idempotent-Replayed"] == "true"
    assert list(Payment.objects.filter(ticket=invoiced).values_list("amount", flat=True)) == [Decimal("40.00")]


def test_a_different_key_is_a_different_payment(staff_client, invoiced):
    pay(staff_client, invoiced, key="a")
    pay(staff_client, invoiced, key="b")

    assert Payment.objects.filter(ticket=invoiced).count() == 2


def test_the_same_key_with_another_body_is_422_and_changes_nothing(staff_client, invoiced):
    pay(staff_client, invoiced)
    response = pay(staff_client, invoiced, body={**PAYMENT, "amount": "41.00"})

    assert "Idempotency-Key" in assert_error(response, 422)["error"]
    assert Payment.objects.filter(ticket=invoiced).count() == 1


def test_the_same_key_on_another_path_is_422(staff_client, invoiced, make_ticket):
    pay(staff_client, invoiced)
    response = staff_client.post(
        f"/tickets/{invoiced.pk}/lines",
        PAYMENT,
        format="json",
        headers={"Idempotency-Key": "pay-1"},
    )

    assert_error(response, 422)


def test_a_repeat_while_the_first_runs_is_409(staff_client, staff_user, invoiced):
    # The first request claimed the key and has not finished: its row is "started".
    first = pay(staff_client, invoiced, key="other")
    record = IdempotencyKey.objects.get(key="other")
    IdempotencyKey.objects.filter(pk=record.pk).update(state=State.STARTED, key="running")

    response = pay(staff_client, invoiced, key="running")

    assert first.status_code == 201
    assert "still being carried out" in assert_error(response, 409)["error"]
    assert Payment.objects.filter(ticket=invoiced).count() == 1


def test_a_started_key_abandoned_long_ago_is_carried_out_again(staff_client, invoiced, settings):
    pay(staff_client, invoiced, key="k")
    long_ago = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_ABANDONED_SECONDS + 1)
    IdempotencyKey.objects.filter(key="k").update(state=State.STARTED, locked_at=long_ago, response_status=None)

    response = pay(staff_client, invoiced, key="k")

    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert IdempotencyKey.objects.get(key="k").state == State.COMPLETED


def test_keys_are_per_caller(staff_client, make_staff, client_for, invoiced):
    other = client_for(make_staff())
    pay(staff_client, invoiced)
    response = pay(other, invoiced)

    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Payment.objects.filter(ticket=invoiced).count() == 2


def test_a_failed_request_keeps_no_answer_and_its_key_can_be_retried(staff_client, make_ticket):
    ticket = make_ticket()  # an estimate: a payment is 409
    TicketLine.objects.create(ticket=ticket, kind="fee", description="Inspection", quantity=1, unit_price=100)

    refused = pay(staff_client, ticket)
    assert_error(refused, 409)
    assert not IdempotencyKey.objects.exists()

    for to in ("approved", "in_progress", "completed", "invoiced"):
        workflow.transition(ticket_id=ticket.pk, to=to, by="staff")
    retried = pay(staff_client, ticket)
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried


def test_an_expired_key_is_a_new_request(staff_client, invoiced, settings):
    pay(staff_client, invoiced)
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_KEY_SECONDS))

    response = pay(staff_client, invoiced)

    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Payment.objects.filter(ticket=invoiced).count() == 2


def test_without_the_header_a_post_behaves_as_before(staff_client, invoiced):
    for _ in range(2):
        assert staff_client.post(f"/tickets/{invoiced.pk}/payments", PAYMENT, format="json").status_code == 201

    assert Payment.objects.filter(ticket=invoiced).count() == 2
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "tab\there"])
def test_a_malformed_key_is_400(staff_client, invoiced, key):
    response = pay(staff_client, invoiced, key=key)

    assert "Idempotency-Key" in assert_error(response, 400)["error"]
    assert not Payment.objects.exists()


def test_a_created_resource_is_replayed_with_its_location_and_created_once(staff_client):
    body = {"name": "Ann", "email": "ann@example.com", "phone": "555-0100", "salary": "1000.00"}
    headers = {"Idempotency-Key": "mech-1"}
    first = staff_client.post("/mechanics", body, format="json", headers=headers)
    second = staff_client.post("/mechanics", body, format="json", headers=headers)

    assert first.status_code == 201, first.content
    assert (second.status_code, second.json()) == (201, first.json())
    assert second["Idempotent-Replayed"] == "true"
    assert staff_client.get("/mechanics").json() == [first.json()]


def test_a_repeated_transition_is_replayed_not_refused(staff_client, make_ticket):
    ticket = make_ticket()
    headers = {"Idempotency-Key": "approve-it"}
    first = staff_client.post(f"/tickets/{ticket.pk}/transition", {"to": "approved"}, format="json", headers=headers)
    second = staff_client.post(f"/tickets/{ticket.pk}/transition", {"to": "approved"}, format="json", headers=headers)

    assert first.status_code == 200, first.content
    assert (second.status_code, second.content) == (200, first.content)
    assert Ticket.objects.get(pk=ticket.pk).status == "approved"


def test_a_customer_retrying_a_ticket_gets_one_ticket(customer_client, customer):
    body = {"VIN": "1HGCM82633A004352", "service_date": "2026-11-25", "service_description": "Oil"}
    for _ in range(3):
        response = customer_client.post("/tickets", body, format="json", headers={"Idempotency-Key": "t"})
        assert response.status_code == 201, response.content

    assert Ticket.objects.filter(customer=customer).count() == 1


def test_an_anonymous_post_ignores_the_header(api_client, db):
    body = {"name": "Bo", "email": "bo@example.com", "phone": "555-0101", "password": "a long passphrase 1"}
    response = api_client.post("/customers", body, format="json", headers={"Idempotency-Key": "signup"})

    assert response.status_code == 201, response.content
    assert not IdempotencyKey.objects.exists()


# Sign-in and sign-out: anonymous callers, or answers holding tokens; never stored.
NOT_IDEMPOTENT = {"StaffSignInView", "CustomerSignInView", "RefreshView", "SignOutView"}


def post_handlers():
    """Every view the URLconf routes a POST to, with the function that handles it."""
    for pattern in get_resolver().url_patterns:
        yield from _walk(pattern)


def _walk(pattern):
    if hasattr(pattern, "url_patterns"):
        for inner in pattern.url_patterns:
            yield from _walk(inner)
        return
    callback = pattern.callback
    view_class = getattr(callback, "cls", None)
    if view_class is None or view_class.__module__.startswith(("django.", "drf_spectacular")):
        return
    actions = getattr(callback, "actions", None)
    if actions is not None:
        if "post" in actions:
            yield view_class, getattr(view_class, actions["post"])
    elif hasattr(view_class, "post"):
        yield view_class, view_class.post


def test_every_post_route_of_a_signed_in_caller_takes_an_idempotency_key():
    handlers = list(post_handlers())
    missing = {
        f"{cls.__name__}.{handler.__name__}"
        for cls, handler in handlers
        if cls.__name__ not in NOT_IDEMPOTENT and not getattr(handler, "idempotent", False)
    }

    assert len(handlers) > 10
    assert not missing
