"""The sign-in limits (core/ratelimits.py) as a client meets them, on both login endpoints and
on a customer's current_password check:

- per client address, every attempt (`login`, 10/minute), successful or not;
- per account from one address, failures (`login`, 10/minute);
- per account over all addresses, failures (`login_account`, 100/hour), which never applies on
  an address the account has signed in from before: other people's failures must not lock a
  customer out of their own account from their own address (API.md "Roles and tokens");
- IPv6 clients are counted per /64 network, an IPv4-mapped address as the IPv4 address;
- `clear_sign_in_failures` (for a completed password reset) clears the account's failure counts;
- when the limits' store fails, sign-in fails closed (503 with Retry-After).

django-ratelimit's clock is frozen (and moved by the tests), so no window ends mid-test. Its
windows are jittered per counted value: a test that counts one account over an hour starts the
clock just after that account's hourly window began (`just_after_window_start`).
"""

import zlib

import pytest
from django.core.cache import caches
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from conftest import CUSTOMER_PASSWORD, STAFF_PASSWORD, access_token_for, client_with_token
from core import ratelimits
from core.ratelimits import clear_sign_in_failures, client_address, forget_known_addresses
from customers.models import Customer

MINUTE, HOUR = 60, 3600
ADDRESS = "203.0.113.1"
HOME = "192.0.2.10"  # where the victim signs in from
NEVER_SEEN = "198.51.100.250"  # where nobody signed in before
WRONG = "Wrong-Guess-1"
VICTIM = "victim@example.com"
# An hour boundary (and so a minute boundary too), a little in the future.
BASE = 1_900_000_000 - 1_900_000_000 % HOUR
# Reachable by a customer's token and makes no query of its own beyond the caller's.
CUSTOMER_PROBE = "/tickets/my-tickets"


class FrozenClock:
    """Stands in for the `time` module inside django-ratelimit: windows move only when told."""

    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def login_clock(monkeypatch) -> FrozenClock:
    clock = FrozenClock(BASE + 20.0)
    monkeypatch.setattr("django_ratelimit.core.time", clock)
    return clock


def just_after_window_start(value: str, period: int) -> float:
    """A moment one second into django-ratelimit's window of `period` seconds for the counted
    `value` (a window ends where the time modulo the period is crc32(value) modulo the period)."""
    return BASE + zlib.crc32(value.encode()) % period + 1


def customer_login(client, email: str, password: str = CUSTOMER_PASSWORD, address: str = ADDRESS):
    return client.post("/customers/login", {"email": email, "password": password}, REMOTE_ADDR=address)


def staff_login(client, username: str, password: str = STAFF_PASSWORD, address: str = ADDRESS):
    return client.post("/auth/login", {"username": username, "password": password}, REMOTE_ADDR=address)


def assert_rate_limited(response, window: int = MINUTE) -> None:
    assert response.status_code == 429, response.content
    assert 1 <= int(response["Retry-After"]) <= window
    assert set(response.json()) == {"error"}


def assert_account_limited(response) -> None:
    """429 from the hourly per-account limit: its wait is longer than any minute window's."""
    assert_rate_limited(response, window=HOUR)
    assert int(response["Retry-After"]) > MINUTE, response["Retry-After"]


def login_account_rate(settings, rate: str) -> None:
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "login_account": rate}


# --- per client address ---------------------------------------------------------------------------


def test_eleventh_attempt_from_one_address_is_429_even_with_the_right_password(api_client, customer, login_clock):
    for _ in range(10):
        assert customer_login(api_client, customer.email, WRONG).status_code == 401

    assert_rate_limited(customer_login(api_client, customer.email))


def test_the_eleventh_attempt_from_one_address_within_a_minute_is_429_whatever_the_accounts(
    api_client, make_customer, make_staff, login_clock
):
    """Successful sign-ins of other accounts count per address too: one machine gets ten tries a
    minute, however it spreads them."""
    customers = [make_customer() for _ in range(5)]
    make_staff(username="staff")
    statuses = [customer_login(api_client, c.email).status_code for c in customers]
    statuses.append(staff_login(api_client, "staff").status_code)
    statuses += [customer_login(api_client, f"guess{n}@example.com", WRONG).status_code for n in range(2)]
    statuses += [staff_login(api_client, f"guess{n}", WRONG).status_code for n in range(2)]
    assert statuses == [200] * 6 + [401] * 4

    another = make_customer()
    assert_rate_limited(customer_login(api_client, another.email))
    assert_rate_limited(staff_login(api_client, "staff"))
    # Another address has its own ten.
    assert customer_login(api_client, another.email, address="198.51.100.3").status_code == 200


