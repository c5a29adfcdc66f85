"""GET /tickets/<id> is built from two compiled queries (tickets.selectors.ticket_detail,
core.db.CompiledQuery) instead of the ORM's prefetch: it must answer exactly what the serializer
over the ORM answers, at once after any change, and refuse what the ORM path refused."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.db import CompiledQuery
from core.renderers import JSONRenderer
from core.tests.asserts import assert_error
from inventory.models import Inventory
from tickets import selectors
from tickets.models import Ticket
from tickets.serializers import TicketSerializer

pytestmark = pytest.mark.usefixtures("private_file_cache", "throttling_off")

PLACEHOLDER = -9_100_001


def orm_representation(ticket_id: int) -> bytes:
    """What the serializer renders for the ticket loaded by the ORM with its prefetches."""
    return JSONRenderer().render(TicketSerializer(selectors.ticket_list().get(pk=ticket_id)).data)


def list_row(staff_client, ticket_id: int) -> dict:
    response = staff_client.get("/tickets")
    assert response.status_code == 200
    [row] = [row for row in response.json() if row["id"] == ticket_id]
    return row


# (mechanic count, [(price, quantity)] of the parts)
SHAPES = {
    "no-mechanics-no-parts": (0, []),
    "one-of-each": (1, [(Decimal("12.50"), 1)]),
    "several": (3, [(Decimal("12.50"), 3), (Decimal("0.05"), 2), (Decimal("1999.99"), 1), (Decimal("7.00"), 10)]),
    "mechanics-only": (2, []),
    "parts-only": (0, [(Decimal("0.10"), 4), (Decimal("99999999.99"), 2)]),
}


@pytest.fixture
def decoy(make_ticket, make_mechanic, make_item):
    """Another ticket with lines of its own, so a detail that ignored its ticket id would show."""
    return make_ticket(vin="DECOY0000000", mechanics=[make_mechanic(name="Decoy Mech")], parts=[(make_item(name="Decoy Part"), 5)])


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_ticket_detail_is_what_the_serializer_gives_over_the_orm(
    staff_client, customer, make_ticket, make_mechanic, make_item, decoy, shape
):
    mechanic_count, part_specs = shape
    mechanics = [make_mechanic() for _ in range(mechanic_count)]
    items = [make_item(price=price) for price, _ in part_specs]
    # Attached in the reverse of id order: the answer must be in id order whatever the insertion.
    ticket = make_ticket(
        customer=customer,
        mechanics=list(reversed(mechanics)),
        parts=list(reversed([(item, quantity) for item, (_, quantity) in zip(items, part_specs)])),
        service_date=date(2026, 2, 28),
        service_description="Brakes, \u00e9t\u00e9 \u2014 \"quoted\"",
    )

    response = staff_client.get(f"/tickets/{ticket.pk}")

    assert response.status_code == 200
    assert response.content == orm_representation(ticket.pk)
    body = response.json()
    assert body == list_row(staff_client, ticket.pk)
    assert body == {
        "id": ticket.pk,
        "VIN": ticket.vin,
        "service_date": "2026-02-28",
        "service_description": "Brakes, \u00e9t\u00e9 \u2014 \"quoted\"",
        "customer_id": customer.pk,
        "mechanics": [{"id": m.pk, "name": m.name} for m in mechanics],
        "parts": [
            {"inventory_id": item.pk, "name": item.name, "price": float(price), "quantity": quantity}
            for item, (price, quantity) in zip(items, part_specs)
        ],
    }
    assert [m["id"] for m in body["mechanics"]] == sorted(m["id"] for m in body["mechanics"])
    assert [p["inventory_id"] for p in body["parts"]] == sorted(p["inventory_id"] for p in body["parts"])


def test_prices_keep_their_cents(staff_client, make_ticket, make_item):
    items = [make_item(price=Decimal(p)) for p in ("12.50", "0.01", "1234.56")]
    ticket = make_ticket(parts=[(item, 2) for item in items])

    parts = staff_client.get(f"/tickets/{ticket.pk}").json()["parts"]

    assert [Decimal(str(part["price"])) for part in parts] == [Decimal("12.50"), Decimal("0.01"), Decimal("1234.56")]


def test_a_renamed_mechanic_and_a_repriced_part_show_at_once(staff_client, make_ticket, make_mechanic, make_item):
    mechanic, item = make_mechanic(name="Old Name"), make_item(price=Decimal("12.50"))
    ticket = make_ticket(mechanics=[mechanic], parts=[(item, 3)])
    url = f"/tickets/{ticket.pk}"
    before = staff_client.get(url).json()
    assert (before["mechanics"][0]["name"], before["parts"][0]["price"]) == ("Old Name", 12.5)

    assert staff_client.patch(f"/mechanics/{mechanic.pk}", {"name": "New Name"}, format="json").status_code == 200
    assert staff_client.patch(f"/inventory/{item.pk}", {"price": 13.75, "name": "New Part"}, format="json").status_code == 200
    after = staff_client.get(url)

    assert after.json()["mechanics"] == [{"id": mechanic.pk, "name": "New Name"}]
    assert after.json()["parts"] == [{"inventory_id": item.pk, "name": "New Part", "price": 13.75, "quantity": 3}]
    assert after.content == orm_representation(ticket.pk)


def test_changes_to_the_tickets_own_lines_show_at_once(staff_client, make_ticket, make_mechanic, make_item):
    first, second = make_mechanic(), make_mechanic()
    item = make_item()
    ticket = make_ticket(mechanics=[first])
    url = f"/tickets/{ticket.pk}"
    assert staff_client.get(url).json()["parts"] == []

    assert staff_client.put(f"{url}/assign-mechanic/{second.pk}").status_code == 200
    assert staff_client.put(f"{url}/remove-mechanic/{first.pk}").status_code == 200
    assert staff_client.post(f"{url}/inventory", {"add_inventory_items": [{"inventory_id": item.pk, "quantity": 4}]}, format="json").status_code == 200
    assert staff_client.patch(url, {"service_description": "Changed"}, format="json").status_code == 200
    body = staff_client.get(url).json()

    assert [m["id"] for m in body["mechanics"]] == [second.pk]
    assert [(p["inventory_id"], p["quantity"]) for p in body["parts"]] == [(item.pk, 4)]
    assert body["service_description"] == "Changed"


@pytest.mark.parametrize(
    "ticket_id",
    [
        pytest.param(lambda t: 0, id="zero"),
        pytest.param(lambda t: t.pk + 1000, id="missing"),
        pytest.param(lambda t: 2**63 - 1, id="largest-id"),
        pytest.param(lambda t: 2**63, id="2**63"),
        pytest.param(lambda t: 2**64, id="2**64"),
        pytest.param(lambda t: "0" * 30 + str(t.pk + 1000), id="missing-with-leading-zeros"),
    ],
)
def test_an_unknown_or_out_of_range_ticket_is_a_json_404(staff_client, make_ticket, ticket_id):
    ticket = make_ticket()

    response = staff_client.get(f"/tickets/{ticket_id(ticket)}")

    body = assert_error(response, 404)
    assert set(body) == {"error"}


def test_a_ticket_id_with_leading_zeros_names_the_ticket(staff_client, make_ticket):
    ticket = make_ticket()

    response = staff_client.get(f"/tickets/000{ticket.pk}")

    assert (response.status_code, response.json()["id"]) == (200, ticket.pk)


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/tickets/{n}"),
        ("put", "/tickets/{n}/assign-mechanic/1"),
        ("put", "/tickets/1/remove-mechanic/{n}"),
        ("put", "/tickets/{n}/update-mechanics"),
        ("post", "/tickets/{n}/inventory"),
    ],
)
def test_an_id_longer_than_python_converts_is_a_json_404(staff_client, method, path):
    """Python refuses int() on strings of over 4,300 digits; such a path is a 404, not a 500."""
    body = {"add_inventory_items": [{"inventory_id": 1, "quantity": 1}]} if path.endswith("/inventory") else {}
    response = getattr(staff_client, method)(path.format(n="9" * 4301), body, format="json")

    assert_error(response, 404)


def test_a_customer_asking_for_a_customer_id_longer_than_python_converts_is_refused(customer_client):
    response = customer_client.get("/customers/" + "9" * 4301)

    assert response.status_code in (403, 404) and set(response.json()) == {"error"}


def test_a_customer_reads_their_own_ticket_but_not_anothers(customer_client, customer, make_customer, make_ticket, make_mechanic):
    own = make_ticket(customer=customer, mechanics=[make_mechanic()])
    other = make_ticket(customer=make_customer(), vin="OTHERVIN12345", service_description="Someone else's job")

    mine = customer_client.get(f"/tickets/{own.pk}")
    theirs = customer_client.get(f"/tickets/{other.pk}")

    assert mine.status_code == 200 and mine.content == orm_representation(own.pk)
    assert_error(theirs, 403)
    assert b"OTHERVIN12345" not in theirs.content and b"Someone else" not in theirs.content


def test_ticket_detail_takes_two_queries_whatever_the_lines(staff_client, make_ticket, make_mechanic, make_item):
    ticket = make_ticket(mechanics=[make_mechanic() for _ in range(5)], parts=[(make_item(), 2) for _ in range(5)])

    with CaptureQueriesContext(connection) as captured:
        response = staff_client.get(f"/tickets/{ticket.pk}")

    assert response.status_code == 200 and len(response.json()["parts"]) == 5
    # Authentication may add its own query for the caller; the ticket with its mechanics, then its parts.
    assert len([q for q in captured.captured_queries if "tickets_" in q["sql"]]) == 2


# --- CompiledQuery ------------------------------------------------------------------------------


def test_compiled_rows_come_back_through_the_orms_converters(make_ticket, make_item):
    ticket = make_ticket(service_date=date(2026, 11, 25))
    item = make_item(price=Decimal("12.50"))
    dates = CompiledQuery(lambda pk: Ticket.objects.filter(pk=pk).values_list("service_date", "vin"), PLACEHOLDER)
    prices = CompiledQuery(lambda pk: Inventory.objects.filter(pk=pk).values_list("price", "name"), PLACEHOLDER)

    [(service_date, vin)] = dates.rows(ticket.pk)
    [(price, name)] = prices.rows(item.pk)

    assert (type(service_date), service_date, vin) == (date, date(2026, 11, 25), ticket.vin)
    assert (type(price), price, name) == (Decimal, Decimal("12.50"), item.name)


def test_queries_sharing_a_cursor_answer_as_they_do_alone(make_ticket, make_item, django_assert_num_queries):
    ticket = make_ticket(service_date=date(2026, 11, 25))
    item = make_item(price=Decimal("12.50"))
    dates = CompiledQuery(lambda pk: Ticket.objects.filter(pk=pk).values_list("service_date", "vin"), PLACEHOLDER)
    prices = CompiledQuery(lambda pk: Inventory.objects.filter(pk=pk).values_list("price", "name"), PLACEHOLDER)
    alone = (dates.rows(ticket.pk), prices.rows(item.pk), dates.rows(ticket.pk + 1000))

    with django_assert_num_queries(3), connection.cursor() as cursor:
        shared = (dates.rows(ticket.pk, cursor=cursor), prices.rows(item.pk, cursor=cursor), dates.rows(ticket.pk + 1000, cursor=cursor))

    assert shared == alone == ([(date(2026, 11, 25), ticket.vin)], [(Decimal("12.50"), item.name)], [])


def test_two_parameter_values_give_two_rows(make_ticket):
    a, b = make_ticket(vin="AAAAAAAAAAAAAAAAA"), make_ticket(vin="BBBBBBBBBBBBBBBBB")
    query = CompiledQuery(lambda pk: Ticket.objects.filter(pk=pk).values_list("id", "vin"), PLACEHOLDER)

    assert query.rows(a.pk) == [(a.pk, a.vin)]
    assert query.rows(b.pk) == [(b.pk, b.vin)]
    assert query.rows(a.pk) == [(a.pk, a.vin)]
    assert query.rows(b.pk + 1000) == []


def test_several_placeholders_each_take_their_value(make_customer, make_ticket):
    customer = make_customer()
    ticket = make_ticket(customer=customer)
    query = CompiledQuery(
        lambda pk, owner: Ticket.objects.filter(pk=pk, customer_id=owner).values_list("id"), PLACEHOLDER, PLACEHOLDER - 1
    )

    assert query.rows(ticket.pk, customer.pk) == [(ticket.pk,)]
    assert query.rows(ticket.pk, customer.pk + 1000) == []


@pytest.mark.parametrize(
    "make_queryset",
    [
        pytest.param(lambda pk: Ticket.objects.filter(pk=pk, customer_id=pk).values_list("id"), id="placeholder-twice"),
        pytest.param(lambda pk: Ticket.objects.filter(pk=1).values_list("id"), id="placeholder-absent"),
    ],
)
def test_a_placeholder_not_appearing_exactly_once_is_refused_on_first_use(db, make_queryset):
    query = CompiledQuery(make_queryset, PLACEHOLDER)  # compiling is deferred to the first use

    for _ in range(2):  # and a failed compilation is not kept
        with pytest.raises(ValueError):
            query.rows(1)


def test_rows_want_one_value_per_placeholder(db):
    query = CompiledQuery(lambda pk: Ticket.objects.filter(pk=pk).values_list("id"), PLACEHOLDER)

    with pytest.raises(ValueError):
        query.rows(1, 2)


def test_a_query_is_compiled_once(make_ticket):
    ticket = make_ticket()
    built = []

    def make_queryset(pk):
        built.append(pk)
        return Ticket.objects.filter(pk=pk).values_list("id")

    query = CompiledQuery(make_queryset, PLACEHOLDER)
    for _ in range(3):
        assert query.rows(ticket.pk) == [(ticket.pk,)]

    assert built == [PLACEHOLDER]


@pytest.mark.django_db(transaction=True)
def test_threads_share_one_compiled_query_and_keep_no_connection_alive():
    """Each thread has its own connection; a thread-per-request server must not grow the
    compiled queries, nor keep its threads' connections from being freed."""
    import gc
    import threading
    import weakref

    from django.db import connection as main_connection
    from django.db import connections

    query = CompiledQuery(lambda pk: Ticket.objects.filter(pk=pk).values_list("id"), PLACEHOLDER)
    seen = []

    def read():
        query.rows(1)
        seen.append(weakref.ref(connections["default"]))
        connections.close_all()

    threads = [threading.Thread(target=read) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    del threads
    gc.collect()

    assert len(query._compiled) == 1
    assert all(ref() is None or ref() is main_connection for ref in seen)
