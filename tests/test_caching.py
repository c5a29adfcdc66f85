"""Cached reads: a hit after a miss, never stale after any write (API, ORM, admin, seed command),
never shown to a caller who may not see it. Each runs with the default file store and Redis."""

import json
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from core import caching
from mechanics.models import Mechanic
from tickets.models import Ticket, TicketInventory, TicketMechanic

pytestmark = pytest.mark.usefixtures("private_file_cache", "throttling_off")


@pytest.fixture
def shop(store, staff_client, customer, customer_client, make_customer, make_mechanic, make_item, make_ticket, make_staff):
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
        make_staff=make_staff,
    )


def assert_fresh_after(client, urls: list[str], write) -> None:
    """Warm each URL (miss, then hit), write, then read: a miss showing what the database holds
    now, which differs from what was cached."""
    before = {}
    for url in urls:
        miss, hit = client.get(url), client.get(url)
        assert (miss.status_code, miss["X-Cache"]) == (200, "miss"), url
        assert (hit.status_code, hit["X-Cache"]) == (200, "hit"), url
        assert hit.json() == miss.json() and int(hit["Age"]) >= 0
        before[url] = miss.json()

    write()

    after = {url: client.get(url) for url in urls}
    cache.clear()
    truth = {url: client.get(url) for url in urls}
    for url in urls:
        assert after[url].status_code == truth[url].status_code, url
        if after[url].status_code == 200:
            assert after[url]["X-Cache"] == "miss", url
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
    client.force_login(w.make_staff("admin-user", is_superuser=True))
    return client


