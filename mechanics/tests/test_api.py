"""The /mechanics endpoints as an API client sees them (API.md, "Mechanic", "Pagination",
"Rate limits"), and the cached reads behind them."""

import json
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import client_with_token
from core.ratelimits import account_key
from mechanics import services
from mechanics.models import Mechanic
from tests.asserts import assert_error

BEFORE_NEXT_WINDOW = 800  # s: an hourly window's Retry-After

VALID = {"name": "Ada Wrench", "email": "ada@example.com", "phone": "555-0100", "salary": 52000.5}


def body(response):
    """The JSON body with every number read exactly (money is a decimal on the wire)."""
    return json.loads(response.content, parse_float=Decimal)


def mechanic_json(mechanic: Mechanic) -> dict:
    return {
        "id": mechanic.pk,
        "name": mechanic.name,
        "email": mechanic.email,
        "phone": mechanic.phone,
        "salary": Decimal(mechanic.salary),
    }


def top_row(mechanic: Mechanic, ticket_count: int) -> dict:
    return {"id": mechanic.pk, "name": mechanic.name, "email": mechanic.email, "ticket_count": ticket_count}


@pytest.fixture
def clock(ratelimit_clock, staff_user):
    """Stopped 800 s before the next hourly window of the staff user's counters begins."""
    ratelimit_clock.set_into_window(account_key(staff_user), 3600 - BEFORE_NEXT_WINDOW)
    return ratelimit_clock


@pytest.fixture
def many_deletes(settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "mechanics_delete": "1000/hour"}


# --- who may call -------------------------------------------------------------------------------

ENDPOINTS = [
    ("get", "/mechanics"),
    ("post", "/mechanics"),
    ("get", "/mechanics/{id}"),
    ("put", "/mechanics/{id}"),
    ("patch", "/mechanics/{id}"),
    ("delete", "/mechanics/{id}"),
    ("get", "/mechanics/top-3-mechanics"),
]


@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_anonymous_callers_get_401_with_bearer_challenge(api_client, make_mechanic, method, path):
    mechanic = make_mechanic()
    response = getattr(api_client, method)(path.format(id=mechanic.pk), VALID, format="json")
    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert list(Mechanic.objects.all()) == [mechanic]


@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_customers_get_403_on_every_mechanic_endpoint(customer_client, make_mechanic, method, path):
    mechanic = make_mechanic()
    response = getattr(customer_client, method)(path.format(id=mechanic.pk), VALID, format="json")
    assert_error(response, 403)
    assert list(Mechanic.objects.values_list("name", flat=True)) == [mechanic.name]


def test_an_invalid_token_is_401(make_mechanic):
    make_mechanic()
    assert_error(client_with_token("not-a-jwt").get("/mechanics"), 401)


# --- list and retrieve ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/mechanics", "/mechanics/"])
def test_list_returns_every_mechanic_ordered_by_id(staff_client, make_mechanic, path):
    mechanics = [make_mechanic(salary=Decimal("1234567.89")), make_mechanic(), make_mechanic()]
    response = staff_client.get(path)
    assert response.status_code == 200
    assert body(response) == [mechanic_json(m) for m in mechanics]
    assert b'"salary":1234567.89' in response.content  # an exact JSON number, not a string


def test_list_of_no_mechanics_is_an_empty_array(staff_client):
    response = staff_client.get("/mechanics")
    assert response.status_code == 200
    assert response.json() == []


@pytest.mark.parametrize("path", ["/mechanics/{id}", "/mechanics/{id}/"])
def test_retrieve_returns_the_mechanic(staff_client, make_mechanic, path):
    make_mechanic()
    mechanic = make_mechanic(name="Grace")
    response = staff_client.get(path.format(id=mechanic.pk))
    assert response.status_code == 200
    assert body(response) == mechanic_json(mechanic)


@pytest.mark.parametrize("mechanic_id", ["0", "999999", str(2**63 - 1), str(2**70)])
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_unknown_or_out_of_range_id_is_404(staff_client, make_mechanic, many_deletes, method, mechanic_id):
    make_mechanic()
    response = getattr(staff_client, method)(f"/mechanics/{mechanic_id}", VALID, format="json")
    assert_error(response, 404)
    assert Mechanic.objects.count() == 1


