from datetime import date

import factory

from customers.tests.factories import CustomerFactory
from tickets.models import Ticket, TicketInventory, TicketMechanic


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket; `mechanics=[...]` assigns mechanics and `parts=[(item, quantity), ...]` adds
    parts lines."""

    class Meta:
        model = Ticket
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory)
    vin = "1HGCM82633A004352"
    service_date = date(2026, 11, 1)
    service_description = "Oil change"

    @factory.post_generation
    def mechanics(ticket, create, mechanics, **kwargs):
        if create and mechanics:
            TicketMechanic.objects.bulk_create([TicketMechanic(ticket=ticket, mechanic=m) for m in mechanics])

    @factory.post_generation
    def parts(ticket, create, parts, **kwargs):
        if create and parts:
            TicketInventory.objects.bulk_create(
                [
                    TicketInventory(ticket=ticket, inventory=item, quantity=quantity, unit_price=item.price)
                    for item, quantity in parts
                ]
            )
