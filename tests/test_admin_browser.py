"""The admin's sign-in as a person sees it, in Chromium."""

import pytest

from accounts.tests.factories import STAFF_PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_sign_in_to_the_admin(page, live_server, make_staff):
    make_staff(username="writer", is_superuser=True)

    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "writer")
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")

    assert page.locator("#site-name").is_visible()
    assert page.get_by_role("link", name="Tickets").first.is_visible()


def test_a_wrong_password_is_refused_on_the_page(page, live_server, make_staff):
    make_staff(username="writer", is_superuser=True)

    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "writer")
    page.fill("#id_password", "not-the-password")
    page.click("input[type=submit]")

    assert "enter the correct username and password" in page.locator(".errornote").inner_text()
    assert page.url.startswith(f"{live_server.url}/admin/login/")