@pytest.mark.parametrize("path", ["/mechanics/-1", "/mechanics/abc", "/mechanics/1.5", "/mechanics/1e3"])
def test_non_numeric_ids_in_path_are_json_404(staff_client, make_mechanic, path):
    make_mechanic()
    assert_error(staff_client.get(path), 404)


# --- create -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/mechanics", "/mechanics/"])
def test_create_returns_201_with_the_mechanic(staff_client, path):
    response = staff_client.post(path, VALID, format="json")
    assert response.status_code == 201
    mechanic = Mechanic.objects.get()
    assert body(response) == {
        "id": mechanic.pk,
        "name": "Ada Wrench",
        "email": "ada@example.com",
        "phone": "555-0100",
        "salary": Decimal("52000.50"),
    }
    assert mechanic.salary == Decimal("52000.50")
    assert mechanic.ticket_count == 0


def test_create_stores_email_lower_case_and_trimmed(staff_client):
    response = staff_client.post("/mechanics", {**VALID, "email": "  Ada.Wrench@Example.COM "}, format="json")
    assert response.status_code == 201
    assert response.json()["email"] == "ada.wrench@example.com"
    assert Mechanic.objects.get().email == "ada.wrench@example.com"


@pytest.mark.parametrize(
    "email",
    ["ada@example.com", "ADA@example.com", "ada@EXAMPLE.com", " Ada@Example.Com ", "ada\u200b@example.com"],
)
def test_duplicate_email_ignoring_case_and_invisible_characters_is_400_on_email(staff_client, make_mechanic, email):
    make_mechanic(email="ada@example.com")
    error = assert_error(staff_client.post("/mechanics", {**VALID, "email": email}, format="json"), 400, "email")
    assert list(error["fields"]) == ["email"]
    assert Mechanic.objects.count() == 1


@pytest.mark.parametrize("name", ["José Müller", "Zoë 🔧 Øverli", "渡辺 健", "x" * 255, 'O\'Brien "Spanner" <b>'])
def test_names_round_trip_unchanged(staff_client, name):
    response = staff_client.post("/mechanics", {**VALID, "name": name}, format="json")
    assert response.status_code == 201
    assert response.json()["name"] == name
    assert staff_client.get(f"/mechanics/{response.json()['id']}").json()["name"] == name
    assert Mechanic.objects.get().name == name


def test_invisible_characters_are_dropped_from_text_fields(staff_client):
    response = staff_client.post("/mechanics", {**VALID, "name": "\u200bAda\u200d Wrench\ufeff"}, format="json")
    assert response.status_code == 201
    assert response.json()["name"] == "Ada Wrench"
    assert Mechanic.objects.get().name == "Ada Wrench"


@pytest.mark.parametrize(
    "salary, stored",
    [
        (0, Decimal("0")),
        ("0.10", Decimal("0.10")),
        (9999999999.99, Decimal("9999999999.99")),
        (1e5, Decimal("100000")),
        ("-0", Decimal("0")),
        (-0.0, Decimal("0")),
    ],
)
def test_salary_edge_values_are_stored_exactly(staff_client, salary, stored):
    response = staff_client.post("/mechanics", {**VALID, "salary": salary}, format="json")
    assert response.status_code == 201
    assert Mechanic.objects.get().salary == stored
    assert body(response)["salary"] == stored
    assert b'"salary":-' not in response.content  # no negative zero on the wire


@pytest.mark.parametrize("field", ["name", "email", "phone", "salary"])
def test_missing_field_is_400_naming_it(staff_client, field):
    data = {k: v for k, v in VALID.items() if k != field}
    assert_error(staff_client.post("/mechanics", data, format="json"), 400, field)
    assert not Mechanic.objects.exists()


def test_every_missing_field_is_reported_at_once(staff_client):
    error = assert_error(staff_client.post("/mechanics", {}, format="json"), 400)
    assert set(error["fields"]) == {"name", "email", "phone", "salary"}


