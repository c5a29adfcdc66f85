"""The default store (core.cache.LockedFileBasedCache) keeps what each process read and checks
with one stat() that the file is unchanged. Every test uses two instances on one directory, as
two worker processes would."""

import threading
import time
from types import SimpleNamespace

import pytest

from core.cache import LockedFileBasedCache
from core.caching import StoredResponse


@pytest.fixture
def clock(monkeypatch):
    """The file cache's expiry clock, moved by hand."""
    import core.cache
    import django.core.cache.backends.base
    import django.core.cache.backends.filebased

    now = SimpleNamespace(value=1_800_000_000.0)
    fake_time = SimpleNamespace(time=lambda: now.value)
    for module in (django.core.cache.backends.base, django.core.cache.backends.filebased, core.cache):
        monkeypatch.setattr(module, "time", fake_time, raising=False)
    return now


@pytest.fixture
def stores(tmp_path):
    location = str(tmp_path / "cache")
    return LockedFileBasedCache(location, {}), LockedFileBasedCache(location, {})


def test_a_value_another_process_replaces_is_seen_at_once(stores):
    reader, writer = stores
    writer.set("generation:tickets", "first", timeout=None)
    assert reader.get("generation:tickets") == "first"
    assert reader.get("generation:tickets") == "first"  # now from the reader's memo

    writer.set("generation:tickets", "second", timeout=None)

    assert reader.get("generation:tickets") == "second"


def test_a_replacement_of_the_same_size_is_seen_too(stores):
    reader, writer = stores
    for value in ("aaaa", "bbbb", "cccc"):
        writer.set("k", value, timeout=None)
        assert reader.get("k") == value


def test_a_deleted_or_cleared_value_is_gone_for_every_process(stores):
    reader, writer = stores
    writer.set("a", "x", timeout=None)
    writer.set("b", "y", timeout=None)
    assert (reader.get("a"), reader.get("b")) == ("x", "y")

    writer.delete("a")
    assert reader.get("a") is None
    writer.clear()
    assert reader.get("b", "default") == "default"


def test_a_remembered_value_still_expires(stores, clock):
    reader, writer = stores
    writer.set("k", "v", timeout=60)
    assert reader.get("k") == "v"

    clock.value += 59
    assert reader.get("k") == "v"
    clock.value += 2
    assert reader.get("k") is None


def test_touch_by_another_process_extends_a_remembered_value(stores, clock):
    reader, writer = stores
    writer.set("k", "v", timeout=60)
    assert reader.get("k") == "v"

    clock.value += 50
    assert writer.touch("k", timeout=60)
    clock.value += 50

    assert reader.get("k") == "v"


def test_mutable_values_are_never_shared_between_reads(stores):
    """Only immutable values are remembered: a caller changing what it got must not change
    what the next caller gets."""
    reader, writer = stores
    writer.set("d", {"items": [1]}, timeout=None)

    first = reader.get("d")
    first["items"].append(2)

    assert reader.get("d") == {"items": [1]}


def test_stored_responses_are_remembered_and_read_once(stores, monkeypatch, clock):
    reader, writer = stores
    clock.value = time.time() + 10  # the file is older than the timestamp granularity by now
    entry = StoredResponse("g1", 0.0, b"[]", (("Content-Type", "application/json"),), frozenset({"staff"}))
    writer.set("r", entry, timeout=None)
    assert reader.get("r") == entry

    opened = []
    monkeypatch.setattr("builtins.open", lambda *args, **kwargs: opened.append(args) or pytest.fail("file opened"))

    assert reader.get("r") is reader.get("r")
    assert opened == []


def test_get_many_of_missing_and_present_keys(stores):
    reader, writer = stores
    writer.set_many({"a": "1", "b": "2"}, timeout=None)

    assert reader.get_many(["a", "missing", "b"]) == {"a": "1", "b": "2"}


def test_a_file_younger_than_the_timestamp_granularity_is_read_every_time(stores, monkeypatch):
    """Two versions written within one timestamp tick can share inode (reused), size and mtime;
    only files older than the coarsest granularity are remembered."""
    reader, writer = stores
    writer.set("generation:tickets", "aaaa", timeout=None)
    assert reader.get("generation:tickets") == "aaaa"

    opened = []
    real_open = open
    monkeypatch.setattr("builtins.open", lambda *args, **kwargs: opened.append(args[0]) or real_open(*args, **kwargs))

    assert reader.get("generation:tickets") == "aaaa"
    assert len(opened) == 1


def test_a_write_cannot_land_between_the_check_and_the_write_of_an_add(stores):
    """The principal tombstone (a set) must win over a reader's add() that found the key free
    just before: the set waits for the add's lock."""
    reader, writer = stores
    tombstone_written = threading.Event()
    real_has_key = reader.has_key

    def has_key_while_a_tombstone_is_written(key, version=None):
        free = real_has_key(key, version)
        thread = threading.Thread(target=lambda: (writer.set(key, "gone", timeout=None), tombstone_written.set()))
        thread.start()
        # Without the lock the tombstone lands now; with it, the set waits for this add.
        tombstone_written.wait(timeout=1)
        has_key_while_a_tombstone_is_written.thread = thread
        return free

    reader.has_key = has_key_while_a_tombstone_is_written
    reader.add("principal:customer:7", "row read before the change", timeout=None)
    has_key_while_a_tombstone_is_written.thread.join()

    assert writer.get("principal:customer:7") == "gone"
