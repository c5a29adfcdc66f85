from django.db.models import QuerySet

from tickets import selectors as ticket_selectors
from tickets.models import Ticket
from vehicles.models import Vehicle


def vehicle_list() -> QuerySet[Vehicle]:
    return Vehicle.objects.order_by("id")


def vin_taken(*, vin: str, exclude_id: int | None = None) -> bool:
    return Vehicle.objects.filter(vin=vin.upper()).exclude(pk=exclude_id).exists()


def vehicle_history(*, vehicle_id: int) -> QuerySet[Ticket]:
    """The vehicle's tickets, newest first (by service date, then the later ticket), shaped as
    tickets.selectors.ticket_list() shapes them. Served by the (vehicle, service_date, id) index."""
    return ticket_selectors.ticket_list().filter(vehicle_id=vehicle_id).order_by("-service_date", "-id")