BAD_VALUES = [
    ("name", None),
    ("name", ""),
    ("name", "   "),
    ("name", "\u200b\u200b"),
    ("name", "x" * 256),
    ("name", True),
    ("name", ["Ada"]),
    ("name", {"first": "Ada"}),
    ("name", "Ada\x00Wrench"),
    ("email", None),
    ("email", "not-an-email"),
    ("email", "a" * 250 + "@example.com"),
    ("email", 5),
    ("email", True),
    ("email", ["ada@example.com"]),
    ("phone", None),
    ("phone", ""),
    ("phone", "1" * 33),
    ("phone", []),
    ("phone", {"n": 1}),
    ("salary", None),
    ("salary", ""),
    ("salary", "abc"),
    ("salary", -1),
    ("salary", "-0.01"),
    ("salary", 1e20),
    ("salary", 10**10),
    ("salary", 2**70),
    ("salary", 1.005),
    ("salary", "1.005"),
    ("salary", True),
    ("salary", [1]),
    ("salary", {"amount": 1}),
    ("salary", "NaN"),
    ("salary", "Infinity"),
]


@pytest.mark.parametrize("field, value", BAD_VALUES)
def test_create_rejects_bad_values_with_400_on_the_field(staff_client, field, value):
    error = assert_error(staff_client.post("/mechanics", {**VALID, field: value}, format="json"), 400, field)
    assert list(error["fields"]) == [field]
    assert not Mechanic.objects.exists()


@pytest.mark.parametrize("field, value", BAD_VALUES)
def test_patch_rejects_bad_values_and_changes_nothing(staff_client, make_mechanic, field, value):
    mechanic = make_mechanic()
    before = mechanic_json(mechanic)
    assert_error(staff_client.patch(f"/mechanics/{mechanic.pk}", {field: value}, format="json"), 400, field)
    mechanic.refresh_from_db()
    assert mechanic_json(mechanic) == before


def test_unknown_and_read_only_fields_are_ignored(staff_client, make_mechanic):
    existing = make_mechanic(name="Existing")
    data = {**VALID, "id": existing.pk, "rank": "chief", "ticket_count": 99}
    response = staff_client.post("/mechanics", data, format="json")
    assert response.status_code == 201
    assert response.json()["id"] != existing.pk
    assert "rank" not in response.json() and "ticket_count" not in response.json()
    assert Mechanic.objects.get(pk=response.json()["id"]).ticket_count == 0
    existing.refresh_from_db()
    assert existing.name == "Existing"


# --- request bodies that are not a JSON object --------------------------------------------------


@pytest.mark.parametrize("raw", ["[]", '[{"name": "Ada"}]', '"Ada"', "42", "null", "true"])
@pytest.mark.parametrize(
    "method, path", [("post", "/mechanics"), ("put", "/mechanics/{id}"), ("patch", "/mechanics/{id}")]
)
def test_json_that_is_not_an_object_is_400(staff_client, make_mechanic, method, path, raw):
    mechanic = make_mechanic()
    before = mechanic_json(mechanic)
    response = getattr(staff_client, method)(path.format(id=mechanic.pk), raw, content_type="application/json")
    assert_error(response, 400)
    mechanic.refresh_from_db()
    assert [mechanic_json(m) for m in Mechanic.objects.all()] == [before]


@pytest.mark.parametrize("raw", ['{"name": "Ada"', "{'name': 'Ada'}", "name=Ada", '{"salary": NaN}'])
def test_malformed_json_is_400(staff_client, raw):
    assert_error(staff_client.post("/mechanics", raw, content_type="application/json"), 400)
    assert not Mechanic.objects.exists()


@pytest.mark.parametrize(
    "raw, content_type",
    [
        ('{"name": "Ada"}', "text/plain"),
        ("name=Ada&email=ada%40example.com", "application/x-www-form-urlencoded"),
        ("<mechanic/>", "application/xml"),
    ],
)
def test_other_content_types_are_415(staff_client, raw, content_type):
    assert_error(staff_client.post("/mechanics", raw, content_type=content_type), 415)
    assert not Mechanic.objects.exists()


