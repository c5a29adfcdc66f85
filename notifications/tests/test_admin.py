"""The "Send estimate" button on the admin's ticket page, and the read-only email pages."""

import pytest

from notifications.models import Email, EstimateLink
from tickets import workflow


def change_page(client, ticket):
    response = client.get(f"/admin/tickets/ticket/{ticket.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def test_an_estimates_page_has_the_button_and_it_sends(ticket, admin_client, committed, outbox):
    page = change_page(admin_client, ticket)
    assert "Send estimate" in page
    assert 'id="ticket_form"' in page  # still the ticket's own change form
    with committed():
        response = admin_client.post(f"/admin/tickets/ticket/{ticket.pk}/send-estimate/", follow=True)
    assert response.status_code == 200
    assert "on its way to ann@example.com" in response.content.decode()
    link = EstimateLink.objects.get()
    assert (link.ticket_id, link.sent_by) == (ticket.pk, "admin")
    assert [m.to for m in outbox] == [["ann@example.com"]]


def test_no_button_when_nothing_waits_for_approval(ticket, admin_client):
    workflow.transition(ticket_id=ticket.pk, to="approved", by="staff")
    assert "Send estimate" not in change_page(admin_client, ticket)


def test_a_refused_send_says_why(ticket, admin_client):
    workflow.transition(ticket_id=ticket.pk, to="approved", by="staff")
    response = admin_client.post(f"/admin/tickets/ticket/{ticket.pk}/send-estimate/", follow=True)
    assert "Estimate not sent" in response.content.decode()
    assert not Email.objects.exists()


def test_sending_takes_a_post(ticket, admin_client):
    assert admin_client.get(f"/admin/tickets/ticket/{ticket.pk}/send-estimate/").status_code == 405
    assert not Email.objects.exists()


def test_staff_without_the_change_permission_cannot_send(ticket, client, django_user_model):
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    client.force_login(viewer)
    response = client.post(f"/admin/tickets/ticket/{ticket.pk}/send-estimate/")
    assert response.status_code == 403
    assert not Email.objects.exists()


@pytest.mark.parametrize("page", ["/admin/notifications/email/", "/admin/notifications/estimatelink/"])
def test_the_email_pages_list_read_only(ticket, admin_client, committed, page):
    from notifications import services

    with committed():
        services.send_estimate(ticket_id=ticket.pk, by="staff")
    response = admin_client.get(page)
    assert response.status_code == 200
    assert "ann@example.com" in response.content.decode() or "179.98" in response.content.decode()
    assert admin_client.get(page + "add/").status_code == 403
