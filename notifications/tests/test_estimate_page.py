"""POST /tickets/<id>/send-estimate and the approval page it emails (API.md "Customers hear
from the shop"): the page shows the estimate; Approve and Decline go through tickets.workflow,
once, by the customer's email, "by estimate link"; a tampered, expired, used or outdated link is
a 410 page that changes nothing."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import signing
from django.test import Client

from notifications import services
from notifications.models import EstimateLink
from notifications.tests.factories import ESTIMATE_TOTAL
from tickets import services as ticket_services
from tickets import workflow
from tickets.models import StatusChange, Ticket


@pytest.fixture
def sent(ticket, staff_client, committed, outbox, link_in):
    """The estimate sent through the API; the path of the link in its email."""
    with committed():
        response = staff_client.post(f"/tickets/{ticket.pk}/send-estimate")
    assert response.status_code == 202, response.content
    assert response.json() == {"status": "accepted"}
    [message] = outbox
    return link_in(message)


@pytest.fixture
def browser_client():
    return Client(enforce_csrf_checks=True)


def csrf_post(client: Client, path: str, decision: str):
    """Post the page's form as a browser does: with the CSRF cookie and token the page gave."""
    page = client.get(path)
    assert page.status_code == 200, page.content
    token = page.cookies["csrftoken"].value
    return client.post(path, {"decision": decision, "csrfmiddlewaretoken": token})


def status_of(ticket) -> str:
    return Ticket.objects.get(pk=ticket.pk).status


def last_history(ticket) -> tuple:
    change = StatusChange.objects.filter(ticket=ticket).order_by("id").last()
    return change.from_status, change.to_status, change.by, change.note


# --- sending --------------------------------------------------------------------------------------


def test_the_estimate_email_holds_the_approval_link(ticket, sent, outbox):
    message = outbox[0]
    assert message.to == ["ann@example.com"]
    assert message.subject == f"Your estimate for ticket {ticket.pk} is ready for your approval"
    assert sent.startswith("/estimates/")
    assert f"https://shop.example{sent}" in message.alternatives[0][0]
    assert "179.98" in message.body and "Brake pads" in message.body


@pytest.mark.parametrize("status", ["approved", "cancelled"])
def test_sending_a_ticket_that_waits_for_no_approval_is_409(ticket, staff_client, status):
    workflow.transition(ticket_id=ticket.pk, to=status, by="staff")
    response = staff_client.post(f"/tickets/{ticket.pk}/send-estimate")
    assert response.status_code == 409
    assert response.json()["status"] == status
    assert not EstimateLink.objects.exists()


def test_send_estimate_is_staffs(ticket, api_client, customer_client, client_for, staff_client):
    assert api_client.post(f"/tickets/{ticket.pk}/send-estimate").status_code == 401
    assert client_for(ticket.customer).post(f"/tickets/{ticket.pk}/send-estimate").status_code == 403
    assert staff_client.post("/tickets/999999/send-estimate").status_code == 404
    assert staff_client.post(f"/tickets/{ticket.pk}/send-estimate/").status_code == 202
    assert staff_client.get(f"/tickets/{ticket.pk}/send-estimate").status_code == 405


# --- the page -------------------------------------------------------------------------------------


def test_the_page_shows_the_shop_vehicle_lines_and_totals(sent, browser_client, django_assert_num_queries):
    with django_assert_num_queries(6):
        response = browser_client.get(sent)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    for text in (
        "Spanner &amp; Sons",
        "(555) 010-9999",
        "2019 Toyota Corolla",
        "ABC123",
        "Brakes squeal",
        "Brake pads",
        "39.98",
        "Replace pads",
        "135.00",
        "Shop supplies",
        "5.00",
        "179.98",
    ):
        assert text in page, text
    assert 'name="viewport"' in page
    assert "<script" not in page
    assert page.count('name="csrfmiddlewaretoken"') == 2
    assert "no-cache" in response["Cache-Control"]


def test_approving_moves_the_estimate_by_the_customers_email(ticket, sent, browser_client, client_for):
    response = csrf_post(browser_client, sent, "approve")
    assert response.status_code == 200
    assert "Thank you: approved" in response.content.decode()
    assert status_of(ticket) == "approved"
    assert last_history(ticket) == ("estimate", "approved", "ann@example.com", "by estimate link")
    shown = client_for(ticket.customer).get(f"/tickets/{ticket.pk}").json()
    assert shown["status"] == "approved" and Decimal(str(shown["approved_total"])) == ESTIMATE_TOTAL
    link = EstimateLink.objects.get()
    assert link.decision == "approved" and link.used_at is not None


def test_declining_cancels_the_estimate(ticket, sent, browser_client):
    response = csrf_post(browser_client, sent, "decline")
    assert response.status_code == 200 and "Declined" in response.content.decode()
    assert status_of(ticket) == "cancelled"
    assert last_history(ticket) == ("estimate", "cancelled", "ann@example.com", "by estimate link")


def test_the_form_needs_its_csrf_token(ticket, sent, browser_client):
    response = browser_client.post(sent, {"decision": "approve"})
    assert response.status_code == 403
    assert status_of(ticket) == "estimate"


def test_the_form_submitted_twice_makes_one_transition(ticket, sent, browser_client):
    page = browser_client.get(sent)
    token = page.cookies["csrftoken"].value
    first = browser_client.post(sent, {"decision": "approve", "csrfmiddlewaretoken": token})
    second = browser_client.post(sent, {"decision": "approve", "csrfmiddlewaretoken": token})
    assert (first.status_code, second.status_code) == (200, 410)
    assert "already used" in second.content.decode()
    assert StatusChange.objects.filter(ticket=ticket, to_status="approved").count() == 1