def test_multipart_form_is_415(staff_client):
    assert_error(staff_client.post("/mechanics", VALID, format="multipart"), 415)
    assert not Mechanic.objects.exists()


# --- update ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/mechanics/{id}", "/mechanics/{id}/"])
def test_put_replaces_every_field(staff_client, make_mechanic, path):
    mechanic = make_mechanic()
    data = {"name": "Linus Torque", "email": "LINUS@example.com", "phone": "555-9999", "salary": "61000.25"}
    response = staff_client.put(path.format(id=mechanic.pk), data, format="json")
    assert response.status_code == 200
    assert body(response) == {
        "id": mechanic.pk,
        "name": "Linus Torque",
        "email": "linus@example.com",
        "phone": "555-9999",
        "salary": Decimal("61000.25"),
    }
    mechanic.refresh_from_db()
    assert (mechanic.email, mechanic.salary) == ("linus@example.com", Decimal("61000.25"))


def test_put_without_every_field_is_400(staff_client, make_mechanic):
    mechanic = make_mechanic()
    response = staff_client.put(f"/mechanics/{mechanic.pk}", {"name": "Only"}, format="json")
    assert_error(response, 400, "email", "phone", "salary")
    mechanic.refresh_from_db()
    assert mechanic.name != "Only"


@pytest.mark.parametrize("path", ["/mechanics/{id}", "/mechanics/{id}/"])
def test_patch_changes_only_given_fields(staff_client, make_mechanic, path):
    mechanic = make_mechanic()
    before = mechanic_json(mechanic)
    response = staff_client.patch(path.format(id=mechanic.pk), {"salary": 0}, format="json")
    assert response.status_code == 200
    assert body(response) == {**before, "salary": Decimal("0")}
    mechanic.refresh_from_db()
    assert mechanic_json(mechanic) == {**before, "salary": Decimal("0")}


def test_patch_to_another_mechanics_email_in_another_case_is_400(staff_client, make_mechanic):
    make_mechanic(email="taken@example.com")
    mechanic = make_mechanic(email="mine@example.com")
    response = staff_client.patch(f"/mechanics/{mechanic.pk}", {"email": "Taken@Example.com"}, format="json")
    assert_error(response, 400, "email")
    mechanic.refresh_from_db()
    assert mechanic.email == "mine@example.com"


def test_patch_own_email_in_another_case_is_allowed(staff_client, make_mechanic):
    mechanic = make_mechanic(email="mine@example.com")
    response = staff_client.patch(f"/mechanics/{mechanic.pk}", {"email": "MINE@example.com"}, format="json")
    assert response.status_code == 200
    assert response.json()["email"] == "mine@example.com"


def test_update_keeps_the_ticket_count(staff_client, make_mechanic, make_ticket):
    mechanic = make_mechanic()
    make_ticket(mechanics=[mechanic])
    assert staff_client.patch(f"/mechanics/{mechanic.pk}", {"name": "Renamed"}, format="json").status_code == 200
    assert staff_client.get("/mechanics/top-3-mechanics").json() == [{**top_row(mechanic, 1), "name": "Renamed"}]


# --- delete ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/mechanics/{id}", "/mechanics/{id}/"])
def test_delete_free_mechanic_is_204_with_empty_body(staff_client, make_mechanic, path):
    keep, gone = make_mechanic(), make_mechanic()
    response = staff_client.delete(path.format(id=gone.pk))
    assert response.status_code == 204
    assert response.content == b""
    assert list(Mechanic.objects.values_list("pk", flat=True)) == [keep.pk]


def test_delete_mechanic_on_tickets_is_409_and_keeps_them(staff_client, make_mechanic, make_ticket):
    mechanic = make_mechanic()
    make_ticket(mechanics=[mechanic])
    make_ticket(mechanics=[mechanic])
    error = assert_error(staff_client.delete(f"/mechanics/{mechanic.pk}"), 409)
    assert error["error"].endswith(".") and "2 ticket" in error["error"]
    assert Mechanic.objects.filter(pk=mechanic.pk).exists()
    assert mechanic.ticket_links.count() == 2


