from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.hashers import make_password

from customers.models import Customer, normalize_email


class CustomerBackend(BaseBackend):
    """Lets Django's `authenticate(email=..., password=...)` sign customers in, next to the
    stock ModelBackend that signs staff in by username. Customers are not Django users: this
    backend never gives them a session, so they cannot reach the admin."""

    def authenticate(self, request, email=None, password=None, **kwargs):
        if email is None or password is None:
            return None
        customer = Customer.objects.filter(email=normalize_email(email)).first()
        if customer is None:
            make_password(password)  # cost what a real check costs, so timing tells nothing
            return None
        return customer if customer.check_password(password) else None

    def get_user(self, user_id):
        return None
