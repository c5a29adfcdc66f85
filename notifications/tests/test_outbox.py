"""Emails are owed in the transaction of the change that causes them and sent by a worker after
it commits; a failed send is retried on the schedule, then failed and logged; the sweep sends
what no task is on its way for."""

from datetime import timedelta
from decimal import Decimal
from smtplib import SMTPServerDisconnected

import pytest
from django.db import transaction
from django.utils import timezone

from notifications import services
from notifications.models import Email
from tickets import services as ticket_services
from tickets import workflow

SCHEDULE = [10.0, 60.0, 300.0]


@pytest.fixture(autouse=True)
def _schedule(settings):
    settings.EMAIL_RETRY_SCHEDULE = SCHEDULE


def to_invoiced(ticket_id: int) -> None:
    for status in ("approved", "in_progress", "completed", "invoiced"):
        workflow.transition(ticket_id=ticket_id, to=status, by="staff")


class FailingBackend:
    """An email backend whose server hangs up, as Django's SMTP backend raises it."""

    sent = 0

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture
def failing_backend(settings):
    settings.EMAIL_BACKEND = "notifications.tests.test_outbox.FailingBackend"


def make_due(email: Email) -> None:
    Email.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_an_email_is_owed_with_the_change_and_sent_only_after_commit(ticket, committed, outbox):
    with committed():
        with transaction.atomic():
            services.send_estimate(ticket_id=ticket.pk, by="staff")
            [email] = Email.objects.all()
            assert email.state == Email.State.PENDING
            assert outbox == []  # nothing leaves inside the transaction
    email.refresh_from_db()
    assert email.state == Email.State.SENT and email.sent_at is not None and email.attempts == 1
    assert [m.to for m in outbox] == [["ann@example.com"]]


def test_a_change_rolled_back_owes_no_email(ticket, committed, outbox):
    with committed(), pytest.raises(ZeroDivisionError), transaction.atomic():
        services.send_estimate(ticket_id=ticket.pk, by="staff")
        1 / 0  # noqa: B018
    assert not Email.objects.exists()
    assert outbox == []


def test_completing_invoicing_and_paying_each_email_the_customer(ticket, committed, outbox):
    with committed():
        to_invoiced(ticket.pk)
    with committed():
        ticket_services.add_payment(ticket_id=ticket.pk, amount=Decimal("100.00"), method="card", by="staff")
    with committed():
        ticket_services.add_payment(ticket_id=ticket.pk, amount=Decimal("-20.00"), method="card", by="staff")

    kinds = list(Email.objects.order_by("id").values_list("kind", "state"))
    assert kinds == [("vehicle_ready", "sent"), ("invoice", "sent"), ("receipt", "sent"), ("receipt", "sent")]
    ready, invoice, paid, refunded = outbox
    assert ready.subject == f"Your vehicle is ready (ticket {ticket.pk})"
    assert "2019 Toyota Corolla" in ready.body
    [(name, content, mimetype)] = invoice.attachments
    assert name.startswith("invoice-") and mimetype == "application/pdf" and content.startswith(b"%PDF")
    assert "Balance due: 179.98" in invoice.body
    assert "We received your payment of 100.00" in paid.body and "Balance: 79.98" in paid.body
    assert "We refunded 20.00" in refunded.body and "Balance: 99.98" in refunded.body


def test_every_email_has_text_and_html_naming_the_shop(ticket, committed, outbox):
    with committed():
        services.send_estimate(ticket_id=ticket.pk, by="staff")
    with committed():
        services.request_password_reset(email="ann@example.com")
    with committed():
        to_invoiced(ticket.pk)
    assert len(outbox) == 4
    for message in outbox:
        [(html, mimetype)] = message.alternatives
        assert mimetype == "text/html"
        assert "Spanner &amp; Sons" in html and "Spanner & Sons" in message.body
        assert "(555) 010-9999" in html and "(555) 010-9999" in message.body
        assert message.from_email == "Spanner & Sons <shop@example.com>"


