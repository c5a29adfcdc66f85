"""/customers as a client sees it: sign-up, reads (cached), updates and deletes, who may do what,
and the rate limits on sign-up and the list."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.hashers import check_password

from conftest import CUSTOMER_PASSWORD, access_token_for, client_with_token
from customers import services
from customers.models import Customer
from customers.services import DUPLICATE_EMAIL
from tests.asserts import assert_error, error_fields
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

PUBLIC_FIELDS = {"id", "name", "email", "phone"}


def sign_up_body(**fields) -> dict:
    return {
        "name": "Ann Example",
        "email": "ann@example.com",
        "phone": "555-0100",
        "password": CUSTOMER_PASSWORD,
        **fields,
    }


@pytest.fixture
def frozen_throttle_clock(ratelimit_clock):
    """The API's throttles count in a window that cannot roll over during the test."""
    return ratelimit_clock


def link_pages(header: str) -> dict[str, int]:
    """{"next": 3, ...} from an RFC 8288 Link header, checking every URL keeps per_page."""
    pages = {}
    for part in header.split(","):
        url, rel = re.fullmatch(r'\s*<([^>]+)>; rel="(\w+)"', part).groups()
        query = parse_qs(urlsplit(url).query)
        assert query["per_page"] == ["2"]
        pages[rel] = int(query["page"][0])
    return pages


# --- sign-up ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/customers", "/customers/"])
def test_sign_up_returns_the_customer_without_password(api_client, path):
    response = api_client.post(path, sign_up_body())

    assert response.status_code == 201
    body = response.json()
    assert body == {"id": body["id"], "name": "Ann Example", "email": "ann@example.com", "phone": "555-0100"}
    stored = Customer.objects.get(pk=body["id"])
    assert stored.password != CUSTOMER_PASSWORD
    assert check_password(CUSTOMER_PASSWORD, stored.password)


def test_a_signed_up_customer_can_sign_in(api_client):
    api_client.post("/customers", sign_up_body(email="Login.Me@Example.com"))

    response = api_client.post("/customers/login", {"email": "login.me@example.com", "password": CUSTOMER_PASSWORD})

    assert response.status_code == 200


@pytest.mark.parametrize(
    "email",
    [
        pytest.param("ANN@EXAMPLE.COM", id="upper-case"),
        pytest.param("  ann@example.com  ", id="surrounding-spaces"),
        pytest.param("ann\u200b@example.com", id="zero-width-space"),
        pytest.param("\u2060ann@exam\u00adple.com", id="word-joiner-and-soft-hyphen"),
        pytest.param(
            "\uff41\uff4e\uff4e@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.\uff43\uff4f\uff4d", id="full-width"
        ),
    ],
)
def test_sign_up_normalises_the_email(api_client, email):
    response = api_client.post("/customers", sign_up_body(email=email))

    assert response.status_code == 201, response.content
    assert response.json()["email"] == "ann@example.com"
    assert Customer.objects.get().email == "ann@example.com"


def test_sign_up_normalises_name_and_phone(api_client):
    body = sign_up_body(name="  \uff21nn\u200b Example ", phone="\uff15\uff15\uff15-0100")

    response = api_client.post("/customers", body)

    assert response.status_code == 201
    assert (response.json()["name"], response.json()["phone"]) == ("Ann Example", "555-0100")


@pytest.mark.parametrize(
    "email", ["ann@example.com", "ANN@example.com", "Ann@Example.COM", "an\u200bn@example.com", "\uff21NN@example.com"]
)
def test_sign_up_with_a_taken_email_in_any_spelling_is_400(api_client, make_customer, email):
    make_customer(email="ann@example.com")

    fields = error_fields(api_client.post("/customers", sign_up_body(email=email)))

    assert fields == {"email": [DUPLICATE_EMAIL]}
    assert Customer.objects.count() == 1


def test_a_duplicate_that_slips_past_the_check_is_still_400(api_client, make_customer, monkeypatch):
    # Two sign-ups racing: both pass the serializer's lookup, the database refuses the second.
    make_customer(email="ann@example.com")
    monkeypatch.setattr("customers.selectors.email_taken", lambda **kwargs: False)

    fields = error_fields(api_client.post("/customers", sign_up_body(email="ANN@example.com")))

    assert fields == {"email": [DUPLICATE_EMAIL]}
    assert Customer.objects.count() == 1


