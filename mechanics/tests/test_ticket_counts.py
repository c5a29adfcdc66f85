"""Mechanic.ticket_count is kept by database triggers (tickets/migrations/0002): whatever writes
the assignment table (services, the ORM, bulk inserts, raw SQL, cascades), each mechanic's count
equals their number of rows in it."""

import pytest
from django.db import connection
from django.db.models import Count

from demo.data import flush_shop_data
from mechanics.models import Mechanic
from tickets import services
from tickets.models import Ticket, TicketMechanic


def assert_counts_match_assignments() -> dict[int, int]:
    truth = dict(Mechanic.objects.annotate(n=Count("ticket_links")).values_list("id", "n"))
    stored = dict(Mechanic.objects.values_list("id", "ticket_count"))
    assert stored == truth
    return stored


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@pytest.fixture
def crew(make_mechanic):
    return [make_mechanic() for _ in range(4)]


def test_services_keep_the_counts(crew, make_ticket):
    a, b, c, d = crew
    first, second = make_ticket(mechanics=[a, b]), make_ticket()
    services.assign_mechanic(ticket_id=second.pk, mechanic_id=a.pk)
    services.assign_mechanic(ticket_id=second.pk, mechanic_id=a.pk)  # already assigned: no change
    services.update_mechanics(ticket_id=second.pk, add_ids=[b.pk, c.pk], remove_ids=[a.pk])
    services.remove_mechanic(ticket_id=first.pk, mechanic_id=b.pk)
    assert assert_counts_match_assignments() == {a.pk: 1, b.pk: 1, c.pk: 1, d.pk: 0}


def test_bulk_inserts_keep_the_counts(crew, make_ticket):
    a, b, c, d = crew
    tickets = [make_ticket() for _ in range(30)]
    TicketMechanic.objects.bulk_create(
        [TicketMechanic(ticket=t, mechanic=m) for i, t in enumerate(tickets) for m in (a, b, c)[: i % 3 + 1]]
    )
    assert assert_counts_match_assignments() == {a.pk: 30, b.pk: 20, c.pk: 10, d.pk: 0}


def test_related_manager_writes_keep_the_counts(crew, make_ticket):
    a, b, c, d = crew
    first, second = make_ticket(mechanics=[a, b]), make_ticket(mechanics=[c])
    second.mechanics.add(a, d)
    second.mechanics.remove(c, d)
    first.mechanics.clear()
    second.mechanics.set([b, c])
    assert assert_counts_match_assignments() == {a.pk: 0, b.pk: 1, c.pk: 1, d.pk: 0}


def test_moving_an_assignment_to_another_mechanic_keeps_the_counts(crew, make_ticket):
    a, b, c, d = crew
    ticket = make_ticket(mechanics=[a])
    link = TicketMechanic.objects.get(ticket=ticket)
    link.mechanic = b
    link.save()  # the ORM's UPDATE sets every column
    assert assert_counts_match_assignments() == {a.pk: 0, b.pk: 1, c.pk: 0, d.pk: 0}
    TicketMechanic.objects.filter(pk=link.pk).update(mechanic=c)  # an UPDATE without signals
    assert assert_counts_match_assignments() == {a.pk: 0, b.pk: 0, c.pk: 1, d.pk: 0}
    TicketMechanic.objects.filter(pk=link.pk).update(mechanic=c)  # to the mechanic it already has
    TicketMechanic.objects.filter(pk=link.pk).update(ticket=make_ticket())  # another column only
    assert assert_counts_match_assignments() == {a.pk: 0, b.pk: 0, c.pk: 1, d.pk: 0}


def test_deletes_keep_the_counts(crew, make_ticket):
    a, b, c, d = crew
    tickets = [make_ticket(mechanics=[a, b, c]) for _ in range(5)]
    TicketMechanic.objects.filter(mechanic=a, ticket__in=tickets[:3]).delete()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table(TicketMechanic)} WHERE mechanic_id = %s", [b.pk])
    assert assert_counts_match_assignments() == {a.pk: 2, b.pk: 0, c.pk: 5, d.pk: 0}


def test_deleting_tickets_cascades_to_the_counts(crew, make_ticket):
    a, b, c, d = crew
    first = make_ticket(mechanics=[a, b])
    others = [make_ticket(mechanics=[a, c]) for _ in range(4)]
    first.delete()  # one ticket, through the ORM's cascade
    assert assert_counts_match_assignments() == {a.pk: 4, b.pk: 0, c.pk: 4, d.pk: 0}
    Ticket.objects.filter(pk__in=[t.pk for t in others[:3]]).delete()  # a bulk delete
    assert assert_counts_match_assignments() == {a.pk: 1, b.pk: 0, c.pk: 1, d.pk: 0}


def test_flushing_the_shop_data_brings_every_count_back_to_zero(crew, make_ticket):
    a, b, _, _ = crew
    for _ in range(3):
        make_ticket(mechanics=[a, b])
    counts = {m.pk: m.ticket_count for m in Mechanic.objects.all()}
    assert counts[a.pk] == 3
    with connection.cursor() as cursor:  # as flush_shop_data does, before it deletes the mechanics
        cursor.execute(f"DELETE FROM {table(TicketMechanic)}")
    assert set(assert_counts_match_assignments().values()) == {0}
    flush_shop_data()
    assert not Mechanic.objects.exists()


def test_a_rolled_back_assignment_leaves_the_count(crew, make_ticket):
    from django.db import transaction

    a = crew[0]
    ticket = make_ticket()
    with pytest.raises(RuntimeError), transaction.atomic():
        TicketMechanic.objects.create(ticket=ticket, mechanic=a)
        raise RuntimeError("roll back")
    assert assert_counts_match_assignments()[a.pk] == 0


def test_saving_a_stale_mechanic_keeps_the_current_count(crew, make_ticket):
    stale = Mechanic.objects.get(pk=crew[0].pk)  # as an admin form loaded it: count 0
    make_ticket(mechanics=[crew[0]])
    stale.name = "Renamed"
    stale.save()
    stale.refresh_from_db()
    assert (stale.name, stale.ticket_count) == ("Renamed", 1)


def test_the_ranking_follows_the_counts(staff_client, crew, make_ticket):
    a, b, c, d = crew
    for _ in range(3):
        make_ticket(mechanics=[c])
    make_ticket(mechanics=[a, c])
    make_ticket(mechanics=[d])
    body = staff_client.get("/mechanics/top-3-mechanics").json()
    assert [(m["id"], m["ticket_count"]) for m in body] == [(c.pk, 4), (a.pk, 1), (d.pk, 1)]
