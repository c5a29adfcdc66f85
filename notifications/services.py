"""Emails to customers: owed in the transaction of the change that causes them (an Email row,
beside the change), sent by a worker after that commit, retried with backoff, never dropped.

- Changes the events outbox already tells of become emails when their event is dispatched, in
  the dispatch's transaction (emails_for_event, events.signals.event_published): a ticket
  completed (vehicle ready), invoiced (the invoice, its PDF attached), a payment or refund (a
  receipt). The event commits with the change, so the email is owed exactly when it committed.
- Staff send an estimate (send_estimate: an approval link and its email, in one transaction),
  anyone asks for a password reset (request_password_reset: an email row, whatever the address).

Each email is one task per attempt (send_email). An attempt first claims its row with a
conditional UPDATE (a lease), so however many copies of a task run, one sends; a failure is
retried after EMAIL_RETRY_SCHEDULE's next wait, and after the last the email is failed and
logged as an error. The periodic sweep (sweep_emails) sends whatever is due with no task on its
way, and takes a lease that ran out (the worker died while sending) for a failed attempt.
"""

import logging
import uuid
from datetime import timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, InvalidInput
from core.ratelimits import clear_sign_in_failures
from core.services import claim_lease, delete_in_batches, locked_row, queue_due, retry_fields, send_tasks
from core.text import normalize_email
from customers import services as customer_services
from customers.models import Customer
from events.models import Event, EventType
from notifications import messages, tokens
from notifications.models import Email, EstimateLink
from notifications.selectors import purpose_awaited
from tickets import money, selectors, workflow
from tickets.models import Status, Ticket

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500
# A worker's claim outlives the longest a send may take: the SMTP timeout and a margin.
LEASE_MARGIN_SECONDS = 30
# What an estimate link's decisions are recorded with in the ticket's history.
LINK_NOTE = "by estimate link"


# --- owing an email -------------------------------------------------------------------------------


def _enqueue(email_ids: list[int], countdown: float | None = None) -> None:
    from notifications import tasks  # tasks import this module

    send_tasks(tasks.send, email_ids, countdown=countdown)


def owe(*, kind: str, to: str, ticket_id: int | None = None, **fields) -> Email:
    """Record an email owed, in the transaction of the change that owes it; a worker sends it
    once that transaction commits."""
    if transaction.get_autocommit():
        raise RuntimeError("An email is owed inside the transaction of the change that owes it.")
    now = timezone.now()
    email = Email.objects.create(kind=kind, to=to, ticket_id=ticket_id, next_attempt_at=now, queued_at=now, **fields)
    transaction.on_commit(partial(_enqueue, [email.pk]), robust=True)
    return email


def _customer_email(ticket_id: int) -> str | None:
    return Ticket.objects.filter(pk=ticket_id).values_list("customer__email", flat=True).first()


def emails_for_event(sender, event: Event, **kwargs) -> Email | None:
    """events.signals.event_published's receiver: the email a dispatched event owes the ticket's
    customer, if any (a ticket completed or invoiced, a payment or refund)."""
    if event.type == EventType.TICKET_STATUS_CHANGED:
        kind = Email.Kind.VEHICLE_READY
    elif event.type == EventType.INVOICE_ISSUED:
        kind = Email.Kind.INVOICE
    elif event.type == EventType.PAYMENT_RECEIVED:
        kind = Email.Kind.RECEIPT
    else:
        return None
    data = messages.event_data(event)
    if kind == Email.Kind.VEHICLE_READY and data.get("to") != Status.COMPLETED:
        return None
    ticket_id = data["ticket_id"] if kind == Email.Kind.RECEIPT else data["id"]
    to = _customer_email(ticket_id)
    if not to or Email.objects.filter(event_id=event.pk).exists():
        return None
    payment = {"payment_id": data["id"]} if kind == Email.Kind.RECEIPT else {}
    return owe(kind=kind, to=to, ticket_id=ticket_id, event_id=event.pk, **payment)


# --- the estimate and its approval link -----------------------------------------------------------


def _current_total(ticket_id: int) -> Decimal:
    return money.ticket_totals(selectors.ticket_detail(ticket_id=ticket_id)).total


@transaction.atomic
def send_estimate(*, ticket_id: int, by: str) -> EstimateLink:
    """Email the ticket's customer its estimate with an approval link, for the total the ticket
    has now. The ticket must be an estimate, or wait for approval of a raised total (else a
    Conflict, a 409)."""
    ticket = locked_row(Ticket, ticket_id)
    total = _current_total(ticket_id)
    purpose = purpose_awaited(ticket=ticket, total=total)
    if purpose is None:
        raise Conflict(
            f"Ticket {ticket_id} is {ticket.status} and waits for no approval: there is no estimate to send.",
            status=ticket.status,
        )
    link = EstimateLink.objects.create(ticket_id=ticket_id, purpose=purpose, total=total, sent_by=by)
    owe(kind=Email.Kind.ESTIMATE, to=_customer_email(ticket_id), ticket_id=ticket_id, link=link)
    return link