def test_sign_up_with_nothing_reports_every_missing_field(api_client):
    fields = error_fields(api_client.post("/customers", {}))

    assert fields == {name: ["This field is required."] for name in ("name", "email", "phone", "password")}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", None),
        ("name", ["Ann"]),
        ("email", {"a": 1}),
        ("phone", True),
        ("password", 12345678),
        ("name", "x" * 256),
        ("name", ""),
        ("name", "   "),
        ("name", "\u200b\u200b"),
        ("phone", "5" * 33),
        ("phone", ""),
        ("email", "a" * 250 + "@x.com"),
        ("email", "not-an-email"),
        ("email", "ann@"),
        ("email", "ann@@example.com"),
        ("password", "x" * 129),
        ("password", ""),
        ("password", "short1"),
        ("password", "password123"),
        ("password", "12345678901"),
        ("password", "ann@example.com"),
    ],
)
def test_sign_up_with_an_invalid_value_is_400_and_creates_nothing(api_client, field, value):
    fields = error_fields(api_client.post("/customers", sign_up_body(**{field: value})))

    assert list(fields) == [field]
    assert not Customer.objects.exists()


def test_sign_up_at_the_length_limits_is_accepted(api_client):
    response = api_client.post("/customers", sign_up_body(name="n" * 255, phone="5" * 32))

    assert response.status_code == 201
    assert (len(response.json()["name"]), len(response.json()["phone"])) == (255, 32)


@pytest.mark.parametrize("name", ["Zoë Ñúñez", "山田 太郎", "O'Brien-Smith", "🚗 Car Fan 🔧", "עברית"])
def test_unicode_names_round_trip(api_client, staff_client, name):
    created = api_client.post("/customers", sign_up_body(name=name))

    assert created.status_code == 201
    assert staff_client.get(f"/customers/{created.json()['id']}").json()["name"] == name


def test_unknown_fields_are_ignored(api_client):
    response = api_client.post("/customers", sign_up_body(id=0, is_staff=True, role="staff"))

    assert response.status_code == 201
    assert set(response.json()) == PUBLIC_FIELDS
    assert response.json()["id"] == Customer.objects.get().pk != 0