def test_the_address_limit_counts_attempts_on_every_account(api_client, customer, staff_user, login_clock):
    for n in range(5):
        assert customer_login(api_client, f"guess{n}@example.com", WRONG).status_code == 401
        assert staff_login(api_client, f"guess{n}", WRONG).status_code == 401

    assert_rate_limited(staff_login(api_client, "staff"))
    assert_rate_limited(customer_login(api_client, customer.email))


def test_the_limit_lifts_when_its_minute_is_over(api_client, customer, login_clock):
    for _ in range(11):
        customer_login(api_client, customer.email, WRONG)
    assert_rate_limited(customer_login(api_client, customer.email))

    login_clock.advance(MINUTE)

    assert customer_login(api_client, customer.email).status_code == 200


def test_forwarded_for_does_not_reset_the_address_limit_without_a_proxy(api_client, customer, login_clock):
    for n in range(10):
        api_client.post(
            "/customers/login",
            {"email": f"guess{n}@example.com", "password": "x"},
            REMOTE_ADDR=ADDRESS,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )

    assert_rate_limited(customer_login(api_client, customer.email))


# --- IPv6: one /64 is one client ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("remote_addr", "counted_as"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2:0:0:0:1", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("::1", "::/64"),
    ],
)
def test_client_address_counts_ipv6_per_64_network(remote_addr, counted_as):
    request = Request(APIRequestFactory().post("/customers/login", REMOTE_ADDR=remote_addr))

    assert client_address(request) == counted_as


IN_ONE_64 = [f"2001:db8:1:2:{n:x}::{n + 1:x}" for n in range(10)]


@pytest.mark.parametrize(
    ("tries_from", "then_from", "shared"),
    [
        pytest.param(IN_ONE_64, "2001:db8:1:2:ffff:ffff:ffff:ffff", True, id="one-64"),
        pytest.param(IN_ONE_64, "2001:db8:1:3::1", False, id="neighbouring-64"),
        pytest.param(["192.0.2.7"] * 10, "::ffff:192.0.2.7", True, id="ipv4-then-mapped"),
        pytest.param(["::ffff:192.0.2.7"] * 10, "192.0.2.7", True, id="mapped-then-ipv4"),
        pytest.param(["192.0.2.7"] * 10, "::ffff:192.0.2.8", False, id="another-mapped-ipv4"),
    ],
)
def test_ipv6_addresses_share_the_address_limit_within_one_64(
    api_client, customer, login_clock, tries_from, then_from, shared
):
    for n, address in enumerate(tries_from):
        assert customer_login(api_client, f"guess{n}@example.com", WRONG, address=address).status_code == 401

    response = customer_login(api_client, customer.email, address=then_from)

    if shared:
        assert_rate_limited(response)
    else:
        assert response.status_code == 200


def test_an_address_signed_in_from_is_known_across_its_64(api_client, make_customer, login_clock, settings):
    """IPv6 privacy addresses change within the subscriber's /64: the owner's network stays theirs."""
    login_account_rate(settings, "3/hour")
    login_clock.now = just_after_window_start(VICTIM, HOUR)
    make_customer(email=VICTIM)
    assert customer_login(api_client, VICTIM, address="2001:db8:5:6::1").status_code == 200
    for n in range(3):
        assert customer_login(api_client, VICTIM, WRONG, address=f"198.51.100.{n}").status_code == 401

    assert customer_login(api_client, VICTIM, address="2001:db8:5:6:a:b:c:d").status_code == 200
    assert_account_limited(customer_login(api_client, VICTIM, address="2001:db8:5:7::1"))


def test_a_password_change_forgets_the_addresses_signed_in_from(api_client, make_customer, login_clock, settings):
    """Someone who once signed in with the old password keeps no exemption from the per-account
    limit on their address once the password changes."""
    login_account_rate(settings, "3/hour")
    login_clock.now = just_after_window_start(VICTIM, HOUR)
    victim = make_customer(email=VICTIM)
    assert customer_login(api_client, VICTIM, address=HOME).status_code == 200
    victim.set_password("A-New-Password-42")
    victim.save()
    for n in range(3):
        assert customer_login(api_client, VICTIM, WRONG, address=f"198.51.100.{n}").status_code == 401

    assert_account_limited(customer_login(api_client, VICTIM, "A-New-Password-42", address=HOME))