def estimate_url(link: EstimateLink) -> str:
    token = tokens.estimate_token(link_id=link.pk, ticket_id=link.ticket_id, total=link.total)
    return f"{settings.PUBLIC_BASE_URL}/estimates/{token}"


USED = "This link was already used: the estimate was {decision} on {date}. Nothing more to do here."
CHANGED = (
    "The estimate changed after this link was sent (its total is no longer {total}). "
    "Please ask the shop to send it again."
)
CLOSED = "This estimate no longer waits for your approval (the ticket is {status}). Please call the shop."


def _usable(link: EstimateLink | None, claims: tokens.EstimateClaims, ticket: Ticket | None) -> None:
    """Nothing when the link can still be used on `ticket` (read by tickets.selectors, to price
    it); else LinkUnusable."""
    if link is None or ticket is None or link.ticket_id != claims.ticket_id or link.total != claims.total:
        raise tokens.INVALID
    if link.used_at is not None:
        on = timezone.localdate(link.used_at, timezone=timezone.get_default_timezone())
        raise tokens.LinkUnusable("used", USED.format(decision=link.decision, date=on.isoformat()))
    total = money.ticket_totals(ticket).total
    if purpose_awaited(ticket=ticket, total=total) != link.purpose:
        raise tokens.LinkUnusable("closed", CLOSED.format(status=ticket.status.replace("_", " ")))
    if total != link.total:
        raise tokens.LinkUnusable("changed", CHANGED.format(total=link.total))


def estimate_link(*, token: str) -> tuple[EstimateLink, Ticket]:
    """The link a token names while it can be used (else LinkUnusable), and its ticket as
    tickets.selectors reads it: for the page."""
    claims = tokens.read_estimate_token(token)
    link = EstimateLink.objects.filter(pk=claims.link_id).first()
    ticket = selectors.ticket_detail(ticket_id=link.ticket_id) if link is not None else None
    _usable(link, claims, ticket)
    return link, ticket


def decide_estimate(*, token: str, approve: bool) -> EstimateLink:
    """The customer's answer through the link: approve or decline the estimate (or the raised
    total), through tickets.workflow as the API's, recorded by the customer's email with the note
    "by estimate link". Under the ticket's row lock, then the link's: the total approved is the
    one the link was sent for, and the link is used once. LinkUnusable when it cannot be used."""
    claims = tokens.read_estimate_token(token)
    try:
        with transaction.atomic():
            locked = Ticket.objects.select_for_update().select_related("customer").filter(pk=claims.ticket_id).first()
            link = EstimateLink.objects.select_for_update().filter(pk=claims.link_id).first()
            _usable(link, claims, locked and selectors.ticket_detail(ticket_id=locked.pk))
            ticket = locked
            by, customer_id = ticket.customer.email, ticket.customer_id
            if link.purpose == EstimateLink.Purpose.ESTIMATE:
                to = Status.APPROVED if approve else Status.CANCELLED
                workflow.transition(ticket_id=ticket.pk, to=to, by=by, note=LINK_NOTE, customer_id=customer_id)
            elif approve:
                workflow.approve_supplemental(ticket_id=ticket.pk, by=by, note=LINK_NOTE, customer_id=customer_id)
            else:
                workflow.decline_supplemental(ticket_id=ticket.pk, by=by, note=LINK_NOTE, customer_id=customer_id)
            link.used_at = timezone.now()
            link.decision = EstimateLink.Decision.APPROVED if approve else EstimateLink.Decision.DECLINED
            link.save(update_fields=["used_at", "decision"])
    except (Conflict, InvalidInput) as exc:  # the workflow refused (a race lost): nothing changed
        raise tokens.LinkUnusable("closed", exc.message) from exc
    return link


# --- password reset -----------------------------------------------------------------------------


def request_password_reset(*, email: str) -> None:
    """Owe a reset email to whoever has this address, known or not: the request does the same
    work either way (one row), and the worker finds out whether a customer has it. A malformed
    address is ignored."""
    address = normalize_email(email) if isinstance(email, str) else ""
    try:
        validate_email(address)
    except ValidationError:
        return
    if len(address) > 255:
        return
    with transaction.atomic():
        owe(kind=Email.Kind.PASSWORD_RESET, to=address)


def reset_url(customer: Customer) -> str:
    return f"{settings.PUBLIC_BASE_URL}/password-reset?token={tokens.reset_token(customer)}"


BAD_RESET_TOKEN = "This reset link is not valid, was already used, or has expired. Ask for a new one."


def reset_customer(*, token: str) -> Customer | None:
    """The customer a reset token is valid for now, or None."""
    customer_id = tokens.customer_id_of_reset_token(token)
    customer = Customer.objects.filter(pk=customer_id).first() if customer_id else None
    if customer is None or not tokens.reset_token_is_valid(customer, token):
        return None
    return customer


