"""TicketStatusCount is kept by database triggers (tickets/migrations/0007): whatever writes the
tickets (services, transitions, the ORM's bulk writes, raw SQL, the demo data), each status's
count equals its number of tickets. GET /tickets reads its X-Total-Count from these counts when it
is filtered by status at most, and counts the matches otherwise."""

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.db import DataError, IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Case, Count, Value, When
from django.test.utils import CaptureQueriesContext

from core.caching import bump
from demo.data import flush_shop_data
from tickets import selectors, services, workflow
from tickets.models import Status, Ticket, TicketStatusCount
from tickets.tests.helpers import TICKET_PAGE_QUERIES

pytestmark = pytest.mark.django_db
VIN = "1HGCM82633A004352"


def real_counts() -> dict[str, int]:
    return dict(Ticket.objects.order_by().values_list("status").annotate(n=Count("*")))


def assert_counts_exact() -> dict[str, int]:
    """The stored counts (statuses without tickets left out) equal the tickets' own."""
    stored = {status: n for status, n in TicketStatusCount.objects.values_list("status", "ticket_count") if n}
    assert stored == real_counts()
    return stored


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def new_tickets(customer, *statuses: str) -> list[Ticket]:
    return Ticket.objects.bulk_create(
        [
            Ticket(
                customer=customer,
                vin=VIN,
                service_date=date(2026, 11, 1),
                service_description="Oil change",
                status=status,
            )
            for status in statuses
        ]
    )


# --- the counts stay exact -----------------------------------------------------------------------


def test_services_and_transitions_keep_the_counts(customer):
    created = [
        services.ticket_create(
            customer_id=customer.pk, vin=VIN, service_date=date(2026, 11, 1), service_description="Brakes"
        )
        for _ in range(4)
    ]
    assert assert_counts_exact() == {Status.ESTIMATE: 4}
    first, second, third, _ = (ticket.pk for ticket in created)
    for ticket_id, to in [
        (first, Status.APPROVED),
        (first, Status.IN_PROGRESS),
        (first, Status.COMPLETED),
        (first, Status.IN_PROGRESS),  # back: a move to a status that sorts before the old one
        (second, Status.APPROVED),
        (second, Status.ESTIMATE),
        (second, Status.CANCELLED),
        (third, Status.APPROVED),
    ]:
        workflow.transition(ticket_id=ticket_id, to=to, by="staff")
    assert assert_counts_exact() == {Status.IN_PROGRESS: 1, Status.CANCELLED: 1, Status.APPROVED: 1, Status.ESTIMATE: 1}


def test_a_refused_transition_leaves_the_counts(customer):
    ticket = services.ticket_create(
        customer_id=customer.pk, vin=VIN, service_date=date(2026, 11, 1), service_description="Brakes"
    )
    with pytest.raises(workflow.TransitionRefused):
        workflow.transition(ticket_id=ticket.pk, to=Status.CLOSED, by="staff")
    assert assert_counts_exact() == {Status.ESTIMATE: 1}


def test_bulk_inserts_updates_and_deletes_keep_the_counts(customer):
    tickets = new_tickets(customer, *[Status.CLOSED] * 5, *[Status.IN_PROGRESS] * 3, Status.ESTIMATE)
    assert assert_counts_exact() == {Status.CLOSED: 5, Status.IN_PROGRESS: 3, Status.ESTIMATE: 1}
    Ticket.objects.filter(status=Status.IN_PROGRESS).update(status=Status.COMPLETED)
    Ticket.objects.filter(status=Status.CLOSED).update(status=Status.CLOSED)  # to the status it has
    Ticket.objects.filter(status=Status.CLOSED).update(service_description="Checked")  # another column
    assert assert_counts_exact() == {Status.CLOSED: 5, Status.COMPLETED: 3, Status.ESTIMATE: 1}
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[:2]]).delete()
    tickets[-1].delete()
    assert assert_counts_exact() == {Status.CLOSED: 3, Status.COMPLETED: 3}
    # One statement moving tickets out of two statuses, into one of them and into another.
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[2:4] + tickets[5:7]]).update(
        status=Case(When(status=Status.CLOSED, then=Value(Status.APPROVED)), default=Value(Status.CLOSED))
    )
    assert assert_counts_exact() == {Status.CLOSED: 3, Status.COMPLETED: 1, Status.APPROVED: 2}


def test_saving_a_ticket_keeps_the_counts(customer):
    ticket = new_tickets(customer, Status.ESTIMATE)[0]
    ticket.status = Status.APPROVED
    ticket.save()  # the ORM's UPDATE sets every column
    ticket.mileage_in = 100
    ticket.save()
    assert assert_counts_exact() == {Status.APPROVED: 1}


