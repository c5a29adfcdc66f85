"""core.filters without HTTP: the strict ordering and the bounded search every list uses."""

import pytest
from django import forms
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core.filters import BoundedSearchFilter, IdFilter, StrictOrderingFilter
from core.limits import MAX_ID
from customers.models import Customer


def request(query: str) -> Request:
    return Request(APIRequestFactory().get(f"/things?{query}"))


class View:
    detail = False
    ordering_fields = ["id", "name"]


class ViewWithoutOrderingFields:
    detail = False


@pytest.mark.parametrize(
    "query, ordering",
    [
        ("", None),
        ("ordering=name", ["name", "id"]),
        ("ordering=-name", ["-name", "-id"]),
        ("ordering=-id,name", ["-id", "name"]),
        ("ordering=%20name%20", ["name", "id"]),
    ],
)
def test_ordering_breaks_ties_by_id_in_the_direction_of_the_last_term(query, ordering):
    assert StrictOrderingFilter().get_ordering(request(query), Customer.objects.all(), View()) == ordering


@pytest.mark.parametrize(
    "query", ["ordering=email", "ordering=", "ordering=-", "ordering=name,name", "ordering=id&ordering=id"]
)
def test_bad_ordering_is_a_validation_error_of_ordering(query):
    with pytest.raises(ValidationError) as caught:
        StrictOrderingFilter().get_ordering(request(query), Customer.objects.all(), View())
    assert list(caught.value.detail) == ["ordering"]


def test_without_ordering_fields_only_id_is_allowed_not_every_serializer_field():
    view = ViewWithoutOrderingFields()
    assert StrictOrderingFilter().get_ordering(request("ordering=-id"), Customer.objects.all(), view) == ["-id"]
    with pytest.raises(ValidationError):
        StrictOrderingFilter().get_ordering(request("ordering=password"), Customer.objects.all(), view)


@pytest.mark.parametrize(
    "query, terms",
    [
        ("search=Brake%20pads", ["Brake", "pads"]),
        ("search=%22brake%20pads%22", ["brake pads"]),
        ("", []),
        ("search=%E2%80%8B", []),
        (f"search={'w' * 100}", ["w" * 100]),
    ],
)
def test_search_terms(query, terms):
    assert BoundedSearchFilter().get_search_terms(request(query)) == terms


@pytest.mark.parametrize("query", [f"search={'w' * 101}", "search=1+2+3+4+5+6", "search=%00", "search=a&search=b"])
def test_search_out_of_bounds_is_a_validation_error_of_search(query):
    with pytest.raises(ValidationError) as caught:
        BoundedSearchFilter().get_search_terms(request(query))
    assert list(caught.value.detail) == ["search"]


@pytest.mark.parametrize("value, expected", [("1", 1), (str(MAX_ID), MAX_ID), ("", None)])
def test_id_filter_takes_positive_64_bit_integers(value, expected):
    assert IdFilter().field.clean(value) == expected


@pytest.mark.parametrize("value", [str(MAX_ID + 1), "0", "-5", "1.5", "1e3", "x"])
def test_id_filter_refuses_anything_else(value):
    with pytest.raises(forms.ValidationError):
        IdFilter().field.clean(value)
