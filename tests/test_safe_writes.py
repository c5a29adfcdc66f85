"""ETag, If-None-Match and If-Match over HTTP (API.md "Safe retries and concurrent edits"): every
single-resource GET and PUT/PATCH answer has a strong ETag that changes with the representation,
If-None-Match with it is 304, a stale If-Match on PUT, PATCH, DELETE or a transition is 412 and
changes nothing, and without If-Match writes behave as before."""

from decimal import Decimal

import pytest

from core import conditional
from tests.asserts import assert_error
from tickets import services
from tickets.models import Ticket, TicketLine
from vehicles.tests.factories import VehicleFactory


@pytest.fixture
def resources(make_customer, make_mechanic, make_item, make_ticket):
    customer = make_customer()
    return {
        "customers": customer,
        "mechanics": make_mechanic(),
        "inventory": make_item(),
        "vehicles": VehicleFactory(customer=customer),
        "tickets": make_ticket(customer=customer),
    }


RESOURCES = ["customers", "mechanics", "inventory", "vehicles", "tickets"]


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_single_resource_get_has_a_strong_etag_and_if_none_match_is_304(staff_client, resources, resource):
    url = f"/{resource}/{resources[resource].pk}"
    first = staff_client.get(url)
    etag = first["ETag"]

    not_modified = staff_client.get(url, headers={"If-None-Match": etag})
    other = staff_client.get(url, headers={"If-None-Match": '"something-else"'})
    weak = staff_client.get(url, headers={"If-None-Match": f"W/{etag}"})

    assert first.status_code == 200 and etag.startswith('"') and not etag.startswith("W/")
    assert (not_modified.status_code, not_modified.content, not_modified["ETag"]) == (304, b"", etag)
    assert other.status_code == 200 and other["ETag"] == etag
    assert weak.status_code == 200  # If-None-Match compares weakly per RFC 9110, but we send strong tags only


@pytest.mark.parametrize(
    ("resource", "change"),
    [
        ("customers", {"phone": "555-0199"}),
        ("mechanics", {"name": "Renamed"}),
        ("inventory", {"name": "Renamed part"}),
        ("vehicles", {"make": "Renamed"}),
        ("tickets", {"service_description": "Changed"}),
    ],
)
def test_a_patch_answer_has_the_etag_a_get_then_has_and_stale_if_match_is_412(
    staff_client, resources, resource, change
):
    url = f"/{resource}/{resources[resource].pk}"
    before = staff_client.get(url)["ETag"]

    patched = staff_client.patch(url, change, format="json", headers={"If-Match": before})
    after = staff_client.get(url)
    stale = staff_client.patch(url, {**change}, format="json", headers={"If-Match": before})

    assert patched.status_code == 200, patched.content
    assert patched["ETag"] == after["ETag"] != before
    assert "changed" in assert_error(stale, 412)["error"]
    assert staff_client.get(url)["ETag"] == after["ETag"]


def test_a_stale_if_match_changes_nothing(staff_client, resources):
    customer = resources["customers"]
    url = f"/customers/{customer.pk}"
    etag = staff_client.get(url)["ETag"]
    staff_client.patch(url, {"phone": "555-0111"}, format="json")

    response = staff_client.put(
        url,
        {"name": "New", "email": customer.email, "phone": "555-0122"},
        format="json",
        headers={"If-Match": etag},
    )

    assert_error(response, 412)
    customer.refresh_from_db()
    assert (customer.name, customer.phone) != ("New", "555-0122")


@pytest.mark.parametrize("resource", ["customers", "mechanics", "inventory", "vehicles"])
def test_delete_with_a_stale_if_match_is_412_and_with_the_current_one_204(
    staff_client, resources, resource, throttling_off
):
    obj = resources[resource]
    if resource in ("customers", "vehicles"):
        Ticket.objects.all().delete()  # a customer or vehicle with tickets is kept (409)
    url = f"/{resource}/{obj.pk}"
    etag = staff_client.get(url)["ETag"]

    stale = staff_client.delete(url, headers={"If-Match": '"stale"'})
    assert_error(stale, 412)
    assert type(obj).objects.filter(pk=obj.pk).exists()

    assert staff_client.delete(url, headers={"If-Match": etag}).status_code == 204
    assert not type(obj).objects.filter(pk=obj.pk).exists()


def test_a_transition_with_a_stale_if_match_is_412_and_with_the_current_one_200(staff_client, make_ticket):
    ticket = make_ticket()
    url = f"/tickets/{ticket.pk}"
    etag = staff_client.get(url)["ETag"]
    services.add_line(
        ticket_id=ticket.pk, kind="fee", description="Found more", quantity=Decimal(1), unit_price=Decimal(10)
    )

    stale = staff_client.post(f"{url}/transition", {"to": "approved"}, format="json", headers={"If-Match": etag})
    assert_error(stale, 412)
    assert Ticket.objects.get(pk=ticket.pk).status == "estimate"

    current = staff_client.get(url)["ETag"]
    assert current != etag  # a new line changed the representation, so the tag
    moved = staff_client.post(f"{url}/transition", {"to": "approved"}, format="json", headers={"If-Match": current})
    assert moved.status_code == 200, moved.content


