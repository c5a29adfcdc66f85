"""The shop's TIME_ZONE and the API's timestamps: the API writes every timestamp in UTC (API.md:
`"at": "<ISO 8601 UTC>"`) whatever the shop's zone, which is the admin's clock and the calendar
of reports and documents."""

from datetime import UTC, datetime

import pytest
from django.http import HttpResponse
from django.utils import timezone

from core.middleware import UtcApiMiddleware
from tickets import services, workflow
from tickets.models import Payment, StatusChange, TicketLine

AT = datetime(2026, 11, 1, 3, 30, tzinfo=UTC)  # 22:30 on October 31st in Chicago


@pytest.fixture
def chicago(settings):
    settings.TIME_ZONE = "America/Chicago"


def test_history_and_payments_are_written_in_utc_whatever_the_shops_zone(chicago, staff_client, make_ticket):
    ticket = make_ticket()
    TicketLine.objects.create(ticket=ticket, kind="fee", description="Inspection", quantity=1, unit_price=100)
    for to in ("approved", "in_progress", "completed", "invoiced"):
        workflow.transition(ticket_id=ticket.pk, to=to, by="staff")
    services.add_payment(ticket_id=ticket.pk, amount=40, method="cash")
    StatusChange.objects.filter(ticket=ticket).update(at=AT)
    Payment.objects.filter(ticket=ticket).update(at=AT)

    history = staff_client.get(f"/tickets/{ticket.pk}/history").json()
    payments = staff_client.get(f"/tickets/{ticket.pk}/payments").json()

    assert {entry["at"] for entry in history} == {"2026-11-01T03:30:00Z"}
    assert payments[0]["at"] == "2026-11-01T03:30:00Z"


@pytest.mark.parametrize(("path", "zone"), [("/admin/tickets/ticket/", "America/Chicago"), ("/tickets/1", "UTC")])
def test_the_admin_runs_on_the_shops_clock_and_the_api_on_utc(chicago, rf, path, zone):
    seen = []

    def view(request):
        seen.append(str(timezone.get_current_timezone()))
        return HttpResponse()

    UtcApiMiddleware(view)(rf.get(path))

    assert seen == [zone]