def admin_change_mechanic(w) -> None:
    m = w.m1
    response = admin_client(w).post(
        f"/admin/mechanics/mechanic/{m.pk}/change/",
        {"name": "Renamed In Admin", "email": m.email, "phone": m.phone, "salary": "61000.00"},
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
    ("PUT customer", customer_url, lambda w: ok(w.staff.put(f"/customers/{w.c.pk}", {"name": "Put Name", "email": w.c.email, "phone": w.c.phone}))),
    ("PATCH customer", customer_url, lambda w: ok(w.staff.patch(f"/customers/{w.c.pk}", {"phone": "555-9999"}))),
    ("PATCH customer email by owner", customer_url, lambda w: ok(w.owner.patch(f"/customers/{w.c.pk}", {"email": "moved@example.com"}))),
    ("ORM customer save", customer_url, lambda w: orm_rename(w.c, name="ORM Name")),
    ("DELETE customer", lambda w: [f"/customers/{w.c2.pk}"], lambda w: ok(w.staff.delete(f"/customers/{w.c2.pk}"), 204)),
    ("ORM customer delete", lambda w: [f"/customers/{w.c2.pk}"], lambda w: w.c2.delete()),
    # mechanics
    ("PUT mechanic", mechanic_urls, lambda w: ok(w.staff.put(f"/mechanics/{w.m2.pk}", {"name": "Put Mech", "email": w.m2.email, "phone": "1", "salary": 1}))),
    ("PATCH mechanic", mechanic_urls, lambda w: ok(w.staff.patch(f"/mechanics/{w.m2.pk}", {"salary": 70000.5}))),
    ("POST mechanic", lambda w: ["/mechanics"], lambda w: ok(w.staff.post("/mechanics", {"name": "New", "email": "new@shop.example", "phone": "2", "salary": 3}), 201)),
    ("DELETE mechanic", mechanic_urls, lambda w: ok(w.staff.delete(f"/mechanics/{w.m2.pk}"), 204)),
    ("ORM mechanic save", mechanic_urls, lambda w: orm_rename(w.m2, name="ORM Mech")),
    ("ORM mechanic delete", mechanic_urls, lambda w: w.m2.delete()),
    ("ORM mechanic create", lambda w: ["/mechanics"], lambda w: Mechanic.objects.create(name="X", email="x@shop.example", phone="3", salary=Decimal(4))),
    ("admin mechanic delete action", mechanic_urls, admin_delete_mechanic),
    # tickets
    ("POST ticket by staff", lambda w: TICKET_URLS, lambda w: ok(w.staff.post("/tickets", new_ticket_body(customer_id=w.c2.pk)), 201)),
    ("POST ticket by customer", lambda w: TICKET_URLS, lambda w: ok(w.owner.post("/tickets", new_ticket_body()), 201)),
    ("PUT ticket", lambda w: TICKET_URLS, lambda w: ok(w.staff.put(f"/tickets/{w.t.pk}", new_ticket_body()))),
    ("PATCH ticket by owner", lambda w: TICKET_URLS, lambda w: ok(w.owner.patch(f"/tickets/{w.t.pk}", {"service_description": "Owner note"}))),
    ("PATCH ticket customer", lambda w: TICKET_URLS, lambda w: ok(w.staff.patch(f"/tickets/{w.t.pk}", {"customer_id": w.c2.pk}))),
    ("assign-mechanic", lambda w: TICKET_URLS, lambda w: ok(w.staff.put(f"/tickets/{w.t.pk}/assign-mechanic/{w.m2.pk}"))),
    ("remove-mechanic", lambda w: TICKET_URLS, lambda w: ok(w.staff.put(f"/tickets/{w.t.pk}/remove-mechanic/{w.m1.pk}"))),
    ("update-mechanics", lambda w: TICKET_URLS, lambda w: ok(w.staff.put(f"/tickets/{w.t.pk}/update-mechanics", {"add_mechanic_ids": [w.m2.pk], "remove_mechanic_ids": [w.m1.pk]}))),
    ("update-mechanics add only", lambda w: TICKET_URLS, lambda w: ok(w.staff.put(f"/tickets/{w.t.pk}/update-mechanics", {"add_mechanic_ids": [w.m2.pk]}))),
    ("POST ticket inventory", lambda w: TICKET_URLS, lambda w: ok(w.staff.post(f"/tickets/{w.t.pk}/inventory", {"add_inventory_items": [{"inventory_id": w.i2.pk, "quantity": 3}]}))),
    ("inventory rename", lambda w: TICKET_URLS, lambda w: ok(w.staff.patch(f"/inventory/{w.i1.pk}", {"name": "Renamed part"}))),
    ("inventory price change", lambda w: TICKET_URLS, lambda w: ok(w.staff.patch(f"/inventory/{w.i1.pk}", {"price": 42.5}))),
    ("inventory PUT", lambda w: TICKET_URLS, lambda w: ok(w.staff.put(f"/inventory/{w.i1.pk}", {"name": "Put part", "price": 1.25}))),
    ("mechanic rename via API", lambda w: [*TICKET_URLS, *mechanic_urls(w, w.m1)], lambda w: ok(w.staff.patch(f"/mechanics/{w.m1.pk}", {"name": "Renamed Mech"}))),
    ("admin mechanic change", lambda w: [*TICKET_URLS, *mechanic_urls(w, w.m1)], admin_change_mechanic),
    ("ORM ticket save", lambda w: TICKET_URLS, lambda w: orm_rename(w.t, service_description="ORM description")),
    ("ORM ticket delete", lambda w: TICKET_URLS, lambda w: w.t.delete()),
    ("ORM ticket create", lambda w: TICKET_URLS, lambda w: Ticket.objects.create(customer=w.c2, vin="1", service_date="2026-01-02", service_description="d")),
    ("ORM TicketMechanic create", lambda w: TICKET_URLS, lambda w: TicketMechanic.objects.create(ticket=w.t, mechanic=w.m2)),
    ("ORM TicketMechanic delete", lambda w: TICKET_URLS, lambda w: TicketMechanic.objects.filter(ticket=w.t).delete()),
    ("ORM TicketInventory quantity", lambda w: TICKET_URLS, lambda w: orm_rename(TicketInventory.objects.get(ticket=w.t), quantity=9)),
    ("ORM TicketInventory delete", lambda w: TICKET_URLS, lambda w: TicketInventory.objects.get(ticket=w.t).delete()),
    ("ORM mechanics.add", lambda w: TICKET_URLS, lambda w: w.t.mechanics.add(w.m2)),
    ("ORM mechanics.remove", lambda w: TICKET_URLS, lambda w: w.t.mechanics.remove(w.m1)),
    ("ORM mechanics.clear", lambda w: TICKET_URLS, lambda w: w.t.mechanics.clear()),
    ("ORM parts.add", lambda w: TICKET_URLS, lambda w: w.t.parts.add(w.i2, through_defaults={"quantity": 2})),
    ("ORM inventory save", lambda w: TICKET_URLS, lambda w: orm_rename(w.i1, price=Decimal("0.99"))),
    ("ORM mechanic rename", lambda w: TICKET_URLS, lambda w: orm_rename(w.m1, name="Quietly Renamed")),
    ("seed_shop", lambda w: TICKET_URLS, lambda w: call_command("seed_shop", "--customers", "2", "--mechanics", "2", "--tickets", "3", "--parts", "2", verbosity=0)),
    ("seed_shop --flush", lambda w: [*TICKET_URLS, "/mechanics"], lambda w: call_command("seed_shop", "--customers", "2", "--mechanics", "2", "--tickets", "3", "--parts", "2", "--flush", verbosity=0)),
]