def test_raw_sql_keeps_the_counts(customer):
    tickets = new_tickets(customer, Status.ESTIMATE, Status.ESTIMATE, Status.COMPLETED)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table(Ticket)} (vin, service_date, service_description, customer_id, status) "
            "VALUES (%s, %s, %s, %s, %s), (%s, %s, %s, %s, %s)",
            [VIN, date(2026, 1, 1), "Raw", customer.pk, Status.INVOICED] * 2,
        )
        cursor.execute(f"UPDATE {table(Ticket)} SET status = %s WHERE id = %s", [Status.CLOSED, tickets[0].pk])
        cursor.execute(f"DELETE FROM {table(Ticket)} WHERE id = %s", [tickets[2].pk])
    assert assert_counts_exact() == {Status.ESTIMATE: 1, Status.CLOSED: 1, Status.INVOICED: 2}


def test_a_rolled_back_write_leaves_the_counts(customer):
    new_tickets(customer, Status.ESTIMATE)
    with pytest.raises(RuntimeError), transaction.atomic():
        new_tickets(customer, Status.ESTIMATE, Status.CLOSED)
        Ticket.objects.update(status=Status.CANCELLED)
        raise RuntimeError("roll back")
    assert assert_counts_exact() == {Status.ESTIMATE: 1}


def test_no_count_goes_below_zero(customer):
    new_tickets(customer, Status.ESTIMATE)
    Ticket.objects.all().delete()
    assert set(TicketStatusCount.objects.values_list("ticket_count", flat=True)) == {0}
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():  # the CHECK, or MariaDB's unsigned column
        TicketStatusCount.objects.filter(status=Status.ESTIMATE).update(ticket_count=-1)


def test_seeding_and_flushing_the_shop_keep_the_counts():
    call_command(
        "seed_shop", "--customers", "10", "--mechanics", "3", "--tickets", "120", "--parts", "5", "--seed", "3"
    )
    counts = assert_counts_exact()
    assert sum(counts.values()) == 120 and len(counts) >= 5  # the demo data has tickets in most statuses
    flush_shop_data()  # raw DELETE of every ticket
    assert not Ticket.objects.exists()
    assert assert_counts_exact() == {}


def test_recount_repairs_counts_the_triggers_could_not_see(customer):
    new_tickets(customer, Status.CLOSED, Status.CLOSED, Status.ESTIMATE)
    # As after PostgreSQL's TRUNCATE or a load with the triggers off: the counts are wrong.
    TicketStatusCount.objects.filter(status=Status.CLOSED).update(ticket_count=7)
    TicketStatusCount.objects.filter(status=Status.ESTIMATE).delete()
    out = io.StringIO()
    call_command("recount_ticket_statuses", stdout=out)
    assert assert_counts_exact() == {Status.CLOSED: 2, Status.ESTIMATE: 1}
    assert out.getvalue() == "Recounted 3 tickets: closed 2, estimate 1.\n"
    new_tickets(customer, Status.ESTIMATE)  # the triggers carry on from the recounted rows
    assert assert_counts_exact() == {Status.CLOSED: 2, Status.ESTIMATE: 2}


# --- the selector --------------------------------------------------------------------------------


def test_ticket_count_reads_one_status_or_all(customer, django_assert_num_queries):
    new_tickets(customer, Status.CLOSED, Status.CLOSED, Status.APPROVED)
    with django_assert_num_queries(1):
        assert selectors.ticket_count() == 3
    assert selectors.ticket_count(status=Status.CLOSED) == 2
    assert selectors.ticket_count(status=Status.INVOICED) == 0  # no row yet
    Ticket.objects.all().delete()
    assert selectors.ticket_count() == 0  # rows of zero


# --- the migration -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_counts_the_tickets_there_are_and_its_reverse_drops_the_triggers(customer):
    executor = MigrationExecutor(connection)
    # Every app's latest migration: going back unapplies the apps that depend on tickets too.
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([("tickets", "0006_ticket_filter_indexes")])
        with connection.cursor() as cursor:  # without the triggers and the counts table
            cursor.execute(
                f"INSERT INTO {table(Ticket)} (vin, service_date, service_description, customer_id, status) "
                "VALUES (%s, %s, %s, %s, %s), (%s, %s, %s, %s, %s), (%s, %s, %s, %s, %s)",
                [
                    *[VIN, date(2026, 1, 1), "Old", customer.pk, Status.CLOSED] * 2,
                    VIN,
                    date(2026, 1, 1),
                    "Old",
                    customer.pk,
                    Status.ESTIMATE,
                ],
            )
            cursor.execute(
                f"UPDATE {table(Ticket)} SET status = %s WHERE status = %s", [Status.APPROVED, Status.ESTIMATE]
            )
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
        assert assert_counts_exact() == {Status.CLOSED: 2, Status.APPROVED: 1}
        new_tickets(customer, Status.CLOSED)
        assert assert_counts_exact() == {Status.CLOSED: 3, Status.APPROVED: 1}
    finally:
        MigrationExecutor(connection).migrate(latest)


# --- X-Total-Count -------------------------------------------------------------------------------