def test_delete_mechanic_billed_on_a_labor_line_is_409_and_keeps_them(staff_client, make_mechanic, make_ticket):
    from tickets.models import TicketLine

    mechanic = make_mechanic()
    line = TicketLine.objects.create(
        ticket=make_ticket(), kind="labor", description="Brakes", quantity=1, unit_price=80, mechanic=mechanic
    )
    error = assert_error(staff_client.delete(f"/mechanics/{mechanic.pk}"), 409)
    assert "1 ticket line" in error["error"]
    assert TicketLine.objects.get(pk=line.pk).mechanic_id == mechanic.pk


def test_deleted_mechanic_is_gone_from_reads(staff_client, make_mechanic, many_deletes):
    mechanic = make_mechanic()
    assert staff_client.get(f"/mechanics/{mechanic.pk}").status_code == 200
    assert body(staff_client.get("/mechanics")) == [mechanic_json(mechanic)]
    assert staff_client.delete(f"/mechanics/{mechanic.pk}").status_code == 204
    assert_error(staff_client.get(f"/mechanics/{mechanic.pk}"), 404)
    assert staff_client.get("/mechanics").json() == []
    assert_error(staff_client.delete(f"/mechanics/{mechanic.pk}"), 404)


# --- rate limits ----------------------------------------------------------------------------------


def test_delete_is_rate_limited_to_one_per_hour_by_default(staff_client, make_mechanic, clock):
    first, second = make_mechanic(), make_mechanic()
    assert staff_client.delete(f"/mechanics/{first.pk}").status_code == 204
    response = staff_client.delete(f"/mechanics/{second.pk}")
    assert_error(response, 429)
    assert response["Retry-After"] == str(BEFORE_NEXT_WINDOW)
    assert Mechanic.objects.filter(pk=second.pk).exists()
    # Other actions are not in the delete scope.
    assert staff_client.get(f"/mechanics/{second.pk}").status_code == 200
    assert staff_client.patch(f"/mechanics/{second.pk}", {"name": "Still here"}, format="json").status_code == 200


def test_a_refused_delete_counts_against_the_limit_too(staff_client, make_mechanic, make_ticket, clock):
    busy, free = make_mechanic(), make_mechanic()
    make_ticket(mechanics=[busy])
    assert_error(staff_client.delete(f"/mechanics/{busy.pk}"), 409)
    assert_error(staff_client.delete(f"/mechanics/{free.pk}"), 429)
    assert Mechanic.objects.count() == 2


def test_list_is_rate_limited_to_five_per_hour_by_default(staff_client, make_mechanic, clock):
    mechanic = make_mechanic()
    # Cached hits count as well: the limit is checked before the cache is looked at.
    assert [staff_client.get("/mechanics").status_code for _ in range(5)] == [200] * 5
    response = staff_client.get("/mechanics")
    assert_error(response, 429)
    assert response["Retry-After"] == str(BEFORE_NEXT_WINDOW)
    assert_error(staff_client.get("/mechanics?page=1&per_page=5"), 429)
    # Reading one mechanic and the ranking are not the list scope.
    assert staff_client.get(f"/mechanics/{mechanic.pk}").status_code == 200
    assert staff_client.get("/mechanics/top-3-mechanics").status_code == 200


def test_each_staff_user_has_a_list_limit_of_their_own(staff_client, make_staff, client_for, clock):
    for _ in range(5):
        staff_client.get("/mechanics")
    assert_error(staff_client.get("/mechanics"), 429)
    assert client_for(make_staff()).get("/mechanics").status_code == 200


def test_the_list_limit_resets_in_the_next_window(staff_client, clock):
    for _ in range(5):
        assert staff_client.get("/mechanics").status_code == 200
    assert_error(staff_client.get("/mechanics"), 429)
    clock.advance(BEFORE_NEXT_WINDOW)
    assert staff_client.get("/mechanics").status_code == 200


@pytest.mark.parametrize("caller, status", [("api_client", 401), ("customer_client", 403)])
def test_refused_callers_are_not_told_429(request, clock, caller, status):
    client = request.getfixturevalue(caller)
    assert [client.get("/mechanics").status_code for _ in range(7)] == [status] * 7


