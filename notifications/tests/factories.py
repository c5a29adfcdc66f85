from decimal import Decimal

from customers.tests.factories import CustomerFactory
from inventory.models import Inventory
from inventory.tests.factories import InventoryFactory
from tickets import services
from tickets.models import Ticket
from tickets.tests.factories import TicketFactory
from vehicles.tests.factories import VehicleFactory


def brake_pads() -> Inventory:
    return Inventory.objects.filter(name="Brake pads").first() or InventoryFactory(
        name="Brake pads", price=Decimal("19.99")
    )


def estimate_ticket(*, customer=None, **fields) -> Ticket:
    """An estimate with a vehicle, a part (2 x 19.99), a labor line (1.5 h x 90.00) and a fee
    (5.00): 179.98 in all, tax 0."""
    customer = customer or CustomerFactory(name="Ann Driver", email="ann@example.com")
    vehicle = VehicleFactory(customer=customer, year=2019, make="Toyota", model="Corolla", license_plate="ABC123")
    ticket = TicketFactory(
        customer=customer,
        vehicle=vehicle,
        vin=vehicle.vin,
        service_description="Brakes squeal",
        parts=[(brake_pads(), 2)],
        **fields,
    )
    services.add_line(
        ticket_id=ticket.pk,
        kind="labor",
        description="Replace pads",
        quantity=Decimal("1.5"),
        unit_price=Decimal("90.00"),
    )
    services.add_line(
        ticket_id=ticket.pk, kind="fee", description="Shop supplies", quantity=Decimal("1"), unit_price=Decimal("5.00")
    )
    return ticket


ESTIMATE_TOTAL = Decimal("179.98")