def reset_password(*, token: str, new_password: str) -> Customer:
    """Set a new password with a reset token: the token must be valid (InvalidInput on `token`
    otherwise), the password pass Django's validators (InvalidInput on `new_password`). Checked
    under the customer's row lock, so a token is used once. The new password ends every token
    issued before it (accounts' tokens carry the password's fingerprint), and the account's
    sign-in failure counts are cleared."""
    customer_id = tokens.customer_id_of_reset_token(token)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().filter(pk=customer_id).first() if customer_id else None
        if customer is None or not tokens.reset_token_is_valid(customer, token):
            raise InvalidInput("Invalid input.", {"token": [BAD_RESET_TOKEN]})
        try:
            validate_password(new_password, user=customer)
        except ValidationError as exc:
            raise InvalidInput("Invalid input.", {"new_password": list(exc.messages)}) from exc
        customer = customer_services.customer_update(
            customer_id=customer.pk, changes={"password": new_password}, by=f"{customer.email} (password reset)"
        )
    try:
        clear_sign_in_failures(customer.email)
    except Exception:  # the password is changed; the counts expire within the hour anyway
        logger.warning(
            "Sign-in failures of customer %s not cleared after a password reset.", customer.pk, exc_info=True
        )
    return customer


# --- sending --------------------------------------------------------------------------------------


def send_email(*, email_id: int) -> str | None:
    """Send the email once if it is pending, due and no other worker is sending it; record how
    it went. Its new state, or None when there was nothing to do."""
    lease = claim_lease(
        Email, pk=email_id, seconds=settings.EMAIL_TIMEOUT + LEASE_MARGIN_SECONDS, attempts_field="attempts"
    )
    if lease is None:
        return None
    email = Email.objects.get(pk=email_id)
    try:
        message = messages.compose(email)
        if message is None:
            return _record(email, lease=lease, state=Email.State.SKIPPED)
        message.send()
    except Exception as exc:  # whatever the backend (or a template) raised: retried, then failed
        logger.warning("Email %s (%s) not sent: %r", email.pk, email.kind, exc, exc_info=True)
        return _record(email, lease=lease, error=repr(exc)[:500])
    logger.info("Email %s (%s) sent to %s.", email.pk, email.kind, email.to)
    return _record(email, lease=lease, state=Email.State.SENT)


def _record(email: Email, *, lease: uuid.UUID, state: str | None = None, error: str = "") -> str | None:
    """Record an attempt made under `lease`: sent or skipped (`state`), or failed with `error`
    and retried after the schedule's next wait, or failed for good once it has run out. None when
    the lease was no longer this attempt's (the sweep took the attempt for lost meanwhile)."""
    now = timezone.now()
    schedule = settings.EMAIL_RETRY_SCHEDULE
    countdown = None
    if state is not None:
        fields = {"state": state, "sent_at": now if state == Email.State.SENT else None, "next_attempt_at": None}
    elif email.failures >= len(schedule):
        state = Email.State.FAILED
        fields = {"state": state, "failures": email.failures + 1, "next_attempt_at": None}
        logger.error(
            "Email %s (%s to %s) failed after %d attempts: %s",
            email.pk,
            email.kind,
            email.to,
            email.failures + 1,
            error,
        )
    else:
        state = Email.State.PENDING
        fields, countdown = retry_fields(failures=email.failures, schedule=schedule, now=now)
    with transaction.atomic():
        if not Email.objects.filter(pk=email.pk, lease=lease).update(
            error=error, lease=None, leased_until=None, **fields
        ):
            return None
        if countdown is not None:
            transaction.on_commit(partial(_enqueue, [email.pk], countdown=countdown), robust=True)
    return state


def sweep_emails(*, limit: int = SWEEP_BATCH) -> dict[str, int]:
    """Take ran-out claims for failed attempts, and send a task for every email that is due and
    has had none sent for a while (EMAIL_REQUEUE_SECONDS)."""
    now = timezone.now()
    lost = list(Email.objects.filter(state=Email.State.PENDING, leased_until__lt=now)[:limit])
    for email in lost:
        _record(email, lease=email.lease, error="The attempt did not finish: the worker making it stopped.")
    due = queue_due(Email, now=now, requeue_seconds=settings.EMAIL_REQUEUE_SECONDS, limit=limit)
    if due:
        _enqueue(due)
    return {"lost": len(lost), "queued": len(due)}


def prune_emails(*, now=None) -> int:
    """Remove emails sent, skipped or failed more than EVENTS_RETENTION_DAYS ago (the addresses
    a reset was asked for among them); pending ones stay. Returns how many were removed."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.EVENTS_RETENTION_DAYS)
    done = [Email.State.SENT, Email.State.SKIPPED, Email.State.FAILED]
    return delete_in_batches(Email.objects.filter(state__in=done, created_at__lt=cutoff))
