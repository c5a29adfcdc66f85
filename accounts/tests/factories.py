import factory
from django.contrib.auth import get_user_model

STAFF_PASSWORD = "Staff-Battery-42"


class StaffUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@shop.example")
    password = factory.django.Password(STAFF_PASSWORD)
    is_staff = True