def test_throttle_rates_setting_changes_the_limit(staff_client, settings, clock):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "mechanics_list": "2/minute"}
    assert [staff_client.get("/mechanics").status_code for _ in range(3)] == [200, 200, 429]


# --- cached reads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/mechanics", "/mechanics/{id}"])
def test_a_second_read_is_a_cache_hit_with_age_and_no_query(
    staff_client, make_mechanic, throttling_off, django_assert_num_queries, path
):
    mechanic = make_mechanic()
    url = path.format(id=mechanic.pk)
    miss = staff_client.get(url)
    assert miss.status_code == 200
    assert "Age" not in miss
    with django_assert_num_queries(0):  # principal, rate limit and page all come from the cache
        hit = staff_client.get(url)
    assert hit.status_code == 200
    assert int(hit["Age"]) >= 0
    assert hit.content == miss.content


def test_a_paged_list_is_cached_with_its_headers(
    staff_client, make_mechanic, throttling_off, django_assert_num_queries
):
    for _ in range(3):
        make_mechanic()
    miss = staff_client.get("/mechanics?page=2&per_page=2")
    with django_assert_num_queries(0):
        hit = staff_client.get("/mechanics?page=2&per_page=2")
    assert "Age" in hit
    assert (hit.content, hit["X-Total-Count"], hit["Link"]) == (miss.content, miss["X-Total-Count"], miss["Link"])


def test_all_staff_share_the_cached_list(staff_client, make_staff, client_for, make_mechanic, throttling_off):
    make_mechanic()
    staff_client.get("/mechanics")
    assert "Age" in staff_client.get("/mechanics")
    assert "Age" in client_for(make_staff()).get("/mechanics")


@pytest.mark.parametrize("caller, status", [("api_client", 401), ("customer_client", 403)])
@pytest.mark.parametrize("path", ["/mechanics", "/mechanics/{id}"])
def test_a_staff_warmed_page_is_not_served_to_others(
    request, staff_client, make_mechanic, throttling_off, caller, status, path
):
    url = path.format(id=make_mechanic().pk)
    staff_client.get(url)
    assert "Age" in staff_client.get(url)
    response = request.getfixturevalue(caller).get(url)
    assert_error(response, status)
    assert "Age" not in response


def test_an_api_write_is_visible_on_the_next_read(staff_client, make_mechanic, throttling_off):
    mechanic = make_mechanic(name="Before")
    other = make_mechanic()
    urls = ["/mechanics", f"/mechanics/{mechanic.pk}", f"/mechanics/{other.pk}"]
    for url in urls:
        staff_client.get(url)
        assert "Age" in staff_client.get(url)

    assert staff_client.patch(f"/mechanics/{mechanic.pk}", {"name": "After"}, format="json").status_code == 200

    fresh = {url: staff_client.get(url) for url in urls}
    assert all("Age" not in response for response in fresh.values())
    assert fresh[f"/mechanics/{mechanic.pk}"].json()["name"] == "After"
    assert [m["name"] for m in fresh["/mechanics"].json()] == ["After", other.name]


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda client, m: client.post("/mechanics", VALID, format="json"), id="create"),
        pytest.param(lambda client, m: client.put(f"/mechanics/{m.pk}", VALID, format="json"), id="put"),
        pytest.param(lambda client, m: client.delete(f"/mechanics/{m.pk}"), id="delete"),
        pytest.param(
            lambda client, m: services.mechanic_update(mechanic_id=m.pk, changes={"name": "Renamed"}), id="service"
        ),
    ],
)
def test_every_write_makes_the_list_fresh(staff_client, make_mechanic, throttling_off, write):
    mechanic = make_mechanic(name="Cached")
    staff_client.get("/mechanics")
    assert "Age" in staff_client.get("/mechanics")
    write(staff_client, mechanic)
    response = staff_client.get("/mechanics")
    assert "Age" not in response
    assert body(response) == [mechanic_json(m) for m in Mechanic.objects.all()]


