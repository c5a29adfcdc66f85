"""Mechanic.ticket_count is kept by database triggers; whatever writes assignments, it equals the
number of the mechanic's rows in the assignment table."""

import pytest
from django.db.models import Count

from mechanics.models import Mechanic
from tickets import services
from tickets.models import Ticket, TicketMechanic


def assert_counts_match_assignments():
    truth = dict(Mechanic.objects.annotate(n=Count("ticket_links")).values_list("id", "n"))
    stored = dict(Mechanic.objects.values_list("id", "ticket_count"))
    assert stored == truth


@pytest.fixture
def crew(make_mechanic):
    return [make_mechanic() for _ in range(4)]


def test_every_way_of_writing_assignments_keeps_the_counts(crew, make_ticket):
    a, b, c, d = crew
    first = make_ticket(mechanics=[a, b])  # bulk_create
    second = make_ticket()
    services.assign_mechanic(second.pk, a.pk)
    services.update_mechanics(second.pk, add_ids=[b.pk, c.pk], remove_ids=[a.pk])
    services.remove_mechanic(first.pk, b.pk)
    assert_counts_match_assignments()

    second.mechanics.add(d)
    second.mechanics.remove(c, d)
    first.mechanics.clear()
    assert_counts_match_assignments()

    link = TicketMechanic.objects.get(ticket=second, mechanic=b)
    link.mechanic = a
    link.save()
    TicketMechanic.objects.filter(pk=link.pk).update(mechanic=d)  # raw UPDATE, no signals
    assert_counts_match_assignments()

    Ticket.objects.filter(pk=second.pk).delete()  # cascades to its assignments
    assert_counts_match_assignments()
    assert list(Mechanic.objects.values_list("ticket_count", flat=True)) == [0, 0, 0, 0]


def test_saving_a_stale_mechanic_keeps_the_current_count(crew, make_ticket):
    stale = Mechanic.objects.get(pk=crew[0].pk)  # as an admin form loaded it, count 0
    make_ticket(mechanics=[crew[0]])
    stale.name = "Renamed"
    stale.save()
    stale.refresh_from_db()
    assert (stale.name, stale.ticket_count) == ("Renamed", 1)


def test_ranking_follows_the_counts(staff_client, crew, make_ticket):
    a, b, c, d = crew
    for _ in range(3):
        make_ticket(mechanics=[c])
    make_ticket(mechanics=[a, c])
    make_ticket(mechanics=[d])
    body = staff_client.get("/mechanics/top-3-mechanics").json()
    assert [(m["id"], m["ticket_count"]) for m in body] == [(c.pk, 4), (a.pk, 1), (d.pk, 1)]
