import json
import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError
from standardwebhooks.webhooks import Webhook

from core.errors import Conflict, InvalidInput, NotFound
from events import services as events
from events.models import Event, EventType
from webhooks import services, tasks
from webhooks.models import Delivery, Subscription
from webhooks.tests.receiver import Receiver, sequence, status

SCHEDULE = [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0]


@pytest.fixture(autouse=True)
def _schedule(settings):
    settings.WEBHOOK_RETRY_SCHEDULE = SCHEDULE


def subscribe(url: str, events_: list[str] | None = None) -> Subscription:
    return services.subscription_create(url=url, events=events_ or ["*"])


def publish(event_type: str = EventType.CUSTOMER_CREATED, **data) -> Event:
    """An event recorded and dispatched (fanned out to the subscriptions), without its tasks."""
    with transaction.atomic():
        event = events.record_event(type=event_type, data=data or {"id": 1})
    events.dispatch_event(event_id=event.pk)
    return event


def make_due(delivery: Delivery) -> None:
    """As if the time to the next attempt had passed."""
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


# --- subscriptions ----------------------------------------------------------------------------


def test_a_subscription_gets_a_secret_of_its_own(db, receiver):
    first = subscribe(receiver.url)
    second = subscribe(receiver.url + "/other")
    assert first.secret.startswith("whsec_") and second.secret.startswith("whsec_")
    assert first.secret != second.secret
    assert first.active


@pytest.mark.parametrize(
    ("events_", "message"),
    [
        ([], "at least one"),
        (["ticket.exploded"], "Unknown event types: ticket.exploded"),
        (["ticket.created", "ticket.created"], "listed once"),
        (["*", "ticket.created"], "stands alone"),
    ],
)
def test_event_types_are_checked(db, receiver, events_, message):
    with pytest.raises(InvalidInput) as error:
        services.subscription_create(url=receiver.url, events=events_)
    assert message in error.value.fields["events"][0]


def test_a_second_subscription_for_a_url_is_refused(db, receiver):
    subscribe(receiver.url)
    with pytest.raises(InvalidInput) as error:
        subscribe(receiver.url, ["ticket.created"])
    assert error.value.fields == {"url": [services.DUPLICATE_URL]}


def test_no_more_subscriptions_than_the_limit(db, receiver, settings):
    settings.WEBHOOK_MAX_SUBSCRIPTIONS = 2
    subscribe(receiver.url + "/1")
    subscribe(receiver.url + "/2")
    with pytest.raises(InvalidInput, match="At most 2 webhooks"):
        subscribe(receiver.url + "/3")
    assert Subscription.objects.count() == 2