def test_guesses_spread_over_one_64_count_as_one_address_against_the_account(
    api_client, make_customer, login_clock, settings
):
    """An attacker holding a /64 (2^64 addresses) gets the tries of one address against an
    account, not one address's tries per address."""
    make_customer(email=VICTIM)
    for n, address in enumerate(IN_ONE_64):
        assert customer_login(api_client, VICTIM, WRONG, address=address).status_code == 401, n

    assert_rate_limited(customer_login(api_client, VICTIM, address="2001:db8:1:2:abcd::1"))
    assert customer_login(api_client, VICTIM, address="2001:db8:1:3::1").status_code == 200


# --- per account ----------------------------------------------------------------------------------


def test_other_peoples_failures_from_one_address_do_not_lock_the_owner_out(api_client, make_customer, login_clock):
    victim = make_customer()
    for _ in range(10):
        assert customer_login(api_client, victim.email, WRONG, address="198.51.100.66").status_code == 401
    assert_rate_limited(customer_login(api_client, victim.email, address="198.51.100.66"))

    # Ten failures are far from the per-account budget: any other address still works.
    assert customer_login(api_client, victim.email, address=HOME).status_code == 200


def test_a_distributed_attack_does_not_lock_the_owner_out_where_they_signed_in_before(
    api_client, make_customer, login_clock
):
    login_clock.now = just_after_window_start(VICTIM, HOUR)
    make_customer(email=VICTIM)
    assert customer_login(api_client, VICTIM, address=HOME).status_code == 200

    for n in range(10):  # ten addresses, each at its full rate: 100 failures
        statuses = [customer_login(api_client, VICTIM, WRONG, address=f"198.51.100.{n}").status_code for _ in range(10)]
        assert statuses == [401] * 10, n

    assert customer_login(api_client, VICTIM, address=HOME).status_code == 200
    # Anywhere else the account is closed for the rest of the hour, the right password included.
    assert_account_limited(customer_login(api_client, VICTIM, address=NEVER_SEEN))


def test_one_address_guessing_at_its_full_rate_for_ten_minutes_does_not_lock_the_owner_out(
    api_client, make_customer, login_clock
):
    login_clock.now = just_after_window_start(VICTIM, HOUR)
    make_customer(email=VICTIM)
    attacker = "198.51.100.66"
    assert customer_login(api_client, VICTIM, address=HOME).status_code == 200

    for minute in range(10):
        statuses = [customer_login(api_client, VICTIM, WRONG, address=attacker).status_code for _ in range(10)]
        assert statuses == [401] * 10, minute
        eleventh = customer_login(api_client, VICTIM, WRONG, address=attacker)
        # Refused by the address's minute, and in the tenth minute by the account's hour too.
        assert_rate_limited(eleventh, window=MINUTE if minute < 9 else HOUR)
        login_clock.advance(MINUTE)

    assert customer_login(api_client, VICTIM, address=HOME).status_code == 200
    # 100 failures this hour: the attacker's next minute brings no new tries.
    assert_account_limited(customer_login(api_client, VICTIM, WRONG, address=attacker))
    assert_account_limited(customer_login(api_client, VICTIM, address=NEVER_SEEN))


def test_successful_sign_ins_do_not_count_toward_the_account_limit(api_client, make_customer, login_clock, settings):
    """Only failures count per account: an account used often from its owner's addresses keeps
    its whole budget. (At 10/hour, to keep it cheap: 15 sign-ins over three quarters of an hour
    from three addresses, then exactly ten failures are answered.)"""
    login_account_rate(settings, "10/hour")
    login_clock.now = just_after_window_start(VICTIM, HOUR)
    make_customer(email=VICTIM)
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        assert [customer_login(api_client, VICTIM, address=address).status_code for _ in range(5)] == [200] * 5
        login_clock.advance(15 * MINUTE)

    failures = [customer_login(api_client, VICTIM, WRONG, address=f"198.51.100.{n}").status_code for n in range(10)]

    assert failures == [401] * 10
    assert_account_limited(customer_login(api_client, VICTIM, address=NEVER_SEEN))
    assert customer_login(api_client, VICTIM, address="192.0.2.2").status_code == 200


def test_spellings_of_one_email_share_the_account_limit(api_client, make_customer, login_clock, settings):
    login_account_rate(settings, "3/hour")
    victim = make_customer(email=VICTIM)
    spellings = [VICTIM, "VICTIM@example.com", "vic\u200btim@example.com", "\uff56ictim@example.com"]
    for n, spelling in enumerate(spellings[:3]):
        response = customer_login(api_client, spelling, WRONG, address=f"198.51.100.{n}")
        assert response.status_code == 401

    assert_rate_limited(customer_login(api_client, spellings[3], address="198.51.100.200"), window=HOUR)
    assert victim.email == VICTIM


