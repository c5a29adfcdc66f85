"""The mechanic pages of the Django admin: what staff type there is normalised as the API
normalises it, and the counts the triggers keep are never overwritten."""

import pytest
from django.test import Client

from mechanics.models import Mechanic


@pytest.fixture
def admin_browser(make_staff) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(make_staff(username="admin-user", is_superuser=True))
    return client


def form(**changes) -> dict:
    return {"name": "Ada Wrench", "email": "ada@example.com", "phone": "555-0100", "salary": "52000.50", **changes}


def test_adding_a_mechanic_stores_normalised_text(admin_browser):
    response = admin_browser.post(
        "/admin/mechanics/mechanic/add/",
        form(name="\u200bAda Wrench", email=" Ada@Example.COM ", phone="555\u200b-0100"),
    )
    assert response.status_code == 302
    assert Mechanic.objects.values_list("name", "email", "phone").get() == ("Ada Wrench", "ada@example.com", "555-0100")


@pytest.mark.parametrize("email", ["ada@example.com", "ADA@example.com", "Ada@Example.Com"])
def test_a_duplicate_email_in_any_case_is_a_form_error_on_email(admin_browser, make_mechanic, email):
    make_mechanic(email="ada@example.com")
    response = admin_browser.post("/admin/mechanics/mechanic/add/", form(email=email))
    assert response.status_code == 200
    assert "email" in response.context["adminform"].form.errors
    assert Mechanic.objects.count() == 1


def test_editing_a_mechanic_keeps_the_ticket_count(admin_browser, make_mechanic, make_ticket):
    mechanic = make_mechanic()
    make_ticket(mechanics=[mechanic])
    response = admin_browser.post(f"/admin/mechanics/mechanic/{mechanic.pk}/change/", form(name="Renamed"))
    assert response.status_code == 302
    mechanic.refresh_from_db()
    assert (mechanic.name, mechanic.ticket_count) == ("Renamed", 1)
