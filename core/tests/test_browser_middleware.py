"""Django's session, login and message middleware run for the admin and the API docs only."""

import pytest

from conftest import STAFF_PASSWORD


@pytest.mark.parametrize("path", ["/tickets", "/customers", "/mechanics/top-3-mechanics", "/healthz", "/no-such-page"])
def test_api_requests_get_no_session_user_or_messages(staff_client, path):
    request = staff_client.get(path).wsgi_request

    assert not hasattr(request, "session")
    assert not hasattr(request, "_messages")
    assert not hasattr(request, "auser")


@pytest.mark.parametrize("path", ["/admin/", "/admin/login/", "/api/docs/", "/api/schema/"])
def test_browser_pages_keep_the_session_and_messages(admin_browser, path):
    request = admin_browser.get(path).wsgi_request

    assert request.session.get("_auth_user_id") is not None
    assert hasattr(request, "_messages")


def test_the_admin_knows_who_is_signed_in(admin_browser):
    assert admin_browser.get("/admin/").wsgi_request.user.username == "boss"


def test_admin_messages_survive_the_redirect_after_a_save(admin_browser, make_mechanic):
    mechanic = make_mechanic(name="Grease Monkey")
    url = f"/admin/mechanics/mechanic/{mechanic.pk}/change/"
    form = {"name": "Grease Monkey", "email": mechanic.email, "phone": mechanic.phone, "salary": mechanic.salary}

    saved = admin_browser.post(url, form, follow=True)

    assert saved.status_code == 200
    assert "was changed successfully" in saved.content.decode()


def test_an_admin_session_is_no_credential_for_the_api(admin_browser):
    # The admin's session cookie travels with every request from that browser; the API ignores it.
    assert admin_browser.get("/tickets").status_code == 401


def test_an_admin_sign_in_without_next_lands_on_the_admin_index(client, staff_user):
    signed_in = client.post("/admin/login/", {"username": staff_user.username, "password": STAFF_PASSWORD})

    assert (signed_in.status_code, signed_in["Location"]) == (302, "/admin/")
    assert client.get("/admin/").status_code == 200
