"""The principal cache (accounts/principals.py, kept current by accounts/signals.py): the caller
of an authenticated request comes from Django's cache without a query and without its password
hash, and a write to the account takes effect on the very next request, even against a reader
that loaded the row just before the write."""

import pickle

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts import principals
from conftest import access_token_for, client_with_token
from customers.models import Customer


class _AccountsCache:
    """The accounts' cache alias, looked up at each use (settings may change per test)."""

    def __getattr__(self, name):
        return getattr(principals.accounts_cache(), name)


cache = _AccountsCache()

User = get_user_model()
# Open to every caller and never a cached response, so every request authenticates its caller.
PROBE = "/inventory"


def queries_on(model, captured: CaptureQueriesContext) -> list[str]:
    table = model._meta.db_table
    return [query["sql"] for query in captured.captured_queries if table in query["sql"]]


def get(client, url: str = PROBE):
    """(response, captured queries) of one GET."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return response, captured


def assert_unauthorized(response) -> None:
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.fixture(params=["customer", "staff"])
def account(request, customer, staff_user):
    """Each kind of account, with its model."""
    return (customer, Customer) if request.param == "customer" else (staff_user, User)


# --- loaded once, then from the cache -----------------------------------------------------------


def test_a_cached_principal_costs_no_query(account, django_assert_num_queries):
    principal, model = account
    client = client_with_token(access_token_for(principal))
    first, captured = get(client)
    assert first.status_code == 200
    assert len(queries_on(model, captured)) == 1

    with django_assert_num_queries(len(captured) - 1) as second:
        assert client.get(PROBE).status_code == 200

    assert queries_on(model, second) == []


def test_load_from_the_cache_makes_no_query(customer, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert principals.load(Customer, str(customer.pk)).account.pk == customer.pk

    with django_assert_num_queries(0):
        cached = principals.load(Customer, str(customer.pk))

    assert cached.account.pk == customer.pk
    assert cached.account.email == customer.email


def test_the_cached_principal_holds_no_password_hash(account):
    principal, model = account
    assert client_with_token(access_token_for(principal)).get(PROBE).status_code == 200

    cached = cache.get(principals.cache_key(model, principal.pk))

    assert isinstance(cached, principals.Principal)
    assert "password" in cached.account.get_deferred_fields()
    assert principal.password.encode() not in pickle.dumps(cached)


def test_an_unknown_id_is_not_cached(db):
    assert principals.load(Customer, "424242") is None
    assert cache.get(principals.cache_key(Customer, 424242)) is None


# --- a write takes effect on the next request ---------------------------------------------------


def test_a_save_leaves_a_tombstone_and_the_next_load_reads_the_database(customer, django_assert_num_queries):
    key = principals.cache_key(Customer, customer.pk)
    principals.load(Customer, str(customer.pk))
    assert isinstance(cache.get(key), principals.Principal)

    customer.name = "Renamed"
    customer.save()

    assert cache.get(key) == principals.TOMBSTONE
    for _ in range(2):  # until the tombstone expires, every load reads the row and keeps it
        with django_assert_num_queries(1):
            assert principals.load(Customer, str(customer.pk)).account.name == "Renamed"
        assert cache.get(key) == principals.TOMBSTONE


def test_a_new_account_clears_any_entry_left_under_its_id(db, make_customer):
    key = principals.cache_key(Customer, 777)
    cache.set(key, principals.TOMBSTONE)

    make_customer(id=777)

    assert cache.get(key) is None


@pytest.mark.parametrize(
    "lose_access",
    [
        pytest.param(lambda u: setattr(u, "is_active", False) or u.save(), id="deactivated"),
        pytest.param(lambda u: setattr(u, "is_staff", False) or u.save(), id="no-longer-staff"),
        pytest.param(lambda u: u.set_password("Another-Secret-93") or u.save(), id="password-changed"),
        pytest.param(lambda u: u.delete(), id="deleted"),
    ],
)
def test_a_cached_staff_user_who_loses_access_is_refused_on_the_next_request(staff_user, lose_access):
    client = client_with_token(access_token_for(staff_user))
    assert client.get(PROBE).status_code == 200
    assert isinstance(cache.get(principals.cache_key(User, staff_user.pk)), principals.Principal)

    lose_access(staff_user)

    assert_unauthorized(client.get(PROBE))


@pytest.mark.parametrize(
    "lose_access",
    [
        pytest.param(lambda c: c.set_password("Another-Secret-93") or c.save(), id="password-changed"),
        pytest.param(lambda c: c.delete(), id="deleted"),
    ],
)
def test_a_cached_customer_who_loses_access_is_refused_on_the_next_request(customer, lose_access):
    client = client_with_token(access_token_for(customer))
    assert client.get(PROBE).status_code == 200

    lose_access(customer)

    assert_unauthorized(client.get(PROBE))


def admin_client(make_staff) -> Client:
    client = Client()
    client.force_login(make_staff(username="admin", is_superuser=True))
    return client


def test_a_staff_user_deactivated_in_the_admin_is_refused_on_the_next_request(staff_user, make_staff):
    client = client_with_token(access_token_for(staff_user))
    assert client.get(PROBE).status_code == 200
    form = {  # the admin's user form as a browser sends it: the unticked "active" box is absent
        "username": staff_user.username,
        "date_joined_0": staff_user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": staff_user.date_joined.strftime("%H:%M:%S"),
        "is_staff": "on",
    }

    response = admin_client(make_staff).post(f"/admin/auth/user/{staff_user.pk}/change/", form)

    assert response.status_code == 302, response.content[:2000]
    staff_user.refresh_from_db()
    assert (staff_user.is_active, staff_user.is_staff) == (False, True)
    assert_unauthorized(client.get(PROBE))


def test_customers_deleted_with_the_admins_bulk_action_are_refused_on_the_next_request(customer, make_staff):
    client = client_with_token(access_token_for(customer))
    assert client.get(PROBE).status_code == 200
    action = {"action": "delete_selected", "_selected_action": [customer.pk], "post": "yes"}

    response = admin_client(make_staff).post("/admin/customers/customer/", action)

    assert response.status_code == 302, response.content[:2000]
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert_unauthorized(client.get(PROBE))


def test_a_staff_user_given_access_back_is_let_in_at_once(staff_user):
    client = client_with_token(access_token_for(staff_user))
    staff_user.is_active = False
    staff_user.save()
    assert_unauthorized(client.get(PROBE))

    staff_user.is_active = True
    staff_user.save()

    assert client.get(PROBE).status_code == 200


@pytest.mark.xfail(
    strict=True,
    reason="Known gap: QuerySet.update() sends no post_save, so a cached principal stays in for up to "
    "PRINCIPAL_CACHE_SECONDS. Deactivate accounts with save() (the admin and the API do).",
)
def test_a_staff_user_deactivated_with_queryset_update_is_refused_at_once(staff_user):
    client = client_with_token(access_token_for(staff_user))
    assert client.get(PROBE).status_code == 200

    User.objects.filter(pk=staff_user.pk).update(is_active=False)

    assert_unauthorized(client.get(PROBE))


# --- a racing reader cannot put an old row back -------------------------------------------------


def test_a_reader_that_loaded_the_row_before_a_write_cannot_store_it(staff_user):
    key = principals.cache_key(User, staff_user.pk)
    stale = principals.load(User, str(staff_user.pk))  # the row as a reader read it
    cache.delete(key)  # as if that reader had not stored it yet

    staff_user.is_active = False
    staff_user.save()
    added = cache.add(key, stale, timeout=principals.PRINCIPAL_CACHE_SECONDS)  # what load() does next

    assert added is False
    assert cache.get(key) == principals.TOMBSTONE
    assert principals.load(User, str(staff_user.pk)).account.is_active is False


def test_a_write_between_a_readers_query_and_its_store_wins(staff_user, monkeypatch):
    """The race itself: the reader's query sees the active user, then the user is deactivated
    before the reader stores what it read. The reader's own request may pass (it started first);
    the next one must not."""
    client = client_with_token(access_token_for(staff_user))
    real_from_database = principals._from_database
    writes = []

    def read_then_someone_writes(model, pk):
        principal = real_from_database(model, pk)
        if not writes:
            writes.append(pk)
            staff_user.is_active = False
            staff_user.save()
        return principal

    monkeypatch.setattr(principals, "_from_database", read_then_someone_writes)

    assert client.get(PROBE).status_code == 200
    assert writes == [staff_user.pk]
    assert cache.get(principals.cache_key(User, staff_user.pk)) == principals.TOMBSTONE
    assert_unauthorized(client.get(PROBE))


# --- one key per account ------------------------------------------------------------------------


@pytest.mark.parametrize(("claim", "pk"), [("7", 7), (7, 7), ("9223372036854775807", 2**63 - 1)])
def test_ids_as_the_server_writes_them(claim, pk):
    assert principals.account_id(claim) == pk


@pytest.mark.parametrize(
    "claim", [None, "", "0", "07", " 7", "7 ", "+7", "-7", "7.0", 7.0, True, "\uff17", "\u0667", [7], "9" * 19, 2**63]
)
def test_anything_else_names_no_account(claim):
    assert principals.account_id(claim) is None
