"""The /mechanics endpoints as an API client sees them (API.md, "Mechanic")."""

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from core.tests.asserts import assert_error
from core.throttling import ScopedRateThrottle
from mechanics.models import Mechanic

FIXED_NOW = 1_000_000.0  # 800 s before an hour boundary (278 * 3600 = 1_000_800)

VALID = {"name": "Ada Wrench", "email": "ada@example.com", "phone": "555-0100", "salary": 52000.5}


def mechanic_json(mechanic: Mechanic) -> dict:
    return {
        "id": mechanic.pk,
        "name": mechanic.name,
        "email": mechanic.email,
        "phone": mechanic.phone,
        "salary": float(mechanic.salary),
    }


@pytest.fixture
def no_throttling(settings):
    settings.THROTTLING_ENABLED = False


# --- who may call -------------------------------------------------------------------------------

ENDPOINTS = [
    ("get", "/mechanics"),
    ("post", "/mechanics"),
    ("get", "/mechanics/1"),
    ("put", "/mechanics/1"),
    ("patch", "/mechanics/1"),
    ("delete", "/mechanics/1"),
    ("get", "/mechanics/top-3-mechanics"),
]


@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_anonymous_callers_get_401_with_bearer_challenge(api_client, make_mechanic, method, path):
    make_mechanic()
    response = getattr(api_client, method)(path, VALID, format="json")
    assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Mechanic.objects.count() == 1


@pytest.mark.parametrize("method, path", ENDPOINTS)
def test_customers_get_403_on_every_mechanic_endpoint(customer_client, make_mechanic, method, path):
    mechanic = make_mechanic()
    response = getattr(customer_client, method)(path, VALID, format="json")
    assert_error(response, 403)
    assert list(Mechanic.objects.values_list("name", flat=True)) == [mechanic.name]


# --- list and retrieve ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/mechanics", "/mechanics/"])
def test_list_returns_every_mechanic_ordered_by_id(staff_client, make_mechanic, path):
    mechanics = [make_mechanic(salary=Decimal("1234567.89")), make_mechanic(), make_mechanic()]
    response = staff_client.get(path)
    assert response.status_code == 200
    assert response.json() == [mechanic_json(m) for m in mechanics]
    assert response.json()[0]["salary"] == 1234567.89


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
    assert response.json() == mechanic_json(mechanic)


@pytest.mark.parametrize("mechanic_id", ["0", "999999", str(2**63 - 1), str(2**70)])
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_unknown_or_out_of_range_id_is_404(staff_client, make_mechanic, method, mechanic_id):
    make_mechanic()
    response = getattr(staff_client, method)(f"/mechanics/{mechanic_id}", VALID, format="json")
    assert_error(response, 404)
    assert Mechanic.objects.count() == 1


@pytest.mark.parametrize("path", ["/mechanics/-1", "/mechanics/abc", "/mechanics/1.5"])
def test_non_numeric_ids_in_path_are_json_404(staff_client, make_mechanic, path):
    make_mechanic()
    assert_error(staff_client.get(path), 404)


def test_retrieve_after_update_is_not_served_stale_from_cache(staff_client, make_mechanic):
    mechanic = make_mechanic(name="Before")
    assert staff_client.get(f"/mechanics/{mechanic.pk}").json()["name"] == "Before"
    assert staff_client.get("/mechanics").json()[0]["name"] == "Before"
    assert staff_client.patch(f"/mechanics/{mechanic.pk}", {"name": "After"}, format="json").status_code == 200
    assert staff_client.get(f"/mechanics/{mechanic.pk}").json()["name"] == "After"
    assert staff_client.get("/mechanics").json()[0]["name"] == "After"


# --- create -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/mechanics", "/mechanics/"])
def test_create_returns_201_with_the_mechanic(staff_client, path):
    response = staff_client.post(path, VALID, format="json")
    assert response.status_code == 201
    mechanic = Mechanic.objects.get()
    assert response.json() == {
        "id": mechanic.pk,
        "name": "Ada Wrench",
        "email": "ada@example.com",
        "phone": "555-0100",
        "salary": 52000.5,
    }
    assert mechanic.salary == Decimal("52000.50")