def test_a_failed_write_leaves_the_cached_read_correct(staff_client, make_mechanic, throttling_off):
    make_mechanic(email="taken@example.com")
    mechanic = make_mechanic()
    staff_client.get(f"/mechanics/{mechanic.pk}")
    response = staff_client.patch(f"/mechanics/{mechanic.pk}", {"email": "taken@example.com"}, format="json")
    assert_error(response, 400, "email")
    assert body(staff_client.get(f"/mechanics/{mechanic.pk}")) == mechanic_json(mechanic)


# --- top 3 ----------------------------------------------------------------------------------------


@pytest.fixture
def busy_shop(make_mechanic, make_ticket):
    """Five mechanics on 3, 1, 3, 0 and 2 tickets."""
    mechanics = [make_mechanic() for _ in range(5)]
    a, b, c, _, e = mechanics
    for crew in ([a, b, c, e], [a, c, e], [a, c]):
        make_ticket(mechanics=crew)
    return mechanics


@pytest.mark.parametrize("path", ["/mechanics/top-3-mechanics", "/mechanics/top-3-mechanics/"])
def test_top_3_is_most_tickets_first_ties_to_lower_id(staff_client, busy_shop, path):
    a, _, c, _, e = busy_shop
    response = staff_client.get(path)
    assert response.status_code == 200
    assert response.json() == [top_row(a, 3), top_row(c, 3), top_row(e, 2)]
    assert all(list(row) == ["id", "name", "email", "ticket_count"] for row in response.json())


def test_top_3_tie_goes_to_the_lower_id_whatever_the_order_of_tickets(staff_client, make_mechanic, make_ticket):
    low, high = make_mechanic(), make_mechanic()
    make_ticket(mechanics=[high])
    make_ticket(mechanics=[low])
    assert staff_client.get("/mechanics/top-3-mechanics").json() == [top_row(low, 1), top_row(high, 1)]


def test_top_3_fills_with_mechanics_without_tickets_by_id(staff_client, make_mechanic, make_ticket):
    idle_1, idle_2, busy, _idle_3 = (make_mechanic() for _ in range(4))
    make_ticket(mechanics=[busy])
    assert staff_client.get("/mechanics/top-3-mechanics").json() == [
        top_row(busy, 1),
        top_row(idle_1, 0),
        top_row(idle_2, 0),
    ]


@pytest.mark.parametrize("count", [0, 1, 2])
def test_top_3_of_fewer_than_three_mechanics_lists_them_all(staff_client, make_mechanic, make_ticket, count):
    mechanics = [make_mechanic() for _ in range(count)]
    if mechanics:
        make_ticket(mechanics=mechanics[-1:])
    response = staff_client.get("/mechanics/top-3-mechanics")
    assert response.status_code == 200
    # The last-created mechanic holds the only ticket, so they lead; the rest follow by id.
    assert response.json() == [top_row(m, 1) for m in mechanics[-1:]] + [top_row(m, 0) for m in mechanics[:-1]]


def test_top_3_counts_tickets_not_parts(staff_client, make_mechanic, make_ticket, make_item):
    mechanic = make_mechanic()
    make_ticket(mechanics=[mechanic], parts=[(make_item(), 2), (make_item(), 5)])
    make_ticket(parts=[(make_item(), 1)])
    assert staff_client.get("/mechanics/top-3-mechanics").json() == [top_row(mechanic, 1)]


def test_top_3_follows_assignment_changes_at_once(staff_client, make_mechanic, make_ticket):
    first, second = make_mechanic(), make_mechanic()
    ticket = make_ticket(mechanics=[first])
    assert staff_client.get("/mechanics/top-3-mechanics").json() == [top_row(first, 1), top_row(second, 0)]
    assert staff_client.put(f"/tickets/{ticket.pk}/remove-mechanic/{first.pk}").status_code == 200
    assert staff_client.put(f"/tickets/{ticket.pk}/assign-mechanic/{second.pk}").status_code == 200
    assert staff_client.get("/mechanics/top-3-mechanics").json() == [top_row(second, 1), top_row(first, 0)]