# --- clearing an account's failures (a completed password reset) ---------------------------------


def distributed_failures(api_client, email: str, addresses: int, first: int = 0) -> None:
    """One failure for `email` from each of `addresses` addresses never used before."""
    for n in range(first, first + addresses):
        assert customer_login(api_client, email, WRONG, address=f"198.51.100.{n}").status_code == 401, n


def test_clearing_the_failures_lifts_the_per_account_limit(api_client, make_customer, login_clock, settings):
    login_account_rate(settings, "10/hour")
    login_clock.now = just_after_window_start(VICTIM, HOUR)
    make_customer(email=VICTIM)
    distributed_failures(api_client, VICTIM, 10)
    assert_account_limited(customer_login(api_client, VICTIM, address=NEVER_SEEN))

    clear_sign_in_failures(VICTIM)

    assert customer_login(api_client, VICTIM, address=NEVER_SEEN).status_code == 200


def test_failures_count_again_from_nothing_after_clearing(api_client, make_customer, login_clock, settings):
    login_account_rate(settings, "10/hour")
    login_clock.now = just_after_window_start(VICTIM, HOUR)
    make_customer(email=VICTIM)
    distributed_failures(api_client, VICTIM, 10)
    clear_sign_in_failures(VICTIM)

    distributed_failures(api_client, VICTIM, 9, first=10)
    assert customer_login(api_client, VICTIM, address=NEVER_SEEN).status_code == 200
    distributed_failures(api_client, VICTIM, 1, first=19)

    assert_account_limited(customer_login(api_client, VICTIM, address="198.51.100.251"))


def test_clearing_the_failures_reopens_the_address_the_owner_failed_from(api_client, make_customer, ratelimit_clock):
    """The owner who forgot their password fails ten times from home: that address is closed to
    the account for the minute, until the reset clears the account's counters. (The clock is put
    where the home address's own minute ends before the account's minute from it, so only the
    account's counter can refuse.)"""
    make_customer(email=VICTIM)
    ratelimit_clock.set_into_window(f"{VICTIM}|{HOME}", 1, period=MINUTE)
    for _ in range(10):
        assert customer_login(api_client, VICTIM, WRONG, address=HOME).status_code == 401
    ratelimit_clock.now = ratelimit_clock.next_window(HOME, period=MINUTE)
    assert ratelimit_clock.now < ratelimit_clock.next_window(f"{VICTIM}|{HOME}", period=MINUTE)
    assert_rate_limited(customer_login(api_client, VICTIM, address=HOME))

    clear_sign_in_failures(VICTIM)

    assert customer_login(api_client, VICTIM, address=HOME).status_code == 200


def test_clearing_leaves_other_accounts_and_the_address_limits_alone(api_client, make_customer, login_clock, settings):
    login_account_rate(settings, "10/hour")
    login_clock.now = just_after_window_start(VICTIM, HOUR)
    make_customer(email=VICTIM)
    other = make_customer(email="other@example.com")
    distributed_failures(api_client, VICTIM, 10)
    distributed_failures(api_client, other.email, 10, first=20)
    for n in range(10):
        customer_login(api_client, f"guess{n}@example.com", WRONG, address=ADDRESS)

    clear_sign_in_failures("Victim@Example.com")  # in any spelling sign-in accepts

    assert customer_login(api_client, VICTIM, address=NEVER_SEEN).status_code == 200
    assert_rate_limited(customer_login(api_client, other.email, address="198.51.100.252"), window=HOUR)
    assert_rate_limited(customer_login(api_client, VICTIM, address=ADDRESS))  # that address's own minute


def test_a_forgotten_address_stays_forgotten_after_its_generation_expires(
    api_client, make_customer, login_clock, settings
):
    """Forgetting the known addresses twice, the record of it expiring, and forgetting them
    again must not bring back an address known in between."""
    login_account_rate(settings, "3/hour")
    login_clock.now = just_after_window_start(VICTIM, HOUR)
    make_customer(email=VICTIM)
    forget_known_addresses(VICTIM)
    assert customer_login(api_client, VICTIM, address=HOME).status_code == 200  # HOME known
    forget_known_addresses(VICTIM)  # a password change: HOME forgotten
    caches["limits"].delete(ratelimits._generation_key(ratelimits.KNOWN, VICTIM))  # the record expires
    forget_known_addresses(VICTIM)  # another change
    distributed_failures(api_client, VICTIM, 3)

    assert_account_limited(customer_login(api_client, VICTIM, address=HOME))


