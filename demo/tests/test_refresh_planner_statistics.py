"""seed_shop refreshes the query planner's statistics after its bulk load; this runs on whatever
database the suite runs on."""

import pytest
from django.db import connection, transaction

from customers.models import Customer
from demo.data import refresh_planner_statistics
from inventory.models import Inventory
from mechanics.models import Mechanic
from tickets.models import Ticket, TicketInventory, TicketMechanic

ALL_TABLES = [Customer, Mechanic, Inventory, Ticket, TicketMechanic, TicketInventory]


def test_refreshing_every_shop_table_runs_on_the_current_database(db, make_ticket, make_item, make_mechanic):
    make_ticket(mechanics=[make_mechanic()], parts=[(make_item(), 1)])
    refresh_planner_statistics(ALL_TABLES)
    # The connection is still usable and the data untouched.
    assert (Ticket.objects.count(), TicketMechanic.objects.count(), TicketInventory.objects.count()) == (1, 1, 1)


def test_refreshing_empty_tables_runs_too(db):
    refresh_planner_statistics(ALL_TABLES)
    assert not Ticket.objects.exists()


def test_refreshing_inside_a_transaction_never_commits_it(db):
    """MariaDB's ANALYZE TABLE commits implicitly; inside a transaction it must be skipped."""
    with pytest.raises(RuntimeError), transaction.atomic():
        Inventory.objects.create(name="Rolled back part", price="1.00")
        refresh_planner_statistics([Inventory, Ticket, TicketInventory])
        raise RuntimeError("roll back")
    assert not Inventory.objects.filter(name="Rolled back part").exists()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's statistics table")
def test_sqlite_statistics_describe_the_loaded_tables(db, make_ticket, make_item):
    for _ in range(3):
        make_ticket(parts=[(make_item(), 1)])
    refresh_planner_statistics([Ticket, TicketInventory])
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
        tables = {row[0] for row in cursor.fetchall()}
    assert {Ticket._meta.db_table, TicketInventory._meta.db_table} <= tables
