from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.db.models.functions import Lower

from core.text import NormalizedTextModel, normalize_email, normalize_text


class Customer(NormalizedTextModel):
    """A customer of the shop, and the account behind a customer token. Not a Django user: see
    the README's "Customers and staff" for why."""

    name = models.CharField(max_length=255)
    email = models.EmailField(max_length=255, unique=True)
    phone = models.CharField(max_length=32)
    password = models.CharField(max_length=255)

    normalized_fields = {"name": normalize_text, "phone": normalize_text, "email": normalize_email}

    # Lets DRF and Django treat a signed-in customer like an authenticated user object.
    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_active = True

    class Meta:
        ordering = ["id"]
        constraints = [
            # Emails are stored lower-case, so the plain unique index ignores case everywhere.
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="customer_email_lowercase"),
            models.CheckConstraint(condition=~models.Q(name=""), name="customer_name_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def get_username(self) -> str:
        """How a customer is named where their changes are recorded (history, audit trail), as
        Django's users name themselves with get_username()."""
        return self.email

    def set_password(self, raw_password: str) -> None:
        self.password = make_password(raw_password)

    def check_password(self, raw_password: str) -> bool:
        def upgrade(raw: str) -> None:
            self.set_password(raw)
            self.save(update_fields=["password"])

        return check_password(raw_password, self.password, setter=upgrade)
