import factory

from customers.models import Customer

CUSTOMER_PASSWORD = "Correct-Horse-42"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    phone = factory.Sequence(lambda n: f"555-01{n:02d}")
    password = factory.django.Password(CUSTOMER_PASSWORD)