def test_an_unsafe_url_is_refused_at_subscription(db, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(InvalidInput) as error:
        subscribe("http://127.0.0.1:9/hook")
    assert "loopback" in error.value.fields["url"][0]


def test_enabling_a_subscription_forgets_its_failures(db, receiver):
    subscription = subscribe(receiver.url)
    Subscription.objects.filter(pk=subscription.pk).update(
        active=False, failing_since=timezone.now(), disabled_reason="Every delivery failed for 5 days."
    )
    subscription = services.subscription_update(subscription_id=subscription.pk, changes={"active": True})
    assert (subscription.active, subscription.failing_since, subscription.disabled_reason) == (True, None, "")


# --- fan-out and delivery ---------------------------------------------------------------------


def test_an_event_is_owed_to_each_active_subscription_that_wants_it(db, receiver):
    everything = subscribe(receiver.url + "/all")
    customers = subscribe(receiver.url + "/customers", ["customer.created"])
    subscribe(receiver.url + "/tickets", ["ticket.created"])
    inactive = subscribe(receiver.url + "/off")
    services.subscription_update(subscription_id=inactive.pk, changes={"active": False})

    event = publish(EventType.CUSTOMER_CREATED)

    owed = Delivery.objects.filter(event=event)
    assert set(owed.values_list("subscription_id", flat=True)) == {everything.pk, customers.pk}
    assert set(owed.values_list("state", flat=True)) == {"pending"}


def test_the_dispatch_commit_sends_each_delivery_to_a_worker(db, receiver, django_capture_on_commit_callbacks):
    subscribe(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            event = events.record_event(type=EventType.CUSTOMER_CREATED, data={"id": 3})

    [request] = receiver.requests  # record -> commit -> dispatch task -> commit -> deliver task
    assert request.webhook_id == str(event.pk)
    assert Delivery.objects.get().state == "delivered"


def test_a_delivery_is_the_event_signed_as_standard_webhooks_says(db, receiver):
    subscription = subscribe(receiver.url)
    event = publish(id=5, name="Ann")
    delivery = Delivery.objects.get()

    outcome = services.attempt_delivery(delivery_id=delivery.pk)

    assert outcome.delivered
    [request] = receiver.requests
    assert request.body == event.payload.encode()
    assert json.loads(request.body)["data"] == {"id": 5, "name": "Ann"}
    assert request.headers["webhook-id"] == str(event.pk)
    assert abs(int(request.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    assert Webhook(subscription.secret).verify(request.body, request.headers) is not None
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempt, delivery.status_code, delivery.error) == ("delivered", 1, 200, "")
    assert delivery.next_attempt_at is None and delivery.lease is None


def test_a_delivery_claimed_by_another_worker_is_not_sent_twice(db, receiver):
    subscribe(receiver.url)
    publish()
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(lease=uuid.uuid4(), leased_until=timezone.now() + timedelta(60))

    assert services.attempt_delivery(delivery_id=delivery.pk) is None
    assert tasks.deliver(delivery.pk) is None
    assert receiver.requests == []


def test_a_delivered_delivery_is_not_sent_again(db, receiver):
    subscribe(receiver.url)
    publish()
    delivery = Delivery.objects.get()
    services.attempt_delivery(delivery_id=delivery.pk)
    services.attempt_delivery(delivery_id=delivery.pk)
    assert len(receiver.requests) == 1


def test_failures_follow_the_retry_schedule_then_the_delivery_fails(db):
    with Receiver(lambda n: status(503)) as failing:
        subscribe(failing.url)
        publish()
        delivery = Delivery.objects.get()
        waits = []
        for _ in range(len(SCHEDULE) + 1):
            make_due(delivery)
            services.attempt_delivery(delivery_id=delivery.pk)
            delivery.refresh_from_db()
            if delivery.next_attempt_at:
                waits.append((delivery.next_attempt_at - delivery.at).total_seconds())
        assert services.attempt_delivery(delivery_id=delivery.pk) is None  # no more attempts
        ids = {request.webhook_id for request in failing.requests}

    assert waits == SCHEDULE
    assert (delivery.state, delivery.attempt, delivery.status_code) == ("failed", 8, 503)
    assert delivery.error == "The receiver answered 503."
    assert ids == {str(delivery.event_id)}  # every attempt with the same webhook-id


def test_a_failed_attempt_waits_its_turn(db):
    with Receiver(sequence(status(500), status(200))) as receiver:
        subscribe(receiver.url)
        publish()
        delivery = Delivery.objects.get()
        services.attempt_delivery(delivery_id=delivery.pk)
        assert services.attempt_delivery(delivery_id=delivery.pk) is None  # not due for 5 s
        make_due(delivery)
        assert services.attempt_delivery(delivery_id=delivery.pk).delivered
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempt) == ("delivered", 2)


def test_a_short_retry_is_sent_to_the_broker_with_its_delay(db, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.deliver, "apply_async", lambda args, **options: sent.append((args, options)))
    with Receiver(lambda n: status(500)) as failing:
        subscribe(failing.url)
        publish()
        delivery = Delivery.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            services.attempt_delivery(delivery_id=delivery.pk)  # next in 5 s: a delayed task
        make_due(delivery)
        with django_capture_on_commit_callbacks(execute=True):
            services.attempt_delivery(delivery_id=delivery.pk)  # next in 300 s: left to the sweep

    assert sent == [((delivery.pk,), {"countdown": 5.0, "retry": False})]


def test_a_subscription_failing_for_five_days_is_disabled(db, settings):
    with Receiver(lambda n: status(500)) as failing:
        subscription = subscribe(failing.url)
        publish()
        first = Delivery.objects.get()
        services.attempt_delivery(delivery_id=first.pk)
        subscription.refresh_from_db()
        assert subscription.failing_since is not None and subscription.active

        Subscription.objects.filter(pk=subscription.pk).update(failing_since=timezone.now() - timedelta(days=5))
        make_due(first)
        services.attempt_delivery(delivery_id=first.pk)
        subscription.refresh_from_db()
        assert not subscription.active
        assert subscription.disabled_reason == "Every delivery failed for 5 days."

        # What it was still owed fails without being sent.
        make_due(first)
        services.attempt_delivery(delivery_id=first.pk)
        assert len(failing.requests) == 2
    first.refresh_from_db()
    assert (first.state, first.error) == ("failed", "The webhook is disabled.")


def test_a_success_ends_a_failing_streak(db):
    with Receiver(sequence(status(500), status(200))) as receiver:
        subscription = subscribe(receiver.url)
        publish()
        delivery = Delivery.objects.get()
        services.attempt_delivery(delivery_id=delivery.pk)
        make_due(delivery)
        services.attempt_delivery(delivery_id=delivery.pk)
    subscription.refresh_from_db()
    assert subscription.failing_since is None


def test_a_broker_that_is_down_leaves_deliveries_for_the_sweep(db, receiver, settings, monkeypatch, caplog):
    subscribe(receiver.url)
    monkeypatch.setattr(tasks.deliver, "apply_async", mock_failing_publish)
    publish()
    assert receiver.requests == []

    settings.WEBHOOK_REQUEUE_SECONDS = 120
    monkeypatch.undo()
    settings.WEBHOOK_RETRY_SCHEDULE = SCHEDULE
    assert services.sweep_deliveries() == {"lost": 0, "queued": 0}  # its task was sent a moment ago
    Delivery.objects.update(queued_at=timezone.now() - timedelta(seconds=121))
    assert services.sweep_deliveries() == {"lost": 0, "queued": 1}  # eager: sent now
    assert len(receiver.requests) == 1
    assert services.sweep_deliveries() == {"lost": 0, "queued": 0}


def mock_failing_publish(*args, **kwargs):
    raise OperationalError("connection refused")


def test_an_attempt_whose_worker_died_counts_as_failed_and_is_retried(db, receiver):
    subscribe(receiver.url)
    publish()
    delivery = Delivery.objects.get()
    # A worker claimed it, sent nothing we know of, and died; its claim has run out.
    Delivery.objects.filter(pk=delivery.pk).update(
        lease=uuid.uuid4(), leased_until=timezone.now() - timedelta(seconds=1), attempt=1
    )

    assert tasks.sweep() == {"lost": 1, "queued": 0}
    delivery.refresh_from_db()
    assert (delivery.state, delivery.failures, delivery.lease) == ("pending", 1, None)
    assert delivery.error == "The attempt did not finish: the worker making it stopped."

    make_due(delivery)
    services.attempt_delivery(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempt) == ("delivered", 2)


def test_an_attempt_finishing_after_its_claim_was_taken_is_not_recorded(db, receiver):
    subscribe(receiver.url)
    publish()
    delivery = Delivery.objects.get()
    stale = uuid.uuid4()
    recorded = services.record_outcome(
        delivery=delivery, lease=stale, outcome=services.sender.Outcome(200, ""), final=False
    )
    assert recorded is False
    assert Delivery.objects.get().state == "pending"


# --- redelivery -------------------------------------------------------------------------------


def test_redelivery_sends_again_with_the_same_webhook_id(db, receiver, django_capture_on_commit_callbacks):
    subscription = subscribe(receiver.url)
    publish()
    delivery = Delivery.objects.get()
    services.attempt_delivery(delivery_id=delivery.pk)

    with django_capture_on_commit_callbacks(execute=True):
        again = services.redeliver(subscription_id=subscription.pk, delivery_id=delivery.pk)

    assert again.pk == delivery.pk
    assert [r.webhook_id for r in receiver.requests] == [str(delivery.event_id)] * 2
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempt, delivery.failures) == ("delivered", 2, 0)


def test_redelivery_of_a_failed_delivery_starts_the_schedule_again(db, django_capture_on_commit_callbacks):
    with Receiver(lambda n: status(500)) as failing:
        subscription = subscribe(failing.url)
        publish()
        delivery = Delivery.objects.get()
        Delivery.objects.filter(pk=delivery.pk).update(state="failed", failures=8, next_attempt_at=None)
        with django_capture_on_commit_callbacks(execute=True):
            services.redeliver(subscription_id=subscription.pk, delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.state, delivery.failures) == ("pending", 1)  # tried at once (eager), next in 5 s


def test_redelivery_refusals(db, receiver):
    subscription = subscribe(receiver.url)
    other = subscribe(receiver.url + "/other")
    publish()
    delivery = Delivery.objects.get(subscription=subscription)

    with pytest.raises(NotFound):
        services.redeliver(subscription_id=subscription.pk, delivery_id=delivery.pk + 1000)
    with pytest.raises(NotFound):
        services.redeliver(subscription_id=other.pk + 1000, delivery_id=delivery.pk)
    with pytest.raises(NotFound):  # another webhook's delivery
        services.redeliver(subscription_id=other.pk, delivery_id=delivery.pk)

    Delivery.objects.filter(pk=delivery.pk).update(lease=uuid.uuid4(), leased_until=timezone.now())
    with pytest.raises(Conflict, match="being attempted"):
        services.redeliver(subscription_id=subscription.pk, delivery_id=delivery.pk)

    services.subscription_update(subscription_id=subscription.pk, changes={"active": False})
    with pytest.raises(Conflict, match="disabled"):
        services.redeliver(subscription_id=subscription.pk, delivery_id=delivery.pk)


def test_deleting_a_subscription_deletes_its_deliveries(db, receiver):
    subscription = subscribe(receiver.url)
    publish()
    services.subscription_delete(subscription_id=subscription.pk)
    assert not Delivery.objects.exists()
    assert Event.objects.count() == 1