def test_create_stores_email_lower_case(staff_client):
    response = staff_client.post("/mechanics", {**VALID, "email": "  Ada.Wrench@Example.COM "}, format="json")
    assert response.status_code == 201
    assert response.json()["email"] == "ada.wrench@example.com"
    assert Mechanic.objects.get().email == "ada.wrench@example.com"


@pytest.mark.parametrize("email", ["ADA@example.com", "ada@EXAMPLE.com", "Ada@Example.Com"])
def test_duplicate_email_in_another_case_is_400_on_email(staff_client, make_mechanic, email):
    make_mechanic(email="ada@example.com")
    body = assert_error(staff_client.post("/mechanics", {**VALID, "email": email}, format="json"), 400, "email")
    assert list(body["fields"]) == ["email"]
    assert Mechanic.objects.count() == 1


@pytest.mark.parametrize(
    "name",
    ["José Müller", "Zoë 🔧 Øverli", "渡辺 健", "x" * 255, 'O\'Brien "Spanner" <b>'],
)
def test_names_round_trip_unchanged(staff_client, name):
    response = staff_client.post("/mechanics", {**VALID, "name": name}, format="json")
    assert response.status_code == 201
    assert response.json()["name"] == name
    assert staff_client.get(f"/mechanics/{response.json()['id']}").json()["name"] == name
    assert Mechanic.objects.get().name == name


@pytest.mark.parametrize(
    "salary, stored",
    [(0, Decimal("0")), ("0.10", Decimal("0.10")), (9999999999.99, Decimal("9999999999.99")), (1e5, Decimal("100000"))],
)
def test_salary_edge_values_are_stored_exactly(staff_client, salary, stored):
    response = staff_client.post("/mechanics", {**VALID, "salary": salary}, format="json")
    assert response.status_code == 201
    assert Mechanic.objects.get().salary == stored
    assert response.json()["salary"] == float(stored)
    assert not isinstance(response.json()["salary"], (str, bool))


@pytest.mark.parametrize("field", ["name", "email", "phone", "salary"])
def test_missing_field_is_400_naming_it(staff_client, field):
    body = {k: v for k, v in VALID.items() if k != field}
    assert_error(staff_client.post("/mechanics", body, format="json"), 400, field)
    assert not Mechanic.objects.exists()


