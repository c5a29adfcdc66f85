from decimal import Decimal

import factory

from inventory.models import Inventory


class InventoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Inventory

    name = factory.Sequence(lambda n: f"Part {n}")
    price = Decimal("19.99")
