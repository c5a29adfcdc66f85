"""The JWTs of both kinds of caller: SimpleJWT's RefreshToken and AccessToken with a `role` claim.

Staff tokens are SimpleJWT's own (`user_id` names the Django user). Customer tokens name a
Customer in `customer_id` and carry no `user_id`, so nothing that reads `user_id` can mistake a
customer for the staff user with the same number. Both carry SimpleJWT's revocation claim, a
fingerprint of the account's password hash (CHECK_REVOKE_TOKEN): a new password ends them.
"""

from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from customers.models import Customer

ROLE_CLAIM = "role"
CUSTOMER_ROLE = "customer"
STAFF_ROLE = "staff"
CUSTOMER_ID_CLAIM = "customer_id"


def password_fingerprint(password_hash: str) -> str:
    """What a token's revocation claim holds: SimpleJWT's digest of the password hash."""
    return get_md5_hash_password(password_hash)


def tokens_for_staff(user) -> RefreshToken:
    refresh = RefreshToken.for_user(user)  # user_id, the revocation claim, an outstanding-token row
    refresh[ROLE_CLAIM] = STAFF_ROLE
    return refresh


def tokens_for_customer(customer: Customer) -> RefreshToken:
    refresh = RefreshToken()
    refresh[ROLE_CLAIM] = CUSTOMER_ROLE
    refresh[CUSTOMER_ID_CLAIM] = str(customer.pk)
    refresh[api_settings.REVOKE_TOKEN_CLAIM] = password_fingerprint(customer.password)
    refresh.outstand()  # listed like a staff token's, so it can be blacklisted
    return refresh