def test_if_match_star_matches_any_current_version(staff_client, resources):
    url = f"/mechanics/{resources['mechanics'].pk}"

    assert staff_client.patch(url, {"name": "X"}, format="json", headers={"If-Match": "*"}).status_code == 200


def test_if_match_on_another_customers_record_is_still_403(customer_client, make_customer):
    other = make_customer()

    response = customer_client.patch(f"/customers/{other.pk}", {"phone": "1"}, format="json", headers={"If-Match": "*"})

    assert response.status_code in (403, 404)


def test_without_if_match_writes_behave_as_before(staff_client, resources):
    url = f"/mechanics/{resources['mechanics'].pk}"

    assert staff_client.patch(url, {"name": "A"}, format="json").status_code == 200
    assert staff_client.patch(url, {"name": "B"}, format="json").status_code == 200


def test_a_cached_read_keeps_its_etag_and_answers_304(staff_client, resources):
    url = f"/customers/{resources['customers'].pk}"  # customers' single reads are cached
    etag = staff_client.get(url)["ETag"]

    cached = staff_client.get(url)
    not_modified = staff_client.get(url, headers={"If-None-Match": etag})
    again = staff_client.get(url)

    assert cached.status_code == 200 and cached["ETag"] == etag
    assert not_modified.status_code == 304
    assert again.status_code == 200 and again.content  # the 304 was never cached


def test_a_version_source_supplies_the_ticket_etag(staff_client, make_ticket, monkeypatch):
    ticket = make_ticket()
    monkeypatch.setitem(conditional._version_sources, "tickets", lambda pk, known: 7)

    response = staff_client.get(f"/tickets/{ticket.pk}")
    stale = staff_client.patch(
        f"/tickets/{ticket.pk}", {"service_description": "x"}, format="json", headers={"If-Match": '"tickets-0-7-0"'}
    )

    assert response["ETag"].startswith(f'"tickets-{ticket.pk}-7-')
    assert_error(stale, 412)


def test_if_match_naming_the_current_version_beside_another_body_is_412(staff_client, make_ticket):
    """A tag read while another write's transaction was open can name that write's version (the
    counters move before the commit) beside the body without it: If-Match weighs the body."""
    ticket = make_ticket()
    url = f"/tickets/{ticket.pk}"
    etag = staff_client.get(url)["ETag"]
    Ticket.objects.filter(pk=ticket.pk).update(service_description="Changed by a write not yet counted")

    stale = staff_client.patch(url, {"service_description": "Mine"}, format="json", headers={"If-Match": etag})

    assert_error(stale, 412)
    assert Ticket.objects.get(pk=ticket.pk).service_description == "Changed by a write not yet counted"


def test_a_ticket_line_removal_with_a_stale_ticket_tag_is_412_and_keeps_the_line(staff_client, make_ticket):
    ticket = make_ticket()
    line = TicketLine.objects.create(ticket=ticket, kind="fee", description="Fee", quantity=1, unit_price=10)
    etag = staff_client.get(f"/tickets/{ticket.pk}")["ETag"]
    services.add_line(
        ticket_id=ticket.pk, kind="fee", description="Another", quantity=Decimal(1), unit_price=Decimal(5)
    )

    stale = staff_client.delete(f"/tickets/{ticket.pk}/lines/{line.pk}", headers={"If-Match": etag})
    assert_error(stale, 412)
    assert TicketLine.objects.filter(pk=line.pk).exists()

    current = staff_client.get(f"/tickets/{ticket.pk}")["ETag"]
    removed = staff_client.delete(f"/tickets/{ticket.pk}/lines/{line.pk}", headers={"If-Match": current})
    assert removed.status_code == 204
    assert not TicketLine.objects.filter(pk=line.pk).exists()


def test_a_customer_approving_with_a_stale_tag_gets_412(customer_client, customer, make_ticket):
    ticket = make_ticket(customer=customer)
    etag = customer_client.get(f"/tickets/{ticket.pk}")["ETag"]
    services.add_line(
        ticket_id=ticket.pk, kind="fee", description="Found more", quantity=Decimal(1), unit_price=Decimal(10)
    )

    response = customer_client.post(
        f"/tickets/{ticket.pk}/transition", {"to": "approved"}, format="json", headers={"If-Match": etag}
    )

    assert_error(response, 412)  # the customer would have approved a total they never saw
    assert Ticket.objects.get(pk=ticket.pk).status == "estimate"