def test_top_3_is_not_paginated(staff_client, busy_shop):
    response = staff_client.get("/mechanics/top-3-mechanics?page=2&per_page=1")
    assert response.status_code == 200
    assert len(response.json()) == 3
    assert "X-Total-Count" not in response


def test_top_3_is_one_query(staff_client, busy_shop, django_assert_num_queries):
    staff_client.get("/mechanics/top-3-mechanics")  # caches the staff principal
    with django_assert_num_queries(1):
        response = staff_client.get("/mechanics/top-3-mechanics")
    assert [row["ticket_count"] for row in response.json()] == [3, 3, 2]


# --- methods ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("delete", "/mechanics"),
        ("put", "/mechanics"),
        ("patch", "/mechanics/"),
        ("post", "/mechanics/{id}"),
        ("post", "/mechanics/{id}/"),
        ("post", "/mechanics/top-3-mechanics"),
        ("delete", "/mechanics/top-3-mechanics/"),
        ("put", "/mechanics/top-3-mechanics"),
    ],
)
def test_wrong_method_is_405_in_json(staff_client, make_mechanic, method, path):
    mechanic = make_mechanic()
    response = getattr(staff_client, method)(path.format(id=mechanic.pk), VALID, format="json")
    assert_error(response, 405)
    assert list(Mechanic.objects.all()) == [mechanic]


# --- pagination -------------------------------------------------------------------------------------


def link_pages(response, per_page: int) -> dict[str, int]:
    """{rel: page} from an RFC 8288 Link header."""
    pages = {}
    for part in response["Link"].split(","):
        url, rel = part.split(";")
        url = url.strip().removeprefix("<").removesuffix(">")
        query = parse_qs(urlsplit(url).query)
        assert query["per_page"] == [str(per_page)]
        pages[rel.strip().removeprefix('rel="').removesuffix('"')] = int(query["page"][0])
    return pages


@pytest.mark.parametrize(
    "page, expected_rows, links",
    [
        (1, [0, 1], {"first": 1, "next": 2, "last": 3}),
        (2, [2, 3], {"first": 1, "prev": 1, "next": 3, "last": 3}),
        (3, [4], {"first": 1, "prev": 2, "last": 3}),
    ],
)
def test_pages_carry_total_and_link_header(staff_client, make_mechanic, throttling_off, page, expected_rows, links):
    mechanics = [make_mechanic() for _ in range(5)]
    response = staff_client.get(f"/mechanics?page={page}&per_page=2")
    assert response.status_code == 200
    assert body(response) == [mechanic_json(mechanics[i]) for i in expected_rows]
    assert response["X-Total-Count"] == "5"
    assert link_pages(response, 2) == links


def test_page_past_the_end_is_an_empty_array(staff_client, make_mechanic, throttling_off):
    make_mechanic()
    response = staff_client.get("/mechanics/?page=9&per_page=2")
    assert response.status_code == 200
    assert response.json() == []
    assert response["X-Total-Count"] == "1"
    assert link_pages(response, 2) == {"first": 1, "prev": 1, "last": 1}


@pytest.mark.parametrize(
    "query",
    [
        "page=abc&per_page=2",
        "page=0&per_page=2",
        "page=-1&per_page=2",
        "page=1.5&per_page=2",
        "page=&per_page=2",
        "page=1&per_page=0",
        "page=1&per_page=-1",
        "page=1&per_page=101",
        "page=1&per_page=abc",
        "page=1&per_page=1.5",
        f"page={2**70}&per_page=2",
        "page=1",
        "per_page=2",
    ],
)
def test_bad_paging_parameters_are_400(staff_client, make_mechanic, throttling_off, query):
    make_mechanic()
    assert_error(staff_client.get(f"/mechanics?{query}"), 400)


def test_without_paging_parameters_the_whole_list_is_returned(staff_client, make_mechanic):
    Mechanic.objects.bulk_create(
        [Mechanic(name=f"M{i}", email=f"m{i}@example.com", phone="1", salary=1) for i in range(105)]
    )
    response = staff_client.get("/mechanics")
    assert [row["name"] for row in response.json()] == [f"M{i}" for i in range(105)]
    assert "Link" not in response and "X-Total-Count" not in response
