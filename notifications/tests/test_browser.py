"""The pages customers open from their emails, in Chromium (Playwright): the approval link taken
from the email the test captured, approved, then used again; a reset link, a new password set
and signed in with; on a phone-sized screen and with JavaScript off."""

import re

import pytest
from django.core import mail

from conftest import CUSTOMER_PASSWORD
from customers.tests.factories import CustomerFactory
from notifications.tests.factories import estimate_ticket

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
NEW_PASSWORD = "Fresh-Lantern-77"


@pytest.fixture(autouse=True)
def _links_to_the_live_server(settings, live_server):
    settings.PUBLIC_BASE_URL = live_server.url


def link_in_last_email(live_server) -> str:
    message = mail.outbox[-1]
    match = re.search(re.escape(live_server.url) + r"\S+", message.body)
    assert match, message.body
    return match[0]


@pytest.fixture
def phone(make_page):
    """A phone-sized page with JavaScript off: the pages need none."""
    return make_page(viewport=PHONE, java_script_enabled=False, is_mobile=True)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_approve_an_estimate_from_its_email(page, live_server, staff_client, client_for):
    ticket = estimate_ticket()
    assert staff_client.post(f"/tickets/{ticket.pk}/send-estimate").status_code == 202
    link = link_in_last_email(live_server)

    page.goto(link)
    assert page.get_by_role("heading", name=f"Your estimate, ticket {ticket.pk}").is_visible()
    assert page.locator("strong.total").inner_text() == "179.98"
    assert page.get_by_text("Brake pads").is_visible()
    page.get_by_role("button", name="Approve 179.98").click()

    assert page.get_by_role("heading", name="Thank you: approved").is_visible()
    shown = client_for(ticket.customer).get(f"/tickets/{ticket.pk}").json()
    assert shown["status"] == "approved"
    history = client_for(ticket.customer).get(f"/tickets/{ticket.pk}/history").json()
    assert history[-1]["by"] == "ann@example.com" and history[-1]["note"] == "by estimate link"

    response = page.goto(link)  # the used link
    assert response.status == 410
    assert page.get_by_role("heading", name="This link cannot be used").is_visible()
    assert "already used" in page.locator(".message").inner_text()


def test_decline_on_a_phone_without_javascript(phone, live_server, staff_client):
    ticket = estimate_ticket()
    staff_client.post(f"/tickets/{ticket.pk}/send-estimate")
    link = link_in_last_email(live_server)

    phone.goto(link)
    assert fits_the_screen(phone)
    assert phone.get_by_role("button", name="Decline").is_visible()
    phone.get_by_role("button", name="Decline").click()

    assert phone.get_by_role("heading", name="Declined").is_visible()
    staff_view = staff_client.get(f"/tickets/{ticket.pk}").json()
    assert staff_view["status"] == "cancelled"


def test_reset_a_password_from_its_email_and_sign_in(page, live_server, api_client):
    CustomerFactory(name="Ann Driver", email="ann@example.com")
    assert api_client.post("/customers/password-reset", {"email": "ann@example.com"}).status_code == 202
    link = link_in_last_email(live_server)

    page.goto(link)
    page.get_by_label("New password", exact=True).fill("12345")
    page.get_by_label("New password again").fill("12345")
    page.get_by_role("button", name="Set the new password").click()
    assert page.get_by_text("This password is too short").is_visible()

    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()
    assert page.get_by_role("heading", name="Your password is changed").is_visible()

    signed_in = api_client.post("/customers/login", {"email": "ann@example.com", "password": NEW_PASSWORD})
    assert signed_in.status_code == 200
    old = api_client.post("/customers/login", {"email": "ann@example.com", "password": CUSTOMER_PASSWORD})
    assert old.status_code == 401

    response = page.goto(link)  # used
    assert response.status == 410
    assert page.get_by_role("heading", name="This link cannot be used").is_visible()


def test_the_reset_page_fits_a_phone(phone, live_server, api_client):
    CustomerFactory(email="ann@example.com")
    api_client.post("/customers/password-reset", {"email": "ann@example.com"})
    phone.goto(link_in_last_email(live_server))
    assert fits_the_screen(phone)
