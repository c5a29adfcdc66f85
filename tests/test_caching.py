"""Cached reads (GET /customers/<id>, /mechanics, /mechanics/<id>, /tickets): a hit after a
miss, never stale after any write (API, ORM, admin, seed command), never shown to a caller who
may not see it, and never one caller's answer served to another. Each test runs on the default
store (diskcache) and on Redis (the `store` fixture).

Django's cache_page adds `Age` to a response it serves from the cache; a response built by the
view has none.
"""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import cache, caches
from django.core.management import call_command
from django.http import JsonResponse
from django.test import Client, RequestFactory

from conftest import access_token_for, client_with_token
from core import caching
from mechanics.models import Mechanic
from tickets.models import Ticket, TicketInventory, TicketMechanic

pytestmark = pytest.mark.usefixtures("store", "throttling_off")


@pytest.fixture
def shop(staff_client, customer, customer_client, make_customer, make_mechanic, make_item, make_ticket, superuser):
    """A ticket of `customer` with mechanic m1 and part i1 on it; m2, i2 and customer c2 are free."""
    m1, m2 = make_mechanic(), make_mechanic()
    i1, i2 = make_item(), make_item()
    return SimpleNamespace(
        staff=staff_client,
        c=customer,
        owner=customer_client,
        c2=make_customer(),
        m1=m1,
        m2=m2,
        i1=i1,
        i2=i2,
        t=make_ticket(customer=customer, mechanics=[m1], parts=[(i1, 1)]),
        superuser=superuser,
    )


def is_hit(response) -> bool:
    return response.has_header("Age")


def assert_fresh_after(client, urls: list[str], write) -> None:
    """Warm each URL (miss, then hit), write, then read: a miss showing what the database holds
    now, which differs from what was cached."""
    before = {}
    for url in urls:
        miss, hit = client.get(url), client.get(url)
        assert (miss.status_code, is_hit(miss)) == (200, False), url
        assert (hit.status_code, is_hit(hit)) == (200, True), url
        assert hit.json() == miss.json() and int(hit["Age"]) >= 0
        before[url] = miss.json()

    write()

    after = {url: client.get(url) for url in urls}
    cache.clear()
    truth = {url: client.get(url) for url in urls}
    for url in urls:
        assert after[url].status_code == truth[url].status_code, url
        if after[url].status_code == 200:
            assert not is_hit(after[url]), f"{url}: served from the cache after the write"
        assert after[url].json() == truth[url].json(), url
        assert after[url].json() != before[url], f"{url}: the write changed nothing visible"


def customer_url(w) -> list[str]:
    return [f"/customers/{w.c.pk}"]


def mechanic_urls(w, mechanic=None) -> list[str]:
    return ["/mechanics", f"/mechanics/{(mechanic or w.m2).pk}"]


TICKET_URLS = ["/tickets", "/tickets?page=1&per_page=50"]


def new_ticket_body(**extra) -> dict:
    return {"VIN": "2HGCM82633A004352", "service_date": "2026-12-01", "service_description": "Brake job", **extra}


def admin_client(w) -> Client:
    client = Client()
    client.force_login(w.superuser)
    return client


def admin_change_mechanic(w) -> None:
    m = w.m1
    response = admin_client(w).post(
        f"/admin/mechanics/mechanic/{m.pk}/change/",
        {"name": "Renamed In Admin", "email": m.email, "phone": m.phone, "salary": "61000.00"},
    )
    assert response.status_code == 302, response.content[:500]


def admin_change_customer(w) -> None:
    c = w.c
    response = admin_client(w).post(
        f"/admin/customers/customer/{c.pk}/change/", {"name": "Renamed In Admin", "email": c.email, "phone": c.phone}
    )
    assert response.status_code == 302, response.content[:500]