@pytest.mark.parametrize(("urls", "write"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_a_cached_read_is_fresh_right_after_a_write(shop, urls, write):
    assert_fresh_after(shop.staff, urls(shop), lambda: write(shop))


def test_the_owner_sees_their_own_change_at_once(shop):
    assert_fresh_after(shop.owner, [f"/customers/{shop.c.pk}"], lambda: ok(shop.owner.patch(f"/customers/{shop.c.pk}", {"name": "Self Renamed"})))


def test_seed_shop_makes_every_cached_namespace_fresh(shop):
    """seed_shop inserts in bulk (no signals): it must bump every generation itself."""
    before = {ns: caching.current_generation(ns) for ns in (caching.CUSTOMERS, caching.MECHANICS, caching.TICKETS)}

    call_command("seed_shop", "--customers", "1", "--mechanics", "1", "--tickets", "1", "--parts", "1", verbosity=0)

    assert all(caching.current_generation(ns) != generation for ns, generation in before.items())


def test_a_failed_write_leaves_the_cached_read_correct(shop):
    """A refused write (409: mechanic still on a ticket) changes nothing, and the read stays right."""
    url = f"/mechanics/{shop.m1.pk}"
    warmed = shop.staff.get(url).json()

    assert shop.staff.delete(url).status_code == 409
    again = shop.staff.get(url)
    assert again.status_code == 200 and again.json() == warmed


def test_a_reader_racing_a_transaction_cannot_keep_its_stale_copy(shop, django_capture_on_commit_callbacks):
    """A reader that builds its response while a write is uncommitted stores the old data; the
    bump on commit must make the next read miss it."""
    stale_body = shop.staff.get("/mechanics").json()
    request = Request(APIRequestFactory().get("/mechanics"))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        orm_rename(shop.m2, name="Committed Name")
        # What a concurrent reader, not yet seeing the write, would leave in the cache.
        caching.cached_response(request, caching.MECHANICS, 60, lambda: Response(stale_body))

    fresh = shop.staff.get("/mechanics")
    assert callbacks, "the write registered no bump for its commit"
    assert fresh["X-Cache"] == "miss"
    assert "Committed Name" in [m["name"] for m in fresh.json()]


# --- leakage: who may see a cached read --------------------------------------------------------


def assert_no_trace(response, *secrets: str) -> None:
    assert not response.has_header("X-Cache")
    body = response.content.decode()
    assert response.json().keys() == {"error"}
    for secret in secrets:
        assert secret not in body


def test_a_customers_cached_record_is_not_shown_to_others(store, make_customer, client_for, api_client):
    a = make_customer(name="Alice Secret", email="alice.secret@example.com", phone="555-1234")
    b_client, a_client = client_for(make_customer()), client_for(a)
    url = f"/customers/{a.pk}"
    assert [a_client.get(url)["X-Cache"], a_client.get(url)["X-Cache"]] == ["miss", "hit"]

    for client, status in [(b_client, 403), (api_client, 401)]:
        for path in (url, url + "/"):
            response = client.get(path)
            assert response.status_code == status
            assert_no_trace(response, "Alice Secret", "alice.secret@example.com", "555-1234")


@pytest.mark.parametrize("path", ["/tickets", "/mechanics", "/mechanics/{m}"])
def test_staff_warmed_reads_are_refused_to_customers_and_anonymous(
    store, staff_client, customer_client, api_client, customer, make_mechanic, make_ticket, path
):
    mechanic = make_mechanic(name="Marvin Wrench", email="marvin@shop.example")
    make_ticket(customer=customer, mechanics=[mechanic], vin="SECRETVIN123", service_description="Hidden work")
    url = path.format(m=mechanic.pk)
    assert [staff_client.get(url)["X-Cache"], staff_client.get(url)["X-Cache"]] == ["miss", "hit"]

    for client, status in [(customer_client, 403), (api_client, 401)]:
        response = client.get(url)
        assert response.status_code == status
        assert_no_trace(response, "Marvin Wrench", "marvin@shop.example", "SECRETVIN123", "Hidden work")


def test_a_customer_cannot_read_a_staff_warmed_record_of_another(store, staff_client, customer_client, make_customer):
    other = make_customer(name="Other Person")
    url = f"/customers/{other.pk}"
    staff_client.get(url), staff_client.get(url)

    response = customer_client.get(url)

    assert response.status_code == 403
    assert_no_trace(response, "Other Person", other.email)


# --- cached_response itself ------------------------------------------------------------------


class Builder:
    """A view body that counts its calls."""

    def __init__(self, response: Response):
        self.response, self.calls = response, 0

    def __call__(self) -> Response:
        self.calls += 1
        return self.response


def api_request(path: str, **extra) -> Request:
    return Request(APIRequestFactory().get(path, **extra))


def test_age_counts_seconds_since_the_response_was_stored(store):
    build = Builder(Response({"answer": 42}))
    first = caching.cached_response(api_request("/x"), "ns", 60, build, clock=lambda: 1000.0)
    later = caching.cached_response(api_request("/x"), "ns", 60, build, clock=lambda: 1042.9)

    assert (first["X-Cache"], first.has_header("Age")) == ("miss", False)
    assert (later["X-Cache"], later["Age"], json.loads(later.content)) == ("hit", "42", {"answer": 42})
    assert build.calls == 1


@pytest.mark.parametrize("status", [201, 204, 400, 404])
def test_only_200_responses_are_stored(store, status):
    build = Builder(Response({"error": "x"}, status=status))
    for _ in range(2):
        assert caching.cached_response(api_request("/x"), "ns", 60, build)["X-Cache"] == "miss"
    assert build.calls == 2


def test_paths_with_and_without_slash_share_an_entry_but_queries_do_not(store):
    build = Builder(Response([1]))
    hits = [caching.cached_response(api_request(p), "ns", 60, build)["X-Cache"] for p in ("/x", "/x/", "/x?page=1&per_page=1")]

    assert hits == ["miss", "hit", "miss"]


def test_invalidate_makes_only_its_namespaces_miss(store):
    build = Builder(Response([1]))
    for ns in ("a", "b"):
        caching.cached_response(api_request("/x"), ns, 60, build)

    caching.invalidate("a")

    assert caching.cached_response(api_request("/x"), "a", 60, build)["X-Cache"] == "miss"
    assert caching.cached_response(api_request("/x"), "b", 60, build)["X-Cache"] == "hit"


def test_pagination_headers_survive_a_hit(shop):
    url = "/tickets?page=1&per_page=1"
    miss, hit = shop.staff.get(url), shop.staff.get(url)

    assert hit["X-Cache"] == "hit"
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
    assert [r["X-Cache"] for r in responses] == ["miss", "hit"]


def test_a_cached_read_costs_no_database_query_beyond_authentication(shop, django_assert_max_num_queries):
    url = f"/mechanics/{shop.m1.pk}"
    shop.staff.get(url)

    with django_assert_max_num_queries(1):  # the token's user
        assert shop.staff.get(url)["X-Cache"] == "hit"


@pytest.mark.parametrize(("url", "ttl"), [("/customers/{c}", 60), ("/mechanics", 60), ("/mechanics/{m}", 60), ("/tickets", 10)])
def test_each_cached_read_is_stored_for_its_documented_time(shop, monkeypatch, url, ttl):
    stored = []

    class RecordingCache:
        def __getattr__(self, name):
            return getattr(cache, name)

        def set(self, key, value, timeout=None, **kwargs):
            stored.append(timeout)
            return cache.set(key, value, timeout, **kwargs)

    monkeypatch.setattr(caching, "cache", RecordingCache())

    response = shop.staff.get(url.format(c=shop.c.pk, m=shop.m1.pk))

    assert response["X-Cache"] == "miss"
    assert stored == [ttl]


def test_unrelated_query_parameters_share_one_cache_entry(staff_client, make_mechanic):
    """Only page/per_page change a cached list, so other parameters cannot flood the cache."""
    mechanic = make_mechanic()
    assert staff_client.get(f"/mechanics/{mechanic.pk}?a=1")["X-Cache"] == "miss"
    assert staff_client.get(f"/mechanics/{mechanic.pk}?b=2")["X-Cache"] == "hit"