@pytest.fixture
def listed(customer, make_customer, throttling_off):
    """Tickets in every status but invoiced: 0 to 5 of each, two customers."""
    other = make_customer()
    statuses = [s for s in Status.values if s != Status.INVOICED]
    new_tickets(customer, *[s for n, s in enumerate(statuses) for _ in range(n)])
    new_tickets(other, Status.CLOSED, Status.ESTIMATE)
    return {"customer": customer, "other": other}


def counted_tickets(queries) -> bool:
    """Whether one of the queries counted rows of the tickets table."""
    return any("COUNT(" in q["sql"].upper() and table(Ticket) in q["sql"] for q in queries)


def read_counts(queries) -> bool:
    return any(TicketStatusCount._meta.db_table in q["sql"] for q in queries)


@pytest.mark.parametrize("status", [None, *Status.values])
def test_x_total_count_is_the_real_count_read_from_the_counts(staff_client, listed, status, django_assert_num_queries):
    query = f"status={status}&" if status else ""
    expected = Ticket.objects.filter(**({"status": status} if status else {})).count()
    staff_client.get("/tickets/99999999")  # the caller's account is now cached
    bump("tickets")
    with django_assert_num_queries(TICKET_PAGE_QUERIES if expected else 1) as queries:  # no page past the total
        response = staff_client.get(f"/tickets?{query}page=1&per_page=2")
    assert response.status_code == 200 and not response.has_header("Age")
    assert response["X-Total-Count"] == str(expected)
    assert len(response.json()) == min(2, expected)
    assert read_counts(queries.captured_queries) and not counted_tickets(queries.captured_queries)


@pytest.mark.parametrize(
    "query",
    [
        "status=closed&ordering=-service_date",
        "status=closed&ordering=status,-id",
        "status=closed&customer_id=&vin=&search=&service_date_after=",  # empty values mean "not given"
        "status=closed&unknown=1&customer=5&format_version=2",  # parameters that are not filters
        "status=closed&search=%20%20",  # a search of no words
    ],
)
def test_ordering_empty_filters_and_unknown_parameters_keep_the_counts(staff_client, listed, query):
    # A wrong stored count shows which source answered.
    TicketStatusCount.objects.filter(status=Status.CLOSED).update(ticket_count=999)
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(f"/tickets?{query}&page=1&per_page=2")
    assert response.status_code == 200, response.content
    assert response["X-Total-Count"] == "999" and not counted_tickets(queries.captured_queries)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("status=closed&customer_id={c}", 4),
        ("customer_id={c}", 15),
        ("status=closed&search=oil", 5),
        ("search=oil", 17),
        ("status=closed&vin=1hgcm82633a004352", 5),
        ("status=closed&service_date_after=2026-01-01", 5),
        ("status=closed&service_date_before=2025-01-01", 0),
        ("mechanic_id=1", 0),
    ],
)
def test_any_other_filter_or_a_search_counts_the_matches(
    staff_client, listed, query, expected, django_assert_num_queries
):
    TicketStatusCount.objects.update(ticket_count=999)
    staff_client.get("/tickets/99999999")  # the caller's account is now cached
    bump("tickets")
    with django_assert_num_queries(TICKET_PAGE_QUERIES if expected else 1) as queries:
        response = staff_client.get(f"/tickets?{query.format(c=listed['customer'].pk)}&page=1&per_page=2")
    assert response.status_code == 200, response.content
    assert response["X-Total-Count"] == str(expected)
    assert counted_tickets(queries.captured_queries) and not read_counts(queries.captured_queries)


def test_my_tickets_counts_the_callers_own_tickets(client_for, listed):
    TicketStatusCount.objects.update(ticket_count=999)
    client = client_for(listed["other"])
    for query, expected in (("", "2"), ("status=closed&", "1"), ("status=invoiced&", "0")):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/tickets/my-tickets?{query}page=1&per_page=1")
        assert response["X-Total-Count"] == expected
        assert not read_counts(queries.captured_queries)


def test_a_page_past_the_end_is_empty_with_the_total(staff_client, listed):
    response = staff_client.get("/tickets?status=closed&page=4&per_page=2")
    assert response.json() == [] and response["X-Total-Count"] == "5"
    assert response["Link"].endswith('/tickets?page=3&per_page=2&status=closed>; rel="last"')


def test_the_total_follows_transitions(staff_client, listed):
    ticket = Ticket.objects.filter(status=Status.ESTIMATE).first()
    before = int(staff_client.get("/tickets?status=approved&page=1&per_page=1")["X-Total-Count"])
    workflow.transition(ticket_id=ticket.pk, to=Status.APPROVED, by="staff")  # also makes the cached list stale
    after = staff_client.get("/tickets?status=approved&page=1&per_page=1")
    assert int(after["X-Total-Count"]) == before + 1 == Ticket.objects.filter(status=Status.APPROVED).count()