def admin_delete_mechanic(w) -> None:
    response = admin_client(w).post(
        "/admin/mechanics/mechanic/",
        {"action": "delete_selected", "_selected_action": [w.m2.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Mechanic.objects.filter(pk=w.m2.pk).exists()


def orm_rename(obj, **changes) -> None:
    for field, value in changes.items():
        setattr(obj, field, value)
    obj.save()


def ok(response, status: int = 200) -> None:
    assert response.status_code == status, response.content[:500]


# (id, urls, write)
CASES = [
    # customers
    (
        "PUT customer",
        customer_url,
        lambda w: ok(w.staff.put(f"/customers/{w.c.pk}", {"name": "Put Name", "email": w.c.email, "phone": w.c.phone})),
    ),
    ("PATCH customer", customer_url, lambda w: ok(w.staff.patch(f"/customers/{w.c.pk}", {"phone": "555-9999"}))),
    (
        "PATCH customer email by owner",
        customer_url,
        lambda w: ok(w.owner.patch(f"/customers/{w.c.pk}", {"email": "moved@example.com"})),
    ),
    ("ORM customer save", customer_url, lambda w: orm_rename(w.c, name="ORM Name")),
    (
        "DELETE customer",
        lambda w: [f"/customers/{w.c2.pk}"],
        lambda w: ok(w.staff.delete(f"/customers/{w.c2.pk}"), 204),
    ),
    ("ORM customer delete", lambda w: [f"/customers/{w.c2.pk}"], lambda w: w.c2.delete()),
    ("admin customer change", customer_url, admin_change_customer),
    # mechanics
    (
        "PUT mechanic",
        mechanic_urls,
        lambda w: ok(
            w.staff.put(f"/mechanics/{w.m2.pk}", {"name": "Put Mech", "email": w.m2.email, "phone": "1", "salary": 1})
        ),
    ),
    ("PATCH mechanic", mechanic_urls, lambda w: ok(w.staff.patch(f"/mechanics/{w.m2.pk}", {"salary": 70000.5}))),
    (
        "POST mechanic",
        lambda w: ["/mechanics"],
        lambda w: ok(
            w.staff.post("/mechanics", {"name": "New", "email": "new@shop.example", "phone": "2", "salary": 3}), 201
        ),
    ),
    ("DELETE mechanic", mechanic_urls, lambda w: ok(w.staff.delete(f"/mechanics/{w.m2.pk}"), 204)),
    ("ORM mechanic save", mechanic_urls, lambda w: orm_rename(w.m2, name="ORM Mech")),
    ("ORM mechanic delete", mechanic_urls, lambda w: w.m2.delete()),
    (
        "ORM mechanic create",
        lambda w: ["/mechanics"],
        lambda w: Mechanic.objects.create(name="X", email="x@shop.example", phone="3", salary=Decimal(4)),
    ),
    ("admin mechanic delete action", mechanic_urls, admin_delete_mechanic),
    # tickets
    (
        "POST ticket by staff",
        lambda w: TICKET_URLS,
        lambda w: ok(w.staff.post("/tickets", new_ticket_body(customer_id=w.c2.pk)), 201),
    ),
    ("POST ticket by customer", lambda w: TICKET_URLS, lambda w: ok(w.owner.post("/tickets", new_ticket_body()), 201)),
    ("PUT ticket", lambda w: TICKET_URLS, lambda w: ok(w.staff.put(f"/tickets/{w.t.pk}", new_ticket_body()))),
    (
        "PATCH ticket by owner",
        lambda w: TICKET_URLS,
        lambda w: ok(w.owner.patch(f"/tickets/{w.t.pk}", {"service_description": "Owner note"})),
    ),
    (
        "PATCH ticket customer",
        lambda w: TICKET_URLS,
        lambda w: ok(w.staff.patch(f"/tickets/{w.t.pk}", {"customer_id": w.c2.pk})),
    ),
    (
        "assign-mechanic",
        lambda w: TICKET_URLS,
        lambda w: ok(w.staff.put(f"/tickets/{w.t.pk}/assign-mechanic/{w.m2.pk}")),
    ),
    (
        "remove-mechanic",
        lambda w: TICKET_URLS,
        lambda w: ok(w.staff.put(f"/tickets/{w.t.pk}/remove-mechanic/{w.m1.pk}")),
    ),
    (
        "update-mechanics",
        lambda w: TICKET_URLS,
        lambda w: ok(
            w.staff.put(
                f"/tickets/{w.t.pk}/update-mechanics", {"add_mechanic_ids": [w.m2.pk], "remove_mechanic_ids": [w.m1.pk]}
            )
        ),
    ),
    (
        "update-mechanics add only",
        lambda w: TICKET_URLS,
        lambda w: ok(w.staff.put(f"/tickets/{w.t.pk}/update-mechanics", {"add_mechanic_ids": [w.m2.pk]})),
    ),
    (
        "POST ticket inventory",
        lambda w: TICKET_URLS,
        lambda w: ok(
            w.staff.post(
                f"/tickets/{w.t.pk}/inventory", {"add_inventory_items": [{"inventory_id": w.i2.pk, "quantity": 3}]}
            )
        ),
    ),
    (
        "inventory rename",
        lambda w: TICKET_URLS,
        lambda w: ok(w.staff.patch(f"/inventory/{w.i1.pk}", {"name": "Renamed part"})),
    ),
    # A ticket shows the price its parts had when added (not the item's): a rename is what shows.
    (
        "inventory rename and price change",
        lambda w: TICKET_URLS,
        lambda w: ok(w.staff.patch(f"/inventory/{w.i1.pk}", {"name": "Repriced", "price": 42.5})),
    ),
    (
        "inventory PUT",
        lambda w: TICKET_URLS,
        lambda w: ok(w.staff.put(f"/inventory/{w.i1.pk}", {"name": "Put part", "price": 1.25})),
    ),
    (
        "mechanic rename via API",
        lambda w: [*TICKET_URLS, *mechanic_urls(w, w.m1)],
        lambda w: ok(w.staff.patch(f"/mechanics/{w.m1.pk}", {"name": "Renamed Mech"})),
    ),
    ("admin mechanic change", lambda w: [*TICKET_URLS, *mechanic_urls(w, w.m1)], admin_change_mechanic),
    ("ORM ticket save", lambda w: TICKET_URLS, lambda w: orm_rename(w.t, service_description="ORM description")),
    ("ORM ticket delete", lambda w: TICKET_URLS, lambda w: w.t.delete()),
    (
        "ORM ticket create",
        lambda w: TICKET_URLS,
        lambda w: Ticket.objects.create(customer=w.c2, vin="1", service_date="2026-01-02", service_description="d"),
    ),
    (
        "ORM TicketMechanic create",
        lambda w: TICKET_URLS,
        lambda w: TicketMechanic.objects.create(ticket=w.t, mechanic=w.m2),
    ),
    ("ORM TicketMechanic delete", lambda w: TICKET_URLS, lambda w: TicketMechanic.objects.filter(ticket=w.t).delete()),
    (
        "ORM TicketInventory quantity",
        lambda w: TICKET_URLS,
        lambda w: orm_rename(TicketInventory.objects.get(ticket=w.t), quantity=9),
    ),
    ("ORM TicketInventory delete", lambda w: TICKET_URLS, lambda w: TicketInventory.objects.get(ticket=w.t).delete()),
    ("ORM mechanics.add", lambda w: TICKET_URLS, lambda w: w.t.mechanics.add(w.m2)),
    ("ORM mechanics.remove", lambda w: TICKET_URLS, lambda w: w.t.mechanics.remove(w.m1)),
    ("ORM mechanics.clear", lambda w: TICKET_URLS, lambda w: w.t.mechanics.clear()),
    (
        "ORM parts.add",
        lambda w: TICKET_URLS,
        lambda w: w.t.parts.add(w.i2, through_defaults={"quantity": 2, "unit_price": w.i2.price}),
    ),
    ("ORM inventory save", lambda w: TICKET_URLS, lambda w: orm_rename(w.i1, name="ORM part")),
    # the workflow
    (
        "transition",
        lambda w: TICKET_URLS,
        lambda w: ok(w.staff.post(f"/tickets/{w.t.pk}/transition", {"to": "approved"})),
    ),
    (
        "transition by the owner",
        lambda w: TICKET_URLS,
        lambda w: ok(w.owner.post(f"/tickets/{w.t.pk}/transition", {"to": "cancelled"})),
    ),
    (
        "POST ticket line",
        lambda w: TICKET_URLS,
        lambda w: ok(
            w.staff.post(
                f"/tickets/{w.t.pk}/lines", {"kind": "fee", "description": "Disposal", "quantity": 1, "unit_price": 5}
            ),
            201,
        ),
    ),
    (
        "DELETE ticket part",
        lambda w: TICKET_URLS,
        lambda w: ok(w.staff.delete(f"/tickets/{w.t.pk}/inventory/{w.i1.pk}"), 204),
    ),
    ("ORM mechanic rename", lambda w: TICKET_URLS, lambda w: orm_rename(w.m1, name="Quietly Renamed")),
    (
        "seed_shop",
        lambda w: TICKET_URLS,
        lambda w: call_command(
            "seed_shop", "--customers", "2", "--mechanics", "2", "--tickets", "3", "--parts", "2", verbosity=0
        ),
    ),
    (
        "seed_shop --flush",
        lambda w: [*TICKET_URLS, "/mechanics"],
        lambda w: call_command(
            "seed_shop",
            "--customers",
            "2",
            "--mechanics",
            "2",
            "--tickets",
            "3",
            "--parts",
            "2",
            "--flush",
            verbosity=0,
        ),
    ),
]


@pytest.mark.parametrize(("urls", "write"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_a_cached_read_is_fresh_right_after_a_write(shop, urls, write):
    assert_fresh_after(shop.staff, urls(shop), lambda: write(shop))


def test_both_spellings_of_a_path_are_fresh_after_a_write(shop):
    """With and without the trailing slash are two URLs, so two cache entries: both go stale."""
    urls = [f"/customers/{shop.c.pk}", f"/customers/{shop.c.pk}/", "/mechanics", "/mechanics/", "/tickets", "/tickets/"]

    def write():
        ok(shop.staff.patch(f"/customers/{shop.c.pk}", {"name": "Slash Name"}))
        ok(shop.staff.patch(f"/mechanics/{shop.m1.pk}", {"name": "Slash Mech"}))

    assert_fresh_after(shop.staff, urls, write)


def test_the_owner_sees_their_own_change_at_once(shop):
    assert_fresh_after(
        shop.owner,
        [f"/customers/{shop.c.pk}"],
        lambda: ok(shop.owner.patch(f"/customers/{shop.c.pk}", {"name": "Self Renamed"})),
    )


def test_seed_shop_makes_every_cached_resource_fresh(shop):
    """seed_shop inserts in bulk (no signals): it must bump every generation itself."""
    resources = ("customers", "mechanics", "tickets")
    before = {resource: caching.generation(resource) for resource in resources}

    call_command("seed_shop", "--customers", "1", "--mechanics", "1", "--tickets", "1", "--parts", "1", verbosity=0)

    assert all(caching.generation(resource) != generation for resource, generation in before.items())


def test_a_failed_write_leaves_the_cached_read_correct(shop):
    """A refused write (409: mechanic still on a ticket) changes nothing, and the read stays right."""
    url = f"/mechanics/{shop.m1.pk}"
    warmed = shop.staff.get(url).json()

    assert shop.staff.delete(url).status_code == 409
    again = shop.staff.get(url)
    assert again.status_code == 200 and again.json() == warmed


def test_a_reader_racing_a_transaction_cannot_keep_its_stale_copy(shop, django_capture_on_commit_callbacks):
    """A reader that builds its response while a write is uncommitted stores the old data under
    the new generation; the bump on commit must make the next read miss it."""
    stale_body = shop.staff.get("/mechanics").json()
    authorization = shop.staff._credentials["HTTP_AUTHORIZATION"]
    # What a concurrent reader, not yet seeing the write, runs: the cached view, answering old rows.
    stale_view = caching.cache_read("mechanics", 60)(lambda request: JsonResponse(stale_body, safe=False))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        orm_rename(shop.m2, name="Committed Name")
        stored = stale_view(RequestFactory().get("/mechanics", HTTP_AUTHORIZATION=authorization))
        assert not is_hit(stored)
        assert is_hit(stale_view(RequestFactory().get("/mechanics", HTTP_AUTHORIZATION=authorization)))

    fresh = shop.staff.get("/mechanics")
    assert callbacks, "the write registered no bump for its commit"
    assert not is_hit(fresh)
    assert "Committed Name" in [m["name"] for m in fresh.json()]


# --- leakage: who may see a cached read --------------------------------------------------------


def assert_no_trace(response, *secrets: str) -> None:
    assert not is_hit(response)
    body = response.content.decode()
    assert response.json().keys() == {"error"}
    for secret in secrets:
        assert secret not in body


def bad_token_client():
    return client_with_token("not-a-token")


def test_a_customers_cached_record_is_not_shown_to_others(make_customer, client_for, api_client):
    a = make_customer(name="Alice Secret", email="alice.secret@example.com", phone="555-1234")
    b_client, a_client = client_for(make_customer()), client_for(a)
    url = f"/customers/{a.pk}"
    assert [is_hit(a_client.get(url)), is_hit(a_client.get(url))] == [False, True]

    for client, status in [(b_client, 403), (api_client, 401), (bad_token_client(), 401)]:
        for path in (url, url + "/"):
            response = client.get(path)
            assert response.status_code == status
            assert_no_trace(response, "Alice Secret", "alice.secret@example.com", "555-1234")
            if status == 401:
                assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "path", ["/tickets", "/tickets?page=1&per_page=5", "/mechanics", "/mechanics/{m}", "/customers/{c}"]
)
def test_staff_warmed_reads_are_refused_to_customers_and_anonymous(
    staff_client, customer_client, api_client, customer, make_customer, make_mechanic, make_ticket, path
):
    """401 and 403 are decided before the cache is looked at."""
    mechanic = make_mechanic(name="Marvin Wrench", email="marvin@shop.example")
    other = make_customer(name="Other Person", email="other.person@example.com")
    make_ticket(customer=other, mechanics=[mechanic], vin="SECRETVIN123", service_description="Hidden work")
    url = path.format(m=mechanic.pk, c=other.pk)
    assert [is_hit(staff_client.get(url)), is_hit(staff_client.get(url))] == [False, True]

    for client, status in [(customer_client, 403), (api_client, 401), (bad_token_client(), 401)]:
        response = client.get(url)
        assert response.status_code == status
        assert_no_trace(response, "Marvin Wrench", "marvin@shop.example", "SECRETVIN123", "Hidden work", "Other Person")


def test_a_token_of_a_deleted_customer_gets_no_cached_answer(make_customer, client_for):
    """The account behind a token is checked on every request, a cached read included."""
    gone = make_customer(name="Soon Gone")
    client = client_for(gone)
    url = f"/customers/{gone.pk}"
    assert [is_hit(client.get(url)), is_hit(client.get(url))] == [False, True]

    gone.delete()

    response = client.get(url)
    assert response.status_code == 401
    assert_no_trace(response, "Soon Gone")


@pytest.fixture(params=["django-varies", "django-does-not-vary"])
def djangos_authorization_vary(request, monkeypatch):
    """With Django's own `Vary: Authorization` (added by cache_page since 5.2.x) and without it, as
    in earlier releases: the separation per token must come from core/caching.py itself."""
    if request.param == "django-does-not-vary":
        monkeypatch.setattr("django.middleware.cache.patch_vary_headers", lambda response, headers: None)


@pytest.mark.usefixtures("djangos_authorization_vary")
@pytest.mark.parametrize("path", ["/mechanics", "/mechanics/{m}", "/tickets", "/customers/{c}"])
def test_each_token_has_cache_entries_of_its_own(make_staff, make_mechanic, make_ticket, client_for, path):
    """Two staff users read the same data, yet one never gets the other's stored answer."""
    mechanic = make_mechanic()
    ticket = make_ticket(mechanics=[mechanic])
    url = path.format(m=mechanic.pk, c=ticket.customer_id)
    first, second = client_for(make_staff()), client_for(make_staff())
    assert [is_hit(first.get(url)), is_hit(first.get(url))] == [False, True]

    answers = [second.get(url), second.get(url)]

    assert [is_hit(answer) for answer in answers] == [False, True]
    assert answers[0].json() == first.get(url).json()


def test_a_new_token_of_the_same_customer_gets_a_fresh_read(customer, client_for):
    url = f"/customers/{customer.pk}"
    old = client_for(customer)
    assert [is_hit(old.get(url)), is_hit(old.get(url))] == [False, True]

    assert not is_hit(client_with_token(access_token_for(customer)).get(url))


# --- what is cached, and how ---------------------------------------------------------------------


def test_pagination_headers_survive_a_hit(shop):
    url = "/tickets?page=1&per_page=1"
    miss, hit = shop.staff.get(url), shop.staff.get(url)

    assert is_hit(hit) and not is_hit(miss)
    assert (hit["X-Total-Count"], hit["Link"]) == (miss["X-Total-Count"], miss["Link"])


def test_a_hit_for_another_host_links_to_that_host(shop):
    """Link headers are absolute; a page cached for one host name must not send clients of
    another to it."""
    url = "/mechanics?page=1&per_page=1"
    shop.staff.get(url, HTTP_HOST="localhost")

    other = shop.staff.get(url, HTTP_HOST="127.0.0.1")

    assert "//127.0.0.1/" in other["Link"] and "localhost" not in other["Link"]


def test_a_long_query_string_is_served_not_a_500(shop):
    """Cache keys are limited (250 characters for memcached, warned about by Django); a
    client's long query string must not turn into a server error."""
    url = f"/mechanics/{shop.m1.pk}?" + "x" * 400

    responses = [shop.staff.get(url) for _ in range(2)]

    assert [r.status_code for r in responses] == [200, 200]
    assert [is_hit(r) for r in responses] == [False, True]


def test_a_cached_read_costs_no_database_query(shop, django_assert_num_queries):
    """The token's account comes from the cache too (accounts/principals.py)."""
    url = f"/mechanics/{shop.m1.pk}"
    shop.staff.get(url)

    with django_assert_num_queries(0):
        assert is_hit(shop.staff.get(url))


@pytest.mark.parametrize(
    ("url", "ttl"), [("/customers/{c}", 60), ("/mechanics", 60), ("/mechanics/{m}", 60), ("/tickets", 10)]
)
def test_each_cached_read_is_stored_for_its_documented_time(shop, monkeypatch, url, ttl):
    stored = []
    default = caches["default"]
    original_set = default.set

    def recording_set(key, value, timeout=None, **kwargs):
        stored.append(timeout)
        return original_set(key, value, timeout, **kwargs)

    monkeypatch.setattr(default, "set", recording_set)

    response = shop.staff.get(url.format(c=shop.c.pk, m=shop.m1.pk))

    assert not is_hit(response)
    assert stored and set(stored) == {ttl}  # the response, and the list of headers it varies on


@pytest.mark.parametrize(
    "path", ["/tickets/my-tickets", "/tickets/{t}", "/inventory", "/mechanics/top-3-mechanics", "/customers"]
)
def test_reads_that_are_not_cached_are_never_served_from_the_cache(shop, path):
    client = shop.owner if "my-tickets" in path else shop.staff
    url = path.format(t=shop.t.pk)

    assert [is_hit(client.get(url)) for _ in range(2)] == [False, False]


@pytest.mark.parametrize("status_path", [(404, "/mechanics/999999"), (404, "/customers/999999")])
def test_only_successful_reads_are_stored(shop, status_path):
    status, path = status_path
    responses = [shop.staff.get(path) for _ in range(2)]

    assert [r.status_code for r in responses] == [status, status]
    assert not any(is_hit(r) for r in responses)