BAD_VALUES = [
    ("name", None),
    ("name", ""),
    ("name", "   "),
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
    assert_error(staff_client.post("/mechanics", {**VALID, field: value}, format="json"), 400, field)
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
    response = staff_client.post("/mechanics", {**VALID, "id": existing.pk, "rank": "chief"}, format="json")
    assert response.status_code == 201
    assert response.json()["id"] != existing.pk
    assert "rank" not in response.json()
    existing.refresh_from_db()
    assert existing.name == "Existing"


# --- request bodies that are not a JSON object --------------------------------------------------


@pytest.mark.parametrize("body", ["[]", '[{"name": "Ada"}]', '"Ada"', "42", "null", "true"])
@pytest.mark.parametrize(
    "method, path", [("post", "/mechanics"), ("put", "/mechanics/{id}"), ("patch", "/mechanics/{id}")]
)
def test_json_that_is_not_an_object_is_400(staff_client, make_mechanic, method, path, body):
    mechanic = make_mechanic()
    response = getattr(staff_client, method)(path.format(id=mechanic.pk), body, content_type="application/json")
    assert_error(response, 400)
    assert Mechanic.objects.count() == 1


@pytest.mark.parametrize("body", ['{"name": "Ada"', "{'name': 'Ada'}", "name=Ada", '{"salary": NaN}'])
def test_malformed_json_is_400(staff_client, body):
    assert_error(staff_client.post("/mechanics", body, content_type="application/json"), 400)
    assert not Mechanic.objects.exists()


@pytest.mark.parametrize(
    "body, content_type",
    [
        ('{"name": "Ada"}', "text/plain"),
        ("name=Ada&email=ada%40example.com", "application/x-www-form-urlencoded"),
        ("<mechanic/>", "application/xml"),
    ],
)
def test_other_content_types_are_415(staff_client, body, content_type):
    assert_error(staff_client.post("/mechanics", body, content_type=content_type), 415)
    assert not Mechanic.objects.exists()


def test_multipart_form_is_415(staff_client):
    assert_error(staff_client.post("/mechanics", VALID, format="multipart"), 415)
    assert not Mechanic.objects.exists()


# --- update ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/mechanics/{id}", "/mechanics/{id}/"])
def test_put_replaces_every_field(staff_client, make_mechanic, path):
    mechanic = make_mechanic()
    body = {"name": "Linus Torque", "email": "LINUS@example.com", "phone": "555-9999", "salary": "61000.25"}
    response = staff_client.put(path.format(id=mechanic.pk), body, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "id": mechanic.pk,
        "name": "Linus Torque",
        "email": "linus@example.com",
        "phone": "555-9999",
        "salary": 61000.25,
    }
    mechanic.refresh_from_db()
    assert (mechanic.email, mechanic.salary) == ("linus@example.com", Decimal("61000.25"))


def test_put_without_every_field_is_400(staff_client, make_mechanic):
    mechanic = make_mechanic()
    assert_error(
        staff_client.put(f"/mechanics/{mechanic.pk}", {"name": "Only"}, format="json"), 400, "email", "phone", "salary"
    )
    mechanic.refresh_from_db()
    assert mechanic.name != "Only"


@pytest.mark.parametrize("path", ["/mechanics/{id}", "/mechanics/{id}/"])
def test_patch_changes_only_given_fields(staff_client, make_mechanic, path):
    mechanic = make_mechanic()
    before = mechanic_json(mechanic)
    response = staff_client.patch(path.format(id=mechanic.pk), {"salary": 0}, format="json")
    assert response.status_code == 200
    assert response.json() == {**before, "salary": 0}


def test_patch_to_another_mechanics_email_in_another_case_is_400(staff_client, make_mechanic):
    make_mechanic(email="taken@example.com")
    mechanic = make_mechanic(email="mine@example.com")
    assert_error(
        staff_client.patch(f"/mechanics/{mechanic.pk}", {"email": "Taken@Example.com"}, format="json"), 400, "email"
    )
    mechanic.refresh_from_db()
    assert mechanic.email == "mine@example.com"


def test_patch_own_email_in_another_case_is_allowed(staff_client, make_mechanic):
    mechanic = make_mechanic(email="mine@example.com")
    response = staff_client.patch(f"/mechanics/{mechanic.pk}", {"email": "MINE@example.com"}, format="json")
    assert response.status_code == 200
    assert response.json()["email"] == "mine@example.com"


# --- delete ---------------------------------------------------------------------------------------


@pytest.fixture
def many_deletes(settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "mechanics_delete": "1000/hour"}


@pytest.mark.parametrize("path", ["/mechanics/{id}", "/mechanics/{id}/"])
def test_delete_free_mechanic_is_204_with_empty_body(staff_client, make_mechanic, path):
    keep, gone = make_mechanic(), make_mechanic()
    response = staff_client.delete(path.format(id=gone.pk))
    assert response.status_code == 204
    assert response.content == b""
    assert list(Mechanic.objects.values_list("pk", flat=True)) == [keep.pk]


def test_delete_mechanic_on_a_ticket_is_409_and_keeps_them(staff_client, make_mechanic, make_ticket):
    mechanic = make_mechanic()
    make_ticket(mechanics=[mechanic])
    make_ticket(mechanics=[mechanic])
    body = assert_error(staff_client.delete(f"/mechanics/{mechanic.pk}"), 409)
    assert body["error"].endswith(".") and " " in body["error"]
    assert "2 ticket" in body["error"]
    assert Mechanic.objects.filter(pk=mechanic.pk).exists()
    assert mechanic.ticket_links.count() == 2


def test_deleted_mechanic_is_gone_from_reads(staff_client, make_mechanic, many_deletes):
    mechanic = make_mechanic()
    assert staff_client.get(f"/mechanics/{mechanic.pk}").status_code == 200
    assert staff_client.get("/mechanics").json() == [mechanic_json(mechanic)]
    assert staff_client.delete(f"/mechanics/{mechanic.pk}").status_code == 204
    assert_error(staff_client.get(f"/mechanics/{mechanic.pk}"), 404)
    assert staff_client.get("/mechanics").json() == []
    assert_error(staff_client.delete(f"/mechanics/{mechanic.pk}"), 404)


def test_delete_is_rate_limited_to_one_per_hour_by_default(staff_client, make_mechanic, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "timer", staticmethod(lambda: FIXED_NOW))
    first, second = make_mechanic(), make_mechanic()
    assert staff_client.delete(f"/mechanics/{first.pk}").status_code == 204
    response = staff_client.delete(f"/mechanics/{second.pk}")
    assert_error(response, 429)
    assert response["Retry-After"] == "800"
    assert Mechanic.objects.filter(pk=second.pk).exists()


def test_list_is_rate_limited_to_five_per_hour_by_default(staff_client, make_mechanic, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "timer", staticmethod(lambda: FIXED_NOW))
    make_mechanic()
    assert [staff_client.get("/mechanics").status_code for _ in range(5)] == [200] * 5
    response = staff_client.get("/mechanics")
    assert_error(response, 429)
    assert response["Retry-After"] == "800"
    # Reading one mechanic is not the list scope.
    assert staff_client.get("/mechanics/top-3-mechanics").status_code == 200


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
    assert Mechanic.objects.count() == 1


# --- pagination -------------------------------------------------------------------------------------


def link_pages(response) -> dict[str, int]:
    """{rel: page} from an RFC 8288 Link header."""
    pages = {}
    for part in response["Link"].split(","):
        url, rel = part.split(";")
        url = url.strip().removeprefix("<").removesuffix(">")
        query = parse_qs(urlsplit(url).query)
        assert query["per_page"] == ["2"]
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
def test_pages_carry_total_and_link_header(staff_client, make_mechanic, no_throttling, page, expected_rows, links):
    mechanics = [make_mechanic() for _ in range(5)]
    response = staff_client.get(f"/mechanics?page={page}&per_page=2")
    assert response.status_code == 200
    assert response.json() == [mechanic_json(mechanics[i]) for i in expected_rows]
    assert response["X-Total-Count"] == "5"
    assert link_pages(response) == links


def test_page_past_the_end_is_an_empty_array(staff_client, make_mechanic, no_throttling):
    make_mechanic()
    response = staff_client.get("/mechanics/?page=9&per_page=2")
    assert response.status_code == 200
    assert response.json() == []
    assert response["X-Total-Count"] == "1"


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
def test_bad_paging_parameters_are_400(staff_client, make_mechanic, no_throttling, query):
    make_mechanic()
    assert_error(staff_client.get(f"/mechanics?{query}"), 400)


def test_without_paging_parameters_the_whole_list_is_returned(staff_client, make_mechanic):
    created = [make_mechanic() for _ in range(105)]
    response = staff_client.get("/mechanics")
    assert [row["id"] for row in response.json()] == [m.pk for m in created]
    assert "Link" not in response and "X-Total-Count" not in response


# --- services -----------------------------------------------------------------------------------------


def test_service_turns_a_duplicate_email_the_serializer_missed_into_invalid_input(make_mechanic):
    from core.errors import InvalidInput
    from mechanics import services

    make_mechanic(email="ada@example.com")
    # As when a concurrent request inserts the same email between the check and the insert.
    with pytest.raises(InvalidInput) as caught:
        services.mechanic_create(name="Ada", email="ADA@Example.com ", phone="1", salary=Decimal("1"))
    assert list(caught.value.fields) == ["email"]
    assert Mechanic.objects.count() == 1


def test_service_refuses_to_delete_a_mechanic_on_tickets(make_mechanic, make_ticket):
    from core.errors import Conflict
    from mechanics import services

    mechanic = make_mechanic()
    make_ticket(mechanics=[mechanic])
    with pytest.raises(Conflict):
        services.mechanic_delete(mechanic)
    assert Mechanic.objects.filter(pk=mechanic.pk).exists()
