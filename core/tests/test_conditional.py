"""core.conditional's pieces: ETags made from representations or from a registered version, and the
strong comparison If-Match and If-None-Match use."""

from decimal import Decimal

import pytest

from core import conditional


def test_the_same_data_gives_the_same_strong_tag_whatever_its_key_order():
    one = conditional.representation_etag({"a": 1, "b": [Decimal("1.50"), "x"]})
    two = conditional.representation_etag({"b": [Decimal("1.50"), "x"], "a": 1})

    assert one == two and one.startswith('"') and one.endswith('"')


@pytest.mark.parametrize("changed", [{"a": 2, "b": []}, {"a": 1, "b": [Decimal("1.5")]}, {"a": 1}])
def test_any_change_of_the_data_changes_the_tag(changed):
    assert conditional.representation_etag({"a": 1, "b": [Decimal("1.50")]}) != conditional.representation_etag(changed)


def test_a_registered_version_source_leads_the_tag_before_the_digest(monkeypatch):
    monkeypatch.setattr(conditional, "_version_sources", {})
    conditional.register_version_source("tickets", lambda pk, known: pk * 10)
    digest = conditional.representation_digest({"id": 4})

    assert conditional.etag_for("tickets", 4, lambda: {"id": 4}) == f'"tickets-4-40-{digest}"'
    assert conditional.etag_for("customers", 4, lambda: {"id": 4}) == conditional.representation_etag({"id": 4})


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('"tickets-4-40-abc"', True),
        ('"tickets-4-41-abc"', True),  # another version: If-Match weighs the representation
        ('"abc"', True),
        ('"tickets-4-40-abd"', False),
        ('W/"tickets-4-40-abc"', False),
        ("*", True),
    ],
)
def test_if_match_compares_the_representation_a_tag_was_sent_with(header, matches):
    assert conditional.digest_matches(header, "abc") is matches


@pytest.mark.parametrize(
    ("header", "tag"),
    [('"tickets-4-40-abc"', "tickets-4-40-abc"), ('"x", "tickets-4-40-abd"', "tickets-4-40-abd")],
)
def test_if_none_match_is_decided_by_the_version_a_tag_names(header, tag):
    assert conditional.version_matches(header, "tickets-4-40-") == tag
    assert conditional.version_matches(header, "tickets-4-41-") is None


def test_a_version_source_answering_none_falls_back_to_the_hash(monkeypatch):
    monkeypatch.setattr(conditional, "_version_sources", {"tickets": lambda pk, known: None})

    assert conditional.etag_for("tickets", 4, lambda: {"id": 4}) == conditional.representation_etag({"id": 4})


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('"abc"', True),
        ('"x", "abc"', True),
        ("*", True),
        ('W/"abc"', False),  # strong comparison: a weak tag never matches
        ('"abcd"', False),
        ("abc", False),
        ("", False),
    ],
)
def test_if_match_headers_are_compared_strongly(header, matches):
    assert conditional.etag_matches(header, '"abc"') is matches
