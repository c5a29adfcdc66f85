"""/customers as a client sees it: sign-up, reads, updates and deletes."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.hashers import check_password

from conftest import CUSTOMER_PASSWORD
from core.tests.asserts import error_fields
from customers import services
from customers.models import Customer
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Fresh-Gearbox-77"


@pytest.fixture(autouse=True)
def _private_cache(settings, tmp_path):
    # Rate-limit counters and cached responses of our own: other test runs share the default
    # file cache directory, and staff user ids repeat across test databases.
    settings.CACHES = {
        "default": {"BACKEND": "core.cache.LockedFileBasedCache", "LOCATION": str(tmp_path / "cache")}
    }


@pytest.fixture
def no_throttling(settings):
    settings.THROTTLING_ENABLED = False


def sign_up_body(**fields) -> dict:
    return {"name": "Ann Example", "email": "ann@example.com", "phone": "555-0100", "password": CUSTOMER_PASSWORD, **fields}


def link_pages(header: str) -> dict[str, int]:
    """{"next": 3, ...} from an RFC 8288 Link header, checking every URL keeps per_page."""
    pages = {}
    for part in header.split(","):
        url, rel = re.fullmatch(r'\s*<([^>]+)>; rel="(\w+)"', part).groups()
        query = parse_qs(urlsplit(url).query)
        assert query["per_page"] == ["2"]
        pages[rel] = int(query["page"][0])
    return pages


# --- sign-up ---------------------------------------------------------------------------------


def test_sign_up_returns_the_customer_without_password(api_client):
    response = api_client.post("/customers", data=sign_up_body(), format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "name", "email", "phone"}
    assert body == {"id": body["id"], "name": "Ann Example", "email": "ann@example.com", "phone": "555-0100"}
    stored = Customer.objects.get(pk=body["id"])
    assert stored.password != CUSTOMER_PASSWORD
    assert check_password(CUSTOMER_PASSWORD, stored.password)


@pytest.mark.parametrize("path", ["/customers", "/customers/"])
def test_sign_up_works_with_and_without_trailing_slash(api_client, path):
    response = api_client.post(path, data=sign_up_body(), format="json")
    assert response.status_code == 201
    assert Customer.objects.count() == 1


def test_signed_up_customer_can_log_in(api_client):
    api_client.post("/customers", data=sign_up_body(email="Login.Me@Example.com"), format="json")
    response = api_client.post(
        "/customers/login", data={"email": "login.me@example.com", "password": CUSTOMER_PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["auth_token"]


@pytest.mark.parametrize("email", ["ANN@EXAMPLE.COM", "Ann@Example.Com", "  ann@example.com  "])
def test_sign_up_stores_email_lower_case_and_trimmed(api_client, email):
    response = api_client.post("/customers", data=sign_up_body(email=email), format="json")
    assert response.status_code == 201
    assert response.json()["email"] == "ann@example.com"
    assert Customer.objects.get().email == "ann@example.com"


@pytest.mark.parametrize("email", ["ann@example.com", "ANN@example.com", "Ann@Example.COM"])
def test_sign_up_with_a_taken_email_in_any_case_is_400(api_client, make_customer, email):
    make_customer(email="ann@example.com")
    fields = error_fields(api_client.post("/customers", data=sign_up_body(email=email), format="json"))
    assert fields["email"] == [services.DUPLICATE_EMAIL]
    assert Customer.objects.count() == 1


def test_duplicate_email_that_slips_past_the_check_is_still_400(api_client, make_customer, monkeypatch):
    # Two sign-ups racing: both pass the serializer's lookup, the database refuses the second.
    make_customer(email="ann@example.com")
    monkeypatch.setattr("customers.selectors.email_taken", lambda *args, **kwargs: False)
    fields = error_fields(api_client.post("/customers", data=sign_up_body(email="ANN@example.com"), format="json"))
    assert fields["email"] == [services.DUPLICATE_EMAIL]
    assert Customer.objects.count() == 1


def test_sign_up_with_nothing_reports_every_missing_field(api_client):
    fields = error_fields(api_client.post("/customers", data={}, format="json"))
    assert set(fields) == {"name", "email", "phone", "password"}
    assert all(messages == ["This field is required."] for messages in fields.values())


@pytest.mark.parametrize("missing", ["name", "email", "phone", "password"])
def test_sign_up_without_a_field_is_400(api_client, missing):
    body = sign_up_body()
    del body[missing]
    fields = error_fields(api_client.post("/customers", data=body, format="json"))
    assert list(fields) == [missing]
    assert not Customer.objects.exists()


@pytest.mark.parametrize("field", ["name", "email", "phone", "password"])
@pytest.mark.parametrize("value", [None, [], {}, ["Ann"], {"first": "Ann"}, True])
def test_sign_up_with_a_wrong_type_is_400(api_client, field, value):
    fields = error_fields(api_client.post("/customers", data=sign_up_body(**{field: value}), format="json"))
    assert field in fields
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "x" * 256),
        ("name", ""),
        ("name", "   "),
        ("phone", "5" * 33),
        ("phone", ""),
        ("email", "a" * 250 + "@x.com"),
        ("password", "x" * 129),
        ("password", ""),
    ],
    ids=["name-256", "name-empty", "name-blank", "phone-33", "phone-empty", "email-256", "password-129", "password-empty"],
)
def test_sign_up_with_a_value_out_of_bounds_is_400(api_client, field, value):
    fields = error_fields(api_client.post("/customers", data=sign_up_body(**{field: value}), format="json"))
    assert field in fields
    assert not Customer.objects.exists()


def test_sign_up_at_the_length_limits_is_accepted(api_client):
    body = sign_up_body(name="n" * 255, phone="5" * 32)
    response = api_client.post("/customers", data=body, format="json")
    assert response.status_code == 201
    stored = Customer.objects.get()
    assert (len(stored.name), len(stored.phone)) == (255, 32)


@pytest.mark.parametrize(
    "email", ["not-an-email", "ann@", "@example.com", "ann@@example.com", "ann example@example.com", "ann@example"]
)
def test_sign_up_with_an_invalid_email_is_400(api_client, email):
    fields = error_fields(api_client.post("/customers", data=sign_up_body(email=email), format="json"))
    assert fields["email"] == ["Enter a valid email address."]


@pytest.mark.parametrize("password", ["short1", "password123", "12345678901", "ann@example.com"])
def test_sign_up_with_a_weak_password_is_400(api_client, password):
    fields = error_fields(api_client.post("/customers", data=sign_up_body(password=password), format="json"))
    assert fields["password"]
    assert not Customer.objects.exists()


@pytest.mark.parametrize("name", ["Zoë Ñúñez", "山田 太郎", "Ἀριστοτέλης", "O'Brien-Smith", "🚗 Car Fan 🔧", "עברית"])
def test_unicode_names_round_trip(api_client, staff_client, name):
    created = api_client.post("/customers", data=sign_up_body(name=name), format="json")
    assert created.status_code == 201
    assert created.json()["name"] == name
    fetched = staff_client.get(f"/customers/{created.json()['id']}")
    assert fetched.json()["name"] == name
    assert Customer.objects.get().name == name


def test_unknown_fields_in_sign_up_are_ignored(api_client):
    # id 0 is one an auto-increment never hands out, so seeing it would mean it was taken from the body.
    response = api_client.post("/customers", data=sign_up_body(id=0, is_staff=True, role="staff"), format="json")
    assert response.status_code == 201
    assert response.json()["id"] == Customer.objects.get().pk != 0
    assert set(response.json()) == {"id", "name", "email", "phone"}


# --- list ------------------------------------------------------------------------------------


def test_list_is_ordered_by_id_and_has_no_passwords(staff_client, make_customer, no_throttling):
    customers = [make_customer(name=name) for name in ("Zed", "Amy", "Moe")]
    response = staff_client.get("/customers")
    assert response.status_code == 200
    body = response.json()
    assert [c["id"] for c in body] == sorted(c.pk for c in customers)
    assert [c["name"] for c in body] == ["Zed", "Amy", "Moe"]
    assert all("password" not in c for c in body)


def test_list_without_page_parameters_returns_everything_unpaginated(staff_client, make_customer, no_throttling):
    for _ in range(7):
        make_customer()
    response = staff_client.get("/customers/")
    assert len(response.json()) == 7
    assert not response.has_header("X-Total-Count")
    assert not response.has_header("Link")


def test_list_pages_carry_total_and_links(staff_client, make_customer, no_throttling):
    ids = [make_customer().pk for _ in range(5)]
    first = staff_client.get("/customers?page=1&per_page=2")
    second = staff_client.get("/customers?page=2&per_page=2")
    last = staff_client.get("/customers?page=3&per_page=2")
    assert [c["id"] for c in first.json()] == ids[:2]
    assert [c["id"] for c in second.json()] == ids[2:4]
    assert [c["id"] for c in last.json()] == ids[4:]
    assert {r["X-Total-Count"] for r in (first, second, last)} == {"5"}
    assert link_pages(second["Link"]) == {"first": 1, "prev": 1, "next": 3, "last": 3}
    assert link_pages(first["Link"]) == {"first": 1, "next": 2, "last": 3}
    assert link_pages(last["Link"]) == {"first": 1, "prev": 2, "last": 3}


def test_page_past_the_end_is_an_empty_list(staff_client, make_customer, no_throttling):
    make_customer()
    response = staff_client.get("/customers?page=9&per_page=10")
    assert response.status_code == 200
    assert response.json() == []
    assert response["X-Total-Count"] == "1"


@pytest.mark.parametrize(
    "query",
    ["page=0&per_page=2", "page=-1&per_page=2", "page=1&per_page=0", "page=1&per_page=101", "page=a&per_page=2",
     "page=1", "per_page=5", "page=1&per_page=1.5", "page=99999999999999999999&per_page=1"],
)
def test_bad_page_parameters_are_400(staff_client, no_throttling, query):
    response = staff_client.get(f"/customers?{query}")
    assert response.status_code == 400
    assert response.json()["error"]


def test_list_needs_staff(api_client, customer_client):
    assert api_client.get("/customers").status_code == 401
    assert customer_client.get("/customers").status_code == 403


def test_list_is_rate_limited_per_caller(staff_client, monkeypatch):
    # A fixed clock, so the hour's window cannot roll over half-way through.
    monkeypatch.setattr("core.throttling.ScopedRateThrottle.timer", staticmethod(lambda: 1_800_000_000.0))
    responses = [staff_client.get("/customers") for _ in range(16)]
    assert [r.status_code for r in responses] == [200] * 15 + [429]
    assert int(responses[-1]["Retry-After"]) >= 1


# --- one customer ----------------------------------------------------------------------------


def test_staff_reads_one_customer(staff_client, make_customer):
    customer = make_customer(name="Ann", email="ann@example.com", phone="555-0100")
    response = staff_client.get(f"/customers/{customer.pk}")
    assert response.status_code == 200
    assert response.json() == {"id": customer.pk, "name": "Ann", "email": "ann@example.com", "phone": "555-0100"}


def test_customer_reads_only_their_own_record(client_for, make_customer):
    own, other = make_customer(), make_customer()
    client = client_for(own)
    assert client.get(f"/customers/{own.pk}/").status_code == 200
    assert client.get(f"/customers/{other.pk}").status_code == 403


def test_unknown_customer_is_404(staff_client):
    response = staff_client.get("/customers/9999")
    assert response.status_code == 404
    assert response.json()["error"]


def test_read_after_update_is_not_stale(staff_client, customer):
    assert staff_client.get(f"/customers/{customer.pk}").json()["name"] != "Renamed"
    staff_client.patch(f"/customers/{customer.pk}", data={"name": "Renamed"}, format="json")
    assert staff_client.get(f"/customers/{customer.pk}").json()["name"] == "Renamed"


# --- update ----------------------------------------------------------------------------------


def test_put_replaces_the_customer_and_keeps_the_password_when_omitted(staff_client, customer):
    body = {"name": "New Name", "email": "NEW@Example.com", "phone": "555-9999"}
    response = staff_client.put(f"/customers/{customer.pk}", data=body, format="json")
    assert response.status_code == 200
    assert response.json() == {"id": customer.pk, "name": "New Name", "email": "new@example.com", "phone": "555-9999"}
    customer.refresh_from_db()
    assert (customer.name, customer.email, customer.phone) == ("New Name", "new@example.com", "555-9999")
    assert customer.check_password(CUSTOMER_PASSWORD)


def test_put_with_a_password_changes_it(client_for, customer):
    body = {"name": customer.name, "email": customer.email, "phone": customer.phone, "password": NEW_PASSWORD}
    response = client_for(customer).put(f"/customers/{customer.pk}/", data=body, format="json")
    assert response.status_code == 200
    assert "password" not in response.json()
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)
    assert not customer.check_password(CUSTOMER_PASSWORD)


def test_put_without_required_fields_is_400(staff_client, customer):
    fields = error_fields(staff_client.put(f"/customers/{customer.pk}", data={"name": "Only"}, format="json"))
    assert set(fields) == {"email", "phone"}
    customer.refresh_from_db()
    assert customer.name != "Only"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"name": "Patched"}, {"name": "Patched"}),
        ({"phone": "555-7777"}, {"phone": "555-7777"}),
        ({"email": "Patched@Example.COM"}, {"email": "patched@example.com"}),
    ],
)
def test_patch_changes_only_the_given_fields(staff_client, make_customer, change, expected):
    customer = make_customer(name="Ann", email="ann@example.com", phone="555-0100")
    before = {"id": customer.pk, "name": "Ann", "email": "ann@example.com", "phone": "555-0100"}
    response = staff_client.patch(f"/customers/{customer.pk}", data=change, format="json")
    assert response.status_code == 200
    assert response.json() == {**before, **expected}
    customer.refresh_from_db()
    assert {"name": customer.name, "email": customer.email, "phone": customer.phone} == {
        k: v for k, v in {**before, **expected}.items() if k != "id"
    }


def test_patch_password_only(staff_client, customer):
    response = staff_client.patch(f"/customers/{customer.pk}", data={"password": NEW_PASSWORD}, format="json")
    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)


def test_patch_with_a_weak_password_is_400_and_keeps_the_old_one(staff_client, customer):
    fields = error_fields(staff_client.patch(f"/customers/{customer.pk}", data={"password": "123"}, format="json"))
    assert fields["password"]
    customer.refresh_from_db()
    assert customer.check_password(CUSTOMER_PASSWORD)


def test_keeping_your_own_email_in_another_case_is_not_a_duplicate(staff_client, make_customer):
    customer = make_customer(email="ann@example.com")
    response = staff_client.patch(f"/customers/{customer.pk}", data={"email": "ANN@example.com"}, format="json")
    assert response.status_code == 200
    assert response.json()["email"] == "ann@example.com"


def test_changing_email_to_another_customers_in_any_case_is_400(staff_client, make_customer):
    make_customer(email="taken@example.com")
    customer = make_customer(email="mine@example.com")
    fields = error_fields(
        staff_client.patch(f"/customers/{customer.pk}", data={"email": "TAKEN@example.com"}, format="json")
    )
    assert fields["email"] == [services.DUPLICATE_EMAIL]
    customer.refresh_from_db()
    assert customer.email == "mine@example.com"


@pytest.mark.parametrize(
    "change", [{"name": ""}, {"name": "x" * 256}, {"phone": "5" * 33}, {"email": "nope"}, {"name": None}]
)
def test_patch_with_invalid_values_is_400_and_changes_nothing(staff_client, make_customer, change):
    customer = make_customer(name="Ann")
    fields = error_fields(staff_client.patch(f"/customers/{customer.pk}", data=change, format="json"))
    assert set(fields) == set(change)
    customer.refresh_from_db()
    assert customer.name == "Ann"


def test_customer_cannot_update_someone_else(client_for, make_customer):
    own, other = make_customer(), make_customer(name="Other")
    response = client_for(own).patch(f"/customers/{other.pk}", data={"name": "Hijacked"}, format="json")
    assert response.status_code == 403
    other.refresh_from_db()
    assert other.name == "Other"


# --- delete ----------------------------------------------------------------------------------


def test_delete_customer_without_tickets_is_204(staff_client, customer):
    response = staff_client.delete(f"/customers/{customer.pk}")
    assert response.status_code == 204
    assert response.content == b""
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert staff_client.get(f"/customers/{customer.pk}").status_code == 404


def test_customer_deletes_their_own_account(client_for, customer):
    assert client_for(customer).delete(f"/customers/{customer.pk}/").status_code == 204
    assert not Customer.objects.exists()


def test_delete_customer_with_tickets_is_409_and_deletes_nothing(staff_client, make_customer, make_ticket):
    customer = make_customer()
    tickets = [make_ticket(customer=customer), make_ticket(customer=customer)]
    response = staff_client.delete(f"/customers/{customer.pk}")
    assert response.status_code == 409
    message = response.json()["error"]
    assert message.endswith(".") and " " in message
    assert "2" in message
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert Ticket.objects.filter(pk__in=[t.pk for t in tickets]).count() == 2


def test_delete_unknown_customer_is_404(staff_client):
    assert staff_client.delete("/customers/4242").status_code == 404


def test_customer_cannot_delete_someone_else(client_for, make_customer):
    own, other = make_customer(), make_customer()
    assert client_for(own).delete(f"/customers/{other.pk}").status_code == 403
    assert Customer.objects.filter(pk=other.pk).exists()


# --- services --------------------------------------------------------------------------------


def test_customer_create_service_hashes_and_lowercases():
    customer = services.customer_create(name="Ann", email=" Ann@X.COM ", phone="1", password=CUSTOMER_PASSWORD)
    customer.refresh_from_db()
    assert customer.email == "ann@x.com"
    assert customer.check_password(CUSTOMER_PASSWORD)
    assert CUSTOMER_PASSWORD not in customer.password


def test_customer_delete_service_refuses_customers_with_history(make_customer, make_ticket):
    from core.errors import Conflict

    customer = make_customer()
    make_ticket(customer=customer)
    with pytest.raises(Conflict):
        services.customer_delete(customer)
    assert Customer.objects.filter(pk=customer.pk).exists()