def test_other_moves_and_events_owe_no_email(ticket, committed, outbox):
    with committed():
        workflow.transition(ticket_id=ticket.pk, to="approved", by="staff")
        workflow.transition(ticket_id=ticket.pk, to="in_progress", by="staff")
    assert not Email.objects.exists()


def test_a_failed_send_is_retried_on_the_schedule_then_failed_and_logged(ticket, committed, failing_backend, caplog):
    with committed():
        services.send_estimate(ticket_id=ticket.pk, by="staff")
    email = Email.objects.get()
    assert (email.state, email.failures, email.attempts) == ("pending", 1, 1)
    assert "SMTPServerDisconnected" in email.error
    assert timedelta(seconds=9) < email.next_attempt_at - timezone.now() <= timedelta(seconds=10)

    assert services.send_email(email_id=email.pk) is None  # not due yet: nothing done
    for expected_failures in (2, 3):
        make_due(email)
        assert services.send_email(email_id=email.pk) == "pending"
        email.refresh_from_db()
        assert email.failures == expected_failures
    make_due(email)
    assert services.send_email(email_id=email.pk) == "failed"
    email.refresh_from_db()
    assert (email.state, email.failures, email.attempts, email.next_attempt_at) == ("failed", 4, 4, None)
    assert any(r.levelname == "ERROR" and f"Email {email.pk}" in r.getMessage() for r in caplog.records)


def test_the_sweep_sends_what_no_task_was_sent_for(ticket, outbox):
    # No commit callbacks run here: as if the broker had been down at commit time.
    services.send_estimate(ticket_id=ticket.pk, by="staff")
    email = Email.objects.get()
    assert services.sweep_emails() == {"lost": 0, "queued": 0}  # its task may still be on its way

    Email.objects.filter(pk=email.pk).update(queued_at=timezone.now() - timedelta(minutes=5))
    assert services.sweep_emails() == {"lost": 0, "queued": 1}
    email.refresh_from_db()
    assert email.state == "sent" and len(outbox) == 1


def test_the_sweep_takes_a_lost_attempt_for_a_failure(ticket, outbox):
    services.send_estimate(ticket_id=ticket.pk, by="staff")
    email = Email.objects.get()
    past = timezone.now() - timedelta(seconds=1)
    Email.objects.filter(pk=email.pk).update(lease="6a1c1e0e-4c8e-4b39-9d77-1d1d1d1d1d1d", leased_until=past)
    assert services.sweep_emails()["lost"] == 1
    email.refresh_from_db()
    assert (email.state, email.failures, email.lease) == ("pending", 1, None)
    assert "worker" in email.error


def test_one_task_sends_however_many_copies_run(ticket, outbox):
    services.send_estimate(ticket_id=ticket.pk, by="staff")
    email = Email.objects.get()
    assert services.send_email(email_id=email.pk) == "sent"
    assert services.send_email(email_id=email.pk) is None
    assert len(outbox) == 1


def test_one_email_per_event_however_often_it_is_handed_over(ticket, committed, outbox):
    from events.models import Event

    with committed():
        to_invoiced(ticket.pk)
    event = Event.objects.get(type="invoice.issued")
    assert services.emails_for_event(sender=Event, event=event) is None
    assert Email.objects.filter(kind="invoice").count() == 1


def test_emails_done_are_pruned_after_the_retention_pending_ones_stay(ticket, committed, settings):
    settings.EVENTS_RETENTION_DAYS = 30
    with committed():
        services.request_password_reset(email="nobody@example.com")  # skipped
        services.send_estimate(ticket_id=ticket.pk, by="staff")  # sent
    services.send_estimate(ticket_id=ticket.pk, by="staff")  # pending: its task never ran
    assert sorted(Email.objects.values_list("state", flat=True)) == ["pending", "sent", "skipped"]

    assert services.prune_emails(now=timezone.now() + timedelta(days=29)) == 0
    assert services.prune_emails(now=timezone.now() + timedelta(days=31)) == 2
    assert list(Email.objects.values_list("state", flat=True)) == ["pending"]