def test_a_decline_after_the_approval_is_410(ticket, sent, browser_client):
    assert csrf_post(browser_client, sent, "approve").status_code == 200
    response = browser_client.post(
        sent, {"decision": "decline", "csrfmiddlewaretoken": browser_client.cookies["csrftoken"].value}
    )
    assert response.status_code == 410
    assert status_of(ticket) == "approved"
    assert browser_client.get(sent).status_code == 410  # the page too


def test_an_unknown_decision_is_400(ticket, sent, browser_client):
    response = csrf_post(browser_client, sent, "maybe")
    assert response.status_code == 400
    assert status_of(ticket) == "estimate"


def tampered(path: str) -> list[str]:
    token = path.removeprefix("/estimates/")
    payload, stamp, signature = token.split(":")
    other_total = signing.b64_encode(b'{"link":1,"ticket":1,"total":"1.00"}').decode()
    return [
        f"/estimates/{payload}:{stamp}:{signature[:-2]}xx",
        f"/estimates/{other_total}:{stamp}:{signature}",
        f"/estimates/{payload}",
        "/estimates/not-a-token",
        "/estimates/%F0%9F%98%80",
    ]


def test_a_tampered_link_is_a_410_page_that_changes_nothing(ticket, sent, browser_client, client):
    for path in tampered(sent):
        response = client.get(path)
        assert response.status_code == 410, path
        assert response["Content-Type"].startswith("text/html")
        assert "This link is not valid" in response.content.decode()
        page = browser_client.get(sent)  # a CSRF token for the POST
        token = page.cookies["csrftoken"].value
        assert browser_client.post(path, {"decision": "approve", "csrfmiddlewaretoken": token}).status_code == 410
    assert status_of(ticket) == "estimate"


def test_a_link_signed_for_something_else_is_invalid(ticket, client):
    # Signed with the project's key, but not with the estimate links' salt.
    token = signing.dumps({"link": 1, "ticket": ticket.pk, "total": "179.98"})
    assert client.get(f"/estimates/{token}").status_code == 410


def later(monkeypatch, delta: timedelta) -> None:
    """Django's signing reads the clock from the time module: move it on by `delta`."""
    now = time.time()
    monkeypatch.setattr("django.core.signing.time.time", lambda: now + delta.total_seconds())


def test_a_link_works_until_it_expires(ticket, sent, browser_client, settings, monkeypatch):
    settings.ESTIMATE_LINK_DAYS = 7
    later(monkeypatch, timedelta(days=6, hours=23))
    assert browser_client.get(sent).status_code == 200
    later(monkeypatch, timedelta(days=7, minutes=1))
    response = browser_client.get(sent)
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert status_of(ticket) == "estimate"


def test_a_link_whose_total_changed_is_410(ticket, sent, browser_client):
    ticket_services.add_line(
        ticket_id=ticket.pk, kind="fee", description="Disposal", quantity=1, unit_price=Decimal("3")
    )
    response = browser_client.get(sent)
    assert response.status_code == 410 and "no longer 179.98" in response.content.decode()
    assert status_of(ticket) == "estimate"


def test_a_link_to_an_estimate_staff_cancelled_is_410(ticket, sent, browser_client):
    workflow.transition(ticket_id=ticket.pk, to="cancelled", by="staff")
    assert browser_client.get(sent).status_code == 410


def test_a_signed_in_staff_member_opening_it_acts_for_the_customer(ticket, sent, admin_client):
    response = admin_client.get(sent)
    assert response.status_code == 200
    response = admin_client.post(sent, {"decision": "approve"})
    assert response.status_code == 200
    assert last_history(ticket) == ("estimate", "approved", "ann@example.com", "by estimate link")


# --- supplemental approval ------------------------------------------------------------------------


@pytest.fixture
def raised(ticket):
    """Approved and in progress, then 50.00 of work added: needs the customer's approval."""
    workflow.transition(ticket_id=ticket.pk, to="approved", by="staff")
    workflow.transition(ticket_id=ticket.pk, to="in_progress", by="staff")
    ticket_services.add_line(
        ticket_id=ticket.pk, kind="labor", description="Rotors", quantity=1, unit_price=Decimal("50")
    )
    return ticket


def send_for(ticket, outbox, link_in, committed) -> str:
    with committed():
        services.send_estimate(ticket_id=ticket.pk, by="staff")
    return link_in(outbox[-1])


def test_a_supplemental_approval_through_the_link(raised, outbox, link_in, committed, browser_client, staff_client):
    path = send_for(raised, outbox, link_in, committed)
    assert "above the 179.98 you approved" in outbox[-1].body
    page = browser_client.get(path)
    assert "229.98" in page.content.decode()
    assert csrf_post(browser_client, path, "approve").status_code == 200
    shown = staff_client.get(f"/tickets/{raised.pk}").json()
    assert shown["needs_approval"] is False and Decimal(str(shown["approved_total"])) == Decimal("229.98")
    from_status, to_status, by, note = last_history(raised)
    assert (from_status, to_status, by) == ("in_progress", "in_progress", "ann@example.com")
    assert note == "Approved the total of 229.98 (was 179.98): by estimate link"


def test_a_supplemental_decline_is_recorded_and_changes_nothing_else(
    raised, outbox, link_in, committed, browser_client
):
    path = send_for(raised, outbox, link_in, committed)
    assert csrf_post(browser_client, path, "decline").status_code == 200
    ticket = Ticket.objects.get(pk=raised.pk)
    assert ticket.status == "in_progress" and ticket.approved_total == ESTIMATE_TOTAL
    from_status, to_status, by, note = last_history(raised)
    assert (from_status, to_status, by) == ("in_progress", "in_progress", "ann@example.com")
    assert note.startswith("Declined the total of 229.98") and note.endswith("by estimate link")
    assert browser_client.get(path).status_code == 410
