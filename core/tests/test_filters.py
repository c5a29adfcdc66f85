"""core.filters without HTTP: the strict ordering and the bounded search every list uses."""

import importlib
from datetime import date

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django_filters import FilterSet
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core.filters import (
    AsciiIntegerField,
    BoundedSearchFilter,
    IdFilter,
    IntegerFilter,
    IsoDateField,
    IsoDateFilter,
    StrictOrderingFilter,
)
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


@pytest.mark.parametrize("value", ["1_0", "\u0661\u0660", "\uff11\uff10", " 10", "+10", "1e1", "10.0"])
def test_integer_filters_take_ascii_digits_only(value):
    with pytest.raises(forms.ValidationError):
        IdFilter().field.clean(value)
    with pytest.raises(forms.ValidationError):
        IntegerFilter().field.clean(value)


@pytest.mark.parametrize(
    "value", ["\u0662\u0660\u0662\u0666-01-15", "20260115", "2026-1-15", "2026-01-15 ", "2026-W03-4"]
)
def test_date_filters_take_ascii_yyyy_mm_dd_only(value):
    with pytest.raises(forms.ValidationError):
        IsoDateFilter().field.clean(value)


def test_a_date_filter_reads_a_real_day():
    assert IsoDateFilter().field.clean("2026-01-15") == date(2026, 1, 15)


# Form fields that read numbers or dates, and the strict ones the project's filters use instead.
LAX_FORM_FIELDS = (forms.IntegerField, forms.DecimalField, forms.FloatField, forms.DateField, forms.DateTimeField)
STRICT_FORM_FIELDS = (AsciiIntegerField, IsoDateField)


def _project_filtersets() -> list[type[FilterSet]]:
    for config in apps.get_app_configs():
        if (settings.BASE_DIR / config.name / "filters.py").is_file():
            importlib.import_module(f"{config.name}.filters")
    found, pending = [], [FilterSet]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if cls.__module__.split(".")[0] in {config.name for config in apps.get_app_configs()}:
            found.append(cls)
    return found


FILTERSETS = _project_filtersets()


def test_the_walk_finds_every_apps_filters():
    assert {cls.__module__ for cls in FILTERSETS} >= {"tickets.filters", "vehicles.filters", "inventory.filters"}


@pytest.mark.parametrize("filterset", FILTERSETS, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_every_number_and_date_filter_is_strict(filterset):
    lax = [
        name
        for name, filter_ in filterset.base_filters.items()
        if issubclass(filter_.field_class, LAX_FORM_FIELDS) and not issubclass(filter_.field_class, STRICT_FORM_FIELDS)
    ]

    assert lax == []
