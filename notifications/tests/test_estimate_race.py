"""Two answers through one approval link at the same moment (a double tap, approve racing
decline): under the ticket's row lock one is carried out, the other finds the link used."""

import pytest

from notifications import services, tokens
from notifications.tests.factories import estimate_ticket
from tests.concurrency import needs_row_locks, run_concurrently
from tickets.models import StatusChange, Ticket

pytestmark = [pytest.mark.django_db(transaction=True), needs_row_locks]


def answer(token: str, approve: bool):
    def call() -> str:
        try:
            return services.decide_estimate(token=token, approve=approve).decision
        except tokens.LinkUnusable as exc:
            return exc.reason

    return call


@pytest.mark.parametrize("second", [True, False], ids=["approve-approve", "approve-decline"])
def test_one_of_two_racing_answers_is_carried_out(second):
    ticket = estimate_ticket()
    link = services.send_estimate(ticket_id=ticket.pk, by="staff")
    token = services.estimate_url(link).rsplit("/", 1)[1]

    results = run_concurrently(answer(token, True), answer(token, second))

    decided = [r for r in results if r in ("approved", "declined")]
    assert len(decided) == 1 and results.count("used") == 1, results
    status = Ticket.objects.get(pk=ticket.pk).status
    assert status == ("approved" if decided == ["approved"] else "cancelled")
    assert StatusChange.objects.filter(ticket=ticket, from_status="estimate").count() == 1