def test_the_eleventh_anonymous_sign_up_from_one_address_in_an_hour_is_429(api_client, frozen_throttle_clock):
    for n in range(10):
        response = api_client.post("/customers", sign_up_body(email=f"c{n}@example.com"), REMOTE_ADDR="198.51.100.7")
        assert response.status_code == 201

    response = api_client.post("/customers", sign_up_body(email="c10@example.com"), REMOTE_ADDR="198.51.100.7")

    assert_error(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert not Customer.objects.filter(email="c10@example.com").exists()
    # Another address has its own budget.
    assert (
        api_client.post("/customers", sign_up_body(email="c11@example.com"), REMOTE_ADDR="198.51.100.8").status_code
        == 201
    )


def test_a_customers_token_does_not_lift_the_sign_up_limit(
    api_client, make_customer, client_for, frozen_throttle_clock
):
    """Anyone can get a customer's token by signing up once: sign-ups with one are counted per
    address like anonymous ones, in the same budget, whichever customer's token it is."""
    address = "198.51.100.7"
    first, second = client_for(make_customer()), client_for(make_customer())
    statuses = [
        (first if n % 2 else second)
        .post("/customers", sign_up_body(email=f"c{n}@example.com"), REMOTE_ADDR=address)
        .status_code
        for n in range(10)
    ]
    assert statuses == [201] * 10

    response = first.post("/customers", sign_up_body(email="c10@example.com"), REMOTE_ADDR=address)

    assert_error(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert not Customer.objects.filter(email="c10@example.com").exists()
    assert api_client.post("/customers", sign_up_body(email="c11@example.com"), REMOTE_ADDR=address).status_code == 429
    assert (
        first.post("/customers", sign_up_body(email="c12@example.com"), REMOTE_ADDR="198.51.100.8").status_code == 201
    )


def test_staff_creating_customers_are_not_limited(api_client, staff_client, frozen_throttle_clock):
    address = "198.51.100.7"
    for n in range(10):  # the address's sign-up budget, spent
        assert (
            api_client.post("/customers", sign_up_body(email=f"a{n}@example.com"), REMOTE_ADDR=address).status_code
            == 201
        )

    statuses = [
        staff_client.post("/customers", sign_up_body(email=f"c{n}@example.com"), REMOTE_ADDR=address).status_code
        for n in range(12)
    ]

    assert statuses == [201] * 12


# --- list ---------------------------------------------------------------------------------------


def test_the_list_is_ordered_by_id_without_passwords(staff_client, make_customer):
    customers = [make_customer(name=name) for name in ("Zed", "Amy", "Moe")]

    response = staff_client.get("/customers")

    assert response.status_code == 200
    assert [c["id"] for c in response.json()] == [c.pk for c in customers]
    assert all(set(c) == PUBLIC_FIELDS for c in response.json())
    assert not response.has_header("X-Total-Count")


def test_list_pages_carry_total_and_links(staff_client, make_customer):
    ids = [make_customer().pk for _ in range(5)]

    first, second, last = (staff_client.get(f"/customers?page={page}&per_page=2") for page in (1, 2, 3))

    assert [[c["id"] for c in r.json()] for r in (first, second, last)] == [ids[:2], ids[2:4], ids[4:]]
    assert {r["X-Total-Count"] for r in (first, second, last)} == {"5"}
    assert link_pages(second["Link"]) == {"first": 1, "prev": 1, "next": 3, "last": 3}
    assert staff_client.get("/customers?page=9&per_page=2").json() == []


@pytest.mark.parametrize("query", ["page=0&per_page=2", "page=1&per_page=101", "page=a&per_page=2", "page=1"])
def test_bad_page_parameters_are_400(staff_client, query):
    assert_error(staff_client.get(f"/customers?{query}"), 400)


def test_the_list_is_limited_per_caller(staff_client, frozen_throttle_clock):
    statuses = [staff_client.get("/customers").status_code for _ in range(16)]

    assert statuses == [200] * 15 + [429]


# --- who may do what ----------------------------------------------------------------------------


def test_the_list_needs_staff(api_client, customer_client):
    assert api_client.get("/customers").status_code == 401
    assert customer_client.get("/customers").status_code == 403


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_anonymous_callers_get_401_on_a_record(api_client, customer, method):
    response = getattr(api_client, method)(f"/customers/{customer.pk}", {"name": "X"})

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
@pytest.mark.parametrize("exists", [True, False], ids=["existing", "missing"])
def test_another_customers_id_is_403_whether_or_not_it_exists(customer_client, make_customer, method, exists):
    other_id = make_customer(name="Other").pk if exists else 987654

    response = getattr(customer_client, method)(f"/customers/{other_id}", {"name": "Hijacked"})

    assert_error(response, 403)
    assert not Customer.objects.filter(name="Hijacked").exists()
    assert Customer.objects.filter(pk=other_id).exists() is exists


def test_a_customer_reads_their_own_record(customer_client, customer):
    response = customer_client.get(f"/customers/{customer.pk}/")

    assert response.status_code == 200
    assert response.json() == {
        "id": customer.pk,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
    }


def test_an_unknown_id_is_404_for_staff(staff_client):
    assert_error(staff_client.get("/customers/9999"), 404)
    assert_error(staff_client.get("/customers/" + "9" * 19), 404)  # past the largest id a database holds
    assert_error(staff_client.get("/customers/" + "9" * 20), 404)


def test_an_unsupported_method_is_405_for_a_signed_in_caller(staff_client, customer):
    assert staff_client.post(f"/customers/{customer.pk}", {}).status_code == 405
    assert staff_client.delete("/customers").status_code == 405


# --- cached reads -------------------------------------------------------------------------------


def test_a_second_read_comes_from_the_cache(customer, django_assert_num_queries):
    client = client_with_token(access_token_for(customer))
    first = client.get(f"/customers/{customer.pk}")
    assert first.status_code == 200
    assert not first.has_header("Age")

    with django_assert_num_queries(0):
        second = client.get(f"/customers/{customer.pk}")

    assert second.status_code == 200
    assert second.has_header("Age") and int(second["Age"]) >= 0
    assert second.json() == first.json()


def test_staff_and_the_customer_share_the_cached_record(customer, staff_client):
    """The record reads the same to everyone allowed to see it: one cached entry."""
    assert staff_client.get(f"/customers/{customer.pk}").status_code == 200

    own = client_with_token(access_token_for(customer)).get(f"/customers/{customer.pk}")

    assert own.status_code == 200
    assert own.has_header("Age")


@pytest.mark.parametrize("write", ["api", "service"])
def test_a_write_is_visible_on_the_next_read(customer, staff_client, write):
    client = client_with_token(access_token_for(customer))
    assert client.get(f"/customers/{customer.pk}").json()["name"] != "Renamed"
    assert client.get(f"/customers/{customer.pk}").has_header("Age")

    if write == "api":
        assert staff_client.patch(f"/customers/{customer.pk}", {"name": "Renamed"}).status_code == 200
    else:
        services.customer_update(customer_id=customer.pk, changes={"name": "Renamed"})

    response = client.get(f"/customers/{customer.pk}")
    assert response.json()["name"] == "Renamed"
    assert not response.has_header("Age")


def test_a_deleted_customer_is_not_served_from_the_cache(make_customer, staff_client):
    customer = make_customer()
    assert staff_client.get(f"/customers/{customer.pk}").status_code == 200

    assert staff_client.delete(f"/customers/{customer.pk}").status_code == 204

    assert_error(staff_client.get(f"/customers/{customer.pk}"), 404)


def test_a_cached_read_is_refused_once_the_token_is_not_allowed(make_customer, client_for):
    other = make_customer()
    owner = make_customer()
    owner_client = client_for(owner)
    assert owner_client.get(f"/customers/{owner.pk}").status_code == 200

    owner.set_password("Another-Secret-93")
    owner.save()

    assert owner_client.get(f"/customers/{owner.pk}").status_code == 401
    assert client_for(other).get(f"/customers/{owner.pk}").status_code == 403


# --- update -------------------------------------------------------------------------------------


def test_put_replaces_the_customer_and_keeps_the_password_when_omitted(staff_client, customer):
    body = {"name": "New Name", "email": "NEW@Example.com", "phone": "555-9999"}

    response = staff_client.put(f"/customers/{customer.pk}", body)

    assert response.status_code == 200
    assert response.json() == {"id": customer.pk, "name": "New Name", "email": "new@example.com", "phone": "555-9999"}
    customer.refresh_from_db()
    assert customer.check_password(CUSTOMER_PASSWORD)


def test_put_without_required_fields_is_400(staff_client, customer):
    fields = error_fields(staff_client.put(f"/customers/{customer.pk}", {"name": "Only"}))

    assert set(fields) == {"email", "phone"}
    customer.refresh_from_db()
    assert customer.name != "Only"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"name": "Patched"}, {"name": "Patched"}),
        ({"phone": "555-7777"}, {"phone": "555-7777"}),
        ({"email": "Pat\u200bched@Example.COM"}, {"email": "patched@example.com"}),
    ],
)
def test_patch_changes_only_the_given_fields(staff_client, make_customer, change, expected):
    customer = make_customer(name="Ann", email="ann@example.com", phone="555-0100")
    before = {"id": customer.pk, "name": "Ann", "email": "ann@example.com", "phone": "555-0100"}

    response = staff_client.patch(f"/customers/{customer.pk}", change)

    assert response.status_code == 200
    assert response.json() == {**before, **expected}
    customer.refresh_from_db()
    assert {"id": customer.pk, "name": customer.name, "email": customer.email, "phone": customer.phone} == {
        **before,
        **expected,
    }


