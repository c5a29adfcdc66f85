"""The tokens in the links the shop emails: Django's signing for an estimate's approval link, and
Django's password-reset token generator for a customer's reset link."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from customers.models import Customer

ESTIMATE_SALT = "notifications.estimate-link"


class LinkUnusable(Exception):
    """An approval link that cannot be used (any more): `reason` is one of REASONS, `message`
    what the 410 page tells the customer."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


INVALID = LinkUnusable(
    "invalid",
    "This link is not valid. Please use the link in the shop's email as it is, or ask the shop for a new one.",
)
EXPIRED_MESSAGE = "This link has expired. Please ask the shop to send the estimate again."


@dataclass(frozen=True)
class EstimateClaims:
    link_id: int
    ticket_id: int
    total: Decimal


def estimate_token(*, link_id: int, ticket_id: int, total: Decimal) -> str:
    """A signed, timestamped token naming the link, its ticket and the total it was sent for
    (the total as text: exact)."""
    return signing.dumps({"link": link_id, "ticket": ticket_id, "total": str(total)}, salt=ESTIMATE_SALT)


def read_estimate_token(token: str) -> EstimateClaims:
    """The claims of a token estimate_token() made within ESTIMATE_LINK_DAYS, else LinkUnusable."""
    try:
        claims = signing.loads(token, salt=ESTIMATE_SALT, max_age=settings.ESTIMATE_LINK_DAYS * 86400)
    except signing.SignatureExpired:
        raise LinkUnusable("expired", EXPIRED_MESSAGE) from None
    except signing.BadSignature:
        raise INVALID from None
    try:
        return EstimateClaims(
            link_id=int(claims["link"]), ticket_id=int(claims["ticket"]), total=Decimal(claims["total"])
        )
    except (KeyError, TypeError, ValueError, InvalidOperation):  # signed by us, so never; but never a 500
        raise INVALID from None


class CustomerPasswordResetTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset tokens for customers (not Django users): a token is bound to the customer's
    password hash, so it stops working once the password changes (single use), and after
    PASSWORD_RESET_TIMEOUT seconds."""

    key_salt = "notifications.tokens.CustomerPasswordResetTokenGenerator"

    def _make_hash_value(self, user, timestamp: int) -> str:
        # Django's own adds last_login and the email field's name, which customers do not have.
        return f"{user.pk}{user.password}{timestamp}{user.email}"


reset_tokens = CustomerPasswordResetTokenGenerator()


def reset_token(customer: Customer) -> str:
    """`<customer id, base64>.<Django's token>`: one value, for one query parameter."""
    return f"{urlsafe_base64_encode(force_bytes(customer.pk))}.{reset_tokens.make_token(customer)}"


def customer_id_of_reset_token(token: str) -> int | None:
    """The customer id a reset token names, unchecked (None when it names none)."""
    uid, _, rest = str(token).partition(".")
    if not rest or len(token) > 200:
        return None
    try:
        value = force_str(urlsafe_base64_decode(uid))
    except (ValueError, UnicodeDecodeError):
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 19:
        return None
    return int(value)


def reset_token_is_valid(customer: Customer, token: str) -> bool:
    return reset_tokens.check_token(customer, str(token).partition(".")[2])