# --- a customer's current_password is a sign-in attempt ------------------------------------------


def change_password(customer_id: int, current: str, new: str, address: str):
    """The customer's own PATCH with a fresh token (each password change ends the old ones)."""
    client = client_with_token(access_token_for(Customer.objects.get(pk=customer_id)))
    return client.patch(
        f"/customers/{customer_id}", {"password": new, "current_password": current}, REMOTE_ADDR=address
    )


def test_a_wrong_current_password_counts_as_a_sign_in_failure(api_client, make_customer, login_clock, settings):
    """A stolen access token is no unlimited oracle for the password: wrong current passwords
    spend the account's budget, from any address. (login_account at 10/hour; each try from an
    address of its own, so only the per-account limit can answer 429.)"""
    login_account_rate(settings, "10/hour")
    login_clock.now = just_after_window_start(VICTIM, HOUR)
    victim = make_customer(email=VICTIM)
    for n in range(10):
        response = change_password(victim.pk, f"Guess-{n}-Wrong", "Fresh-Lantern-77", address=f"198.51.100.{n}")
        assert response.status_code == 400, response.content
        assert list(response.json()["fields"]) == ["current_password"]

    eleventh = change_password(victim.pk, CUSTOMER_PASSWORD, "Fresh-Lantern-77", address="198.51.100.10")

    assert_account_limited(eleventh)
    victim.refresh_from_db()
    assert victim.check_password(CUSTOMER_PASSWORD)
    # The same budget as sign-in's.
    assert_account_limited(customer_login(api_client, VICTIM, address=NEVER_SEEN))


def test_a_right_current_password_does_not_count(api_client, make_customer, login_clock, settings):
    login_account_rate(settings, "10/hour")
    login_clock.now = just_after_window_start(VICTIM, HOUR)
    victim = make_customer(email=VICTIM)
    passwords = [CUSTOMER_PASSWORD] + [f"Fresh-Lantern-{n}7" for n in range(11)]
    for n in range(10):
        response = change_password(victim.pk, passwords[n], passwords[n + 1], address=f"198.51.100.{n}")
        assert response.status_code == 200, response.content

    eleventh = change_password(victim.pk, passwords[10], passwords[11], address="198.51.100.10")

    assert eleventh.status_code == 200, eleventh.content
    assert customer_login(api_client, VICTIM, passwords[11], address=NEVER_SEEN).status_code == 200


def test_changing_other_fields_is_no_sign_in_attempt(make_customer, login_clock):
    customer = make_customer()
    client = client_with_token(access_token_for(customer))

    statuses = [
        client.patch(f"/customers/{customer.pk}", {"phone": f"555-01{n:02d}"}, REMOTE_ADDR=ADDRESS).status_code
        for n in range(12)
    ]

    assert statuses == [200] * 12
    assert customer_login(client, customer.email).status_code == 200


# --- the limits' store ------------------------------------------------------------------------------


class BrokenStore(Exception):
    pass


def raise_broken_store(*args, **kwargs):
    raise BrokenStore("limits cache down")


@pytest.mark.parametrize(
    ("method", "replacement"),
    [
        pytest.param("add", raise_broken_store, id="add-raises"),
        pytest.param("incr", raise_broken_store, id="incr-raises"),
        pytest.param("incr", lambda *args, **kwargs: None, id="incr-counts-nothing"),
        pytest.param("get", raise_broken_store, id="get-raises"),
    ],
)
def test_sign_in_fails_closed_when_the_limits_cache_fails(
    api_client, customer, staff_user, monkeypatch, method, replacement
):
    issued = access_token_for(customer)
    customer_login(api_client, customer.email)  # so the counters exist and incr is reached
    monkeypatch.setattr(caches["limits"], method, replacement)

    for response in (customer_login(api_client, customer.email), staff_login(api_client, "staff")):
        assert response.status_code == 503, response.content
        assert int(response["Retry-After"]) >= 1
        assert set(response.json()) == {"error"}
    # Tokens already issued keep working.
    assert client_with_token(issued).get(CUSTOMER_PROBE).status_code == 200


def test_sign_in_limits_are_off_when_throttling_is_disabled(api_client, customer, throttling_off):
    for _ in range(12):
        customer_login(api_client, customer.email, WRONG)

    assert customer_login(api_client, customer.email).status_code == 200
