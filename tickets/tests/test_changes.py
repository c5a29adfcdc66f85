"""A ticket's audit trail, GET /tickets/<id>/changes (API.md "Who may change a ticket, and when",
issue #23 item 15): every change after its creation, from the API and the admin, oldest first,
with who, when, and what changed; written in the transaction of the change itself."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from audit.models import Change
from inventory import stock
from tests.asserts import assert_error
from tickets import services, workflow
from tickets.models import Ticket, TicketLine


def changes(client, ticket) -> list[dict]:
    response = client.get(f"/tickets/{ticket.pk}/changes")
    assert response.status_code == 200, response.content
    return response.json()


def actions(client, ticket) -> list[tuple]:
    return [(entry["action"], entry["changes"]) for entry in changes(client, ticket)]


@pytest.fixture
def ticket(customer):
    return services.ticket_create(
        customer_id=customer.pk,
        vin="1HGCM82633A004352",
        service_date=date(2026, 11, 2),
        service_description="Brakes",
        by="staff",
    )


@pytest.fixture
def admin_browser(make_staff) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(make_staff(username="admin-user", is_superuser=True))
    return client


def test_a_new_ticket_has_no_changes(staff_client, ticket):
    assert changes(staff_client, ticket) == []


@pytest.mark.parametrize("slash", ["", "/"])
def test_an_update_records_each_changed_field_with_old_and_new(staff_client, ticket, slash):
    body = {"service_description": "Brakes and tyres", "mileage_in": 1200, "VIN": "1HGCM82633A004352"}
    assert staff_client.patch(f"/tickets/{ticket.pk}", body, format="json").status_code == 200

    response = staff_client.get(f"/tickets/{ticket.pk}/changes{slash}")

    assert response.status_code == 200
    [entry] = response.json()
    assert set(entry) == {"at", "by", "action", "changes"}
    assert (entry["by"], entry["action"]) == ("staff", "update")
    assert entry["changes"] == {"service_description": ["Brakes", "Brakes and tyres"], "mileage_in": [None, 1200]}
    assert entry["at"].endswith("Z")


def test_an_update_that_changes_nothing_records_nothing(staff_client, ticket):
    staff_client.patch(f"/tickets/{ticket.pk}", {"service_description": "Brakes"}, format="json")

    assert changes(staff_client, ticket) == []


def test_a_customers_change_is_recorded_by_their_email(customer_client, customer, staff_client, ticket):
    customer_client.patch(f"/tickets/{ticket.pk}", {"service_date": "2026-11-05"}, format="json")

    [entry] = changes(staff_client, ticket)
    assert (entry["by"], entry["changes"]) == (customer.email, {"service_date": ["2026-11-02", "2026-11-05"]})


def test_every_kind_of_change_is_recorded_oldest_first(
    staff_client, customer_client, customer, ticket, make_mechanic, make_item
):
    mechanic, other = make_mechanic(name="Ada"), make_mechanic(name="Linus")
    item = make_item(name="Brake pad", price=Decimal("49.90"))
    stock.record_movement(item_id=item.pk, kind="receipt", quantity=10, by="staff")
    t = ticket.pk

    def ok(response, status=200):
        assert response.status_code == status, response.content

    ok(staff_client.put(f"/tickets/{t}/assign-mechanic/{mechanic.pk}"))
    ok(staff_client.put(f"/tickets/{t}/update-mechanics", {"add_mechanic_ids": [other.pk]}, format="json"))
    ok(staff_client.put(f"/tickets/{t}/remove-mechanic/{mechanic.pk}"))
    ok(
        staff_client.post(
            f"/tickets/{t}/inventory",
            {"add_inventory_items": [{"inventory_id": item.pk, "quantity": 2}]},
            format="json",
        )
    )
    ok(staff_client.delete(f"/tickets/{t}/inventory/{item.pk}"), 204)
    line = staff_client.post(
        f"/tickets/{t}/lines",
        {"kind": "labor", "description": "Pads", "quantity": 1.5, "unit_price": 80, "mechanic_id": other.pk},
        format="json",
    ).json()
    ok(staff_client.delete(f"/tickets/{t}/lines/{line['id']}"), 204)
    ok(
        staff_client.post(
            f"/tickets/{t}/lines",
            {"kind": "fee", "description": "Disposal", "quantity": 1, "unit_price": 100},
            format="json",
        ),
        201,
    )
    ok(customer_client.post(f"/tickets/{t}/transition", {"to": "approved", "note": "Go"}, format="json"))
    ok(
        staff_client.post(
            f"/tickets/{t}/lines",
            {"kind": "fee", "description": "Extra", "quantity": 1, "unit_price": 20},
            format="json",
        ),
        201,
    )
    ok(staff_client.post(f"/tickets/{t}/approve", {"note": "By phone"}, format="json"))
    for to in ("in_progress", "completed", "invoiced"):
        ok(staff_client.post(f"/tickets/{t}/transition", {"to": to}, format="json"))
    payment = staff_client.post(
        f"/tickets/{t}/payments", {"amount": "50.00", "method": "card", "reference": "A1"}, format="json"
    ).json()
    invoice_number = Ticket.objects.get(pk=t).invoice.pk
    lines = list(TicketLine.objects.filter(ticket_id=t).order_by("id").values_list("pk", flat=True))

    trail = changes(staff_client, ticket)

    assert [(e["action"], e["changes"]) for e in trail] == [
        ("mechanic_added", {"mechanic_id": mechanic.pk, "name": "Ada"}),
        ("mechanic_added", {"mechanic_id": other.pk, "name": "Linus"}),
        ("mechanic_removed", {"mechanic_id": mechanic.pk, "name": "Ada"}),
        ("part_added", {"inventory_id": item.pk, "name": "Brake pad", "quantity": 2, "unit_price": "49.90"}),
        ("part_removed", {"inventory_id": item.pk, "quantity": 2, "unit_price": "49.90"}),
        (
            "line_added",
            {
                "line_id": line["id"],
                "kind": "labor",
                "description": "Pads",
                "quantity": "1.50",
                "unit_price": "80.00",
                "mechanic_id": other.pk,
            },
        ),
        (
            "line_removed",
            {
                "line_id": line["id"],
                "kind": "labor",
                "description": "Pads",
                "quantity": "1.50",
                "unit_price": "80.00",
                "mechanic_id": other.pk,
            },
        ),
        (
            "line_added",
            {
                "line_id": lines[0],
                "kind": "fee",
                "description": "Disposal",
                "quantity": "1.00",
                "unit_price": "100.00",
                "mechanic_id": None,
            },
        ),
        ("transition", {"status": ["estimate", "approved"], "approved_total": [None, "100.00"], "note": "Go"}),
        (
            "line_added",
            {
                "line_id": lines[1],
                "kind": "fee",
                "description": "Extra",
                "quantity": "1.00",
                "unit_price": "20.00",
                "mechanic_id": None,
            },
        ),
        ("approval", {"approved_total": ["100.00", "120.00"], "note": "By phone"}),
        ("transition", {"status": ["approved", "in_progress"]}),
        ("transition", {"status": ["in_progress", "completed"]}),
        ("transition", {"status": ["completed", "invoiced"], "invoice_number": invoice_number}),
        ("payment", {"payment_id": payment["id"], "amount": "50.00", "method": "card", "reference": "A1"}),
    ]
    assert [e["by"] for e in trail if e["action"] in ("transition", "approval")] == [customer.email] + ["staff"] * 4
    assert [e["at"] for e in trail] == sorted(e["at"] for e in trail)


def test_cancelling_is_a_transition_in_the_trail(staff_client, ticket):
    staff_client.post(f"/tickets/{ticket.pk}/transition", {"to": "cancelled", "note": "Declined"}, format="json")

    assert actions(staff_client, ticket) == [("transition", {"status": ["estimate", "cancelled"], "note": "Declined"})]


def test_a_refused_change_leaves_no_trail(staff_client, ticket, make_item):
    item = make_item()
    stock.record_movement(item_id=item.pk, kind="receipt", quantity=1, by="staff")
    body = {"add_inventory_items": [{"inventory_id": item.pk, "quantity": 5}]}

    assert_error(staff_client.post(f"/tickets/{ticket.pk}/inventory", body, format="json"), 409)  # too little stock
    assert_error(staff_client.post(f"/tickets/{ticket.pk}/transition", {"to": "invoiced"}, format="json"), 409)
    assert_error(staff_client.patch(f"/tickets/{ticket.pk}", {"mileage_in": 9, "mileage_out": 1}, format="json"), 400)

    assert changes(staff_client, ticket) == []


def test_the_trail_is_written_in_the_changes_own_transaction(staff_client, ticket, monkeypatch):
    """A change that fails after its trail entry was written leaves neither."""

    def fail(*resources):
        raise RuntimeError("after the write")

    monkeypatch.setattr(services, "bump_ticket", fail)
    with pytest.raises(RuntimeError):
        services.ticket_update(ticket_id=ticket.pk, changes={"service_description": "Lost"}, by="staff")

    assert Ticket.objects.get(pk=ticket.pk).service_description == "Brakes"
    assert not Change.objects.exists()


def test_admin_changes_are_in_the_trail_by_the_staff_username(admin_browser, staff_client, ticket):
    line = services.add_line(ticket_id=ticket.pk, kind="fee", description="Disposal", quantity=1, unit_price=5)
    page = admin_browser.get(f"/admin/tickets/ticket/{ticket.pk}/change/")
    data = {}
    for form in [
        page.context["adminform"].form,
        *[f for inline in page.context["inline_admin_formsets"] for f in inline.formset.forms],
    ]:
        for bound in form:
            if bound.value() is not None:
                data[bound.html_name] = bound.value()
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(name): value for name, value in management.initial.items()})
    data.update({"service_description": "Changed in the admin", "lines-0-quantity": "2"})

    response = admin_browser.post(f"/admin/tickets/ticket/{ticket.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    trail = changes(staff_client, ticket)
    assert [(e["by"], e["action"], e["changes"]) for e in trail[1:]] == [
        ("admin-user", "update", {"service_description": ["Brakes", "Changed in the admin"]}),
        ("admin-user", "update", {f"lines.{line.pk}.quantity": ["1.00", "2.00"]}),
    ]


def test_an_admin_transition_action_is_in_the_trail(admin_browser, staff_client, ticket):
    admin_browser.post("/admin/tickets/ticket/", {"action": "move_to_cancelled", "_selected_action": [ticket.pk]})

    [entry] = changes(staff_client, ticket)
    assert (entry["by"], entry["action"], entry["changes"]) == (
        "admin-user",
        "transition",
        {"status": ["estimate", "cancelled"], "note": "Admin action"},
    )


def test_the_admins_ticket_page_shows_the_trail_read_only(admin_browser, ticket):
    services.ticket_update(ticket_id=ticket.pk, changes={"service_description": "Tyres"}, by="someone")

    page = admin_browser.get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()

    assert "Audit trail" in page and "someone" in page and "Tyres" in page
    assert 'name="audit' not in page  # nothing of it is a form field


def test_the_trail_pages_like_every_list(staff_client, ticket):
    for n in range(3):
        services.ticket_update(ticket_id=ticket.pk, changes={"service_description": f"v{n}"}, by="staff")

    response = staff_client.get(f"/tickets/{ticket.pk}/changes?page=2&per_page=2")

    assert response["X-Total-Count"] == "3"
    assert [e["changes"]["service_description"] for e in response.json()] == [["v1", "v2"]]


def test_the_trail_of_an_unknown_ticket_is_404_for_staff(staff_client):
    assert_error(staff_client.get("/tickets/987654/changes"), 404)


def test_reading_the_trail_takes_a_fixed_number_of_queries(staff_client, ticket, django_assert_num_queries):
    for n in range(5):
        services.ticket_update(ticket_id=ticket.pk, changes={"service_description": f"v{n}"}, by="staff")
    staff_client.get(f"/tickets/{ticket.pk}/changes")  # the account and the content type cached

    with django_assert_num_queries(2):  # the ticket (the caller may see it), the trail
        assert len(changes(staff_client, ticket)) == 5


def test_the_workflow_records_transitions_with_the_service(ticket):
    workflow.transition(ticket_id=ticket.pk, to="approved", by="clerk", note="ok")

    entry = Change.objects.get()
    assert (entry.object_id, entry.by, entry.action) == (ticket.pk, "clerk", "transition")
