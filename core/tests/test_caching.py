"""core.caching on its own: per-resource generations, bump(), and cache_read() around a tiny
APIView, driven with a request factory."""

import pytest
from django.core.cache import caches
from django.utils.decorators import method_decorator
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from core import caching
from core.caching import bump, cache_read, generation

pytestmark = pytest.mark.django_db  # bump() registers an on-commit callback


# --- generations -----------------------------------------------------------------------------------


def test_a_generation_is_stable_until_bumped():
    first = generation("things")
    assert isinstance(first, int) and first > 0
    assert generation("things") == first
    bump("things")
    assert generation("things") == first + 1


def test_a_missing_counter_starts_at_the_current_time_in_microseconds(monkeypatch):
    monkeypatch.setattr(caching.time, "time_ns", lambda: 1_700_000_000_123_456_789)
    assert generation("things") == 1_700_000_000_123_456


def test_a_counter_lost_from_the_cache_starts_above_every_earlier_generation(monkeypatch):
    now_ns = [1_700_000_000_000_000_000]
    monkeypatch.setattr(caching.time, "time_ns", lambda: now_ns[0])
    before = generation("things")
    for _ in range(5):
        bump("things")
    caches["default"].delete("generation:things")  # evicted
    now_ns[0] += 1_000_000  # a millisecond later
    assert generation("things") > before + 5


def test_resources_have_generations_of_their_own():
    things, others = generation("things"), generation("others")
    bump("things")
    assert (generation("things"), generation("others")) == (things + 1, others)


def test_bump_names_several_resources_at_once():
    before = {r: generation(r) for r in ("a", "b", "c")}
    bump("a", "c")
    assert {r: generation(r) for r in ("a", "b", "c")} == {"a": before["a"] + 1, "b": before["b"], "c": before["c"] + 1}


def test_bump_of_a_resource_never_read_leaves_it_to_start_fresh():
    bump("never-read")  # no counter to increment: nothing to make stale
    assert generation("never-read") > 0


def test_bump_bumps_again_when_the_transaction_commits(django_capture_on_commit_callbacks):
    before = generation("things")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        bump("things")
        assert generation("things") == before + 1  # at once, for readers after the write
    assert len(callbacks) == 1
    assert generation("things") == before + 2  # and after the commit, for readers during it


# --- cache_read around a view ----------------------------------------------------------------------


class Counter:
    calls = 0


@method_decorator(cache_read("things", seconds=30), name="get")
class ThingsView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request, *args, **kwargs):
        Counter.calls += 1
        status = int(request.query_params.get("status", 200))
        return Response({"call": Counter.calls, "q": request.query_params.get("q")}, status=status)

    def post(self, request, *args, **kwargs):
        Counter.calls += 1
        return Response({"call": Counter.calls})


@pytest.fixture
def get():
    Counter.calls = 0
    factory = APIRequestFactory()
    view = ThingsView.as_view()

    def call(path: str = "/things", **headers):
        response = view(factory.get(path, **headers))
        if not getattr(response, "is_rendered", True):  # a miss: DRF's response, rendered here as by Django
            response.render()
        return response

    return call


def test_the_first_read_runs_the_view_and_the_second_is_a_hit_with_age(get):
    miss = get()
    assert miss.status_code == 200 and "Age" not in miss
    hit = get()
    assert hit.status_code == 200
    assert int(hit["Age"]) in (0, 1)  # seconds, rounded
    assert hit.content == miss.content
    assert Counter.calls == 1


def test_age_counts_the_seconds_since_the_page_was_stored(get, monkeypatch):
    import time

    now = time.time()
    get()
    monkeypatch.setattr(time, "time", lambda: now + 12)
    assert int(get()["Age"]) in (11, 12, 13)
    assert Counter.calls == 1


def test_a_bump_makes_the_next_read_run_the_view(get):
    get(), get()
    bump("things")
    fresh = get()
    assert "Age" not in fresh and fresh.data["call"] == 2
    assert "Age" in get()
    assert Counter.calls == 2


def test_a_bump_of_another_resource_leaves_the_pages_cached(get):
    get()
    bump("others")
    assert "Age" in get()
    assert Counter.calls == 1


def test_callers_share_an_entry_unless_the_read_is_per_caller(get):
    """Who may see a read is decided before it (DRF's permissions); the body is the same for all."""
    get(HTTP_AUTHORIZATION="Bearer one")
    assert "Age" in get(HTTP_AUTHORIZATION="Bearer two")
    assert Counter.calls == 1


@method_decorator(cache_read("things", seconds=30, per_caller=True), name="get")
class MyThingsView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request, *args, **kwargs):
        Counter.calls += 1
        return Response({"call": Counter.calls})


def test_a_per_caller_read_has_entries_per_account_not_per_token(django_user_model):
    Counter.calls = 0
    factory, view = APIRequestFactory(), MyThingsView.as_view()
    one, two = django_user_model.objects.create(username="one"), django_user_model.objects.create(username="two")

    def read(user, token: str):
        request = factory.get("/things", HTTP_AUTHORIZATION=f"Bearer {token}")
        force_authenticate(request, user=user)
        response = view(request)
        if not getattr(response, "is_rendered", True):
            response.render()
        return response

    read(one, "a")
    assert "Age" in read(one, "another token of one")
    assert "Age" not in read(two, "b")
    assert Counter.calls == 2


def test_the_counters_live_beside_the_accounts():
    """One get_many reads a caller's account, the versions and the answer (accounts/principals.py)."""
    from accounts.principals import accounts_cache

    current = generation("things")
    assert accounts_cache() is caches["default"]
    assert caches["default"].get("generation:things") == current


def test_a_cached_read_varies_on_authorization(get):
    assert "Authorization" in get(HTTP_AUTHORIZATION="Bearer one")["Vary"]
    assert "Authorization" in get()["Vary"]


def test_each_query_string_has_entries_of_its_own(get):
    assert get("/things?q=a").data["q"] == "a"
    assert get("/things?q=b").data["q"] == "b"
    assert "Age" in get("/things?q=a")
    assert Counter.calls == 2


@pytest.mark.parametrize("status", [400, 404, 429, 500])
def test_only_successful_reads_are_stored(get, status):
    get(f"/things?status={status}")
    response = get(f"/things?status={status}")
    assert response.status_code == status and "Age" not in response
    assert Counter.calls == 2


def test_other_methods_are_not_cached():
    Counter.calls = 0
    factory, view = APIRequestFactory(), ThingsView.as_view()
    view(factory.post("/things", {}, format="json")).render()
    view(factory.post("/things", {}, format="json")).render()
    assert Counter.calls == 2