def test_keeping_your_own_email_in_another_spelling_is_not_a_duplicate(customer_client, customer):
    response = customer_client.patch(f"/customers/{customer.pk}", {"email": customer.email.upper()})

    assert response.status_code == 200
    assert response.json()["email"] == customer.email


def test_taking_another_customers_email_in_any_case_is_400(staff_client, make_customer):
    make_customer(email="taken@example.com")
    customer = make_customer(email="mine@example.com")

    fields = error_fields(staff_client.patch(f"/customers/{customer.pk}", {"email": "TAKEN@example.com"}))

    assert fields == {"email": [DUPLICATE_EMAIL]}
    customer.refresh_from_db()
    assert customer.email == "mine@example.com"


@pytest.mark.parametrize(
    "change", [{"name": ""}, {"name": "x" * 256}, {"phone": "5" * 33}, {"email": "nope"}, {"password": "123"}]
)
def test_patch_with_an_invalid_value_is_400_and_changes_nothing(staff_client, make_customer, change):
    customer = make_customer(name="Ann")

    fields = error_fields(staff_client.patch(f"/customers/{customer.pk}", change))

    assert set(fields) == set(change)
    customer.refresh_from_db()
    assert customer.name == "Ann"
    assert customer.check_password(CUSTOMER_PASSWORD)


# --- delete -------------------------------------------------------------------------------------


@pytest.mark.parametrize("caller", ["staff", "owner"])
def test_delete_a_customer_without_tickets(client_for, staff_user, customer, caller):
    client = client_for(staff_user if caller == "staff" else customer)

    response = client.delete(f"/customers/{customer.pk}")

    assert response.status_code == 204
    assert response.content == b""
    assert not Customer.objects.filter(pk=customer.pk).exists()


def test_delete_a_customer_with_tickets_is_409_and_deletes_nothing(staff_client, customer, make_ticket):
    tickets = [make_ticket(customer=customer), make_ticket(customer=customer)]

    body = assert_error(staff_client.delete(f"/customers/{customer.pk}"), 409)

    assert "2" in body["error"]
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert Ticket.objects.filter(pk__in=[t.pk for t in tickets]).count() == 2


def test_delete_an_unknown_customer_is_404(staff_client):
    assert_error(staff_client.delete("/customers/4242"), 404)
