from decimal import Decimal

import factory

from mechanics.models import Mechanic


class MechanicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mechanic

    name = factory.Sequence(lambda n: f"Mechanic {n}")
    email = factory.Sequence(lambda n: f"mechanic{n}@example.com")
    phone = factory.Sequence(lambda n: f"555-02{n:02d}")
    salary = Decimal("50000.00")
