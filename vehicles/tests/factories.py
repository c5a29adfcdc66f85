import factory

from customers.tests.factories import CustomerFactory
from vehicles.models import Vehicle
from vehicles.vin import check_digit

ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def make_vin(n: int) -> str:
    """A valid VIN, different for every n."""
    body = "1HGCM826" + "_" + "".join(ALPHABET[(n // len(ALPHABET) ** i) % len(ALPHABET)] for i in range(8))
    return body[:8] + check_digit(body.replace("_", "0")) + body[9:]


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vehicle

    customer = factory.SubFactory(CustomerFactory)
    vin = factory.Sequence(make_vin)
    year = 2018
    make = "Honda"
    model = "Civic"
    license_plate = ""
