"""core.renderers.JSONRenderer: compact UTF-8 JSON, money as exact JSON numbers."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from core.renderers import JSONRenderer


def render(data) -> bytes:
    return JSONRenderer().render(data)


def test_renders_money_dates_and_drf_containers():
    data = ReturnDict(
        {
            "price": Decimal("19.99"),
            "day": date(2026, 11, 25),
            "msg": ErrorDetail("bad"),
            "lazy": gettext_lazy("Not found."),
            "name": "Zoë 🚗",
        },
        serializer=None,
    )
    assert render(data) == '{"price":19.99,"day":"2026-11-25","msg":"bad","lazy":"Not found.","name":"Zoë 🚗"}'.encode()


def test_empty_body_for_no_data():
    assert render(None) == b""


def test_media_type_has_no_charset_parameter():
    renderer = JSONRenderer()
    assert (renderer.media_type, renderer.format, renderer.charset) == ("application/json", "json", None)


@pytest.mark.parametrize(
    "value, text",
    [
        (Decimal("0.10"), b"0.10"),  # trailing zeros kept: the exact stored value
        (Decimal("0"), b"0"),
        (Decimal("9999999999.99"), b"9999999999.99"),
        # More digits than a double holds: written exactly, never rounded through a float.
        (Decimal("12345678901234567.89"), b"12345678901234567.89"),
        (Decimal("1E+2"), b"100"),  # no exponent
        (Decimal("-5.25"), b"-5.25"),
    ],
)
def test_decimals_are_written_exactly_as_json_numbers(value, text):
    rendered = render({"amount": value})
    assert rendered == b'{"amount":' + text + b"}"
    assert json.loads(rendered, parse_float=Decimal)["amount"] == value


def test_decimals_inside_lists_and_nested_objects():
    data = ReturnList([{"lines": [Decimal("1.50"), {"amount": Decimal("2.25")}]}], serializer=None)
    assert render(data) == b'[{"lines":[1.50,{"amount":2.25}]}]'


def test_datetimes_are_iso_8601():
    assert render({"at": datetime(2026, 11, 25, 8, 30, tzinfo=UTC)}) == b'{"at":"2026-11-25T08:30:00+00:00"}'


def test_text_is_utf8_not_escaped_and_html_is_not_special():
    assert render({"name": "渡辺 <b>&</b>"}) == '{"name":"渡辺 <b>&</b>"}'.encode()


def test_an_unknown_type_is_an_error_not_a_guess():
    with pytest.raises(TypeError):
        render({"x": object()})


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_non_finite_decimals_never_produce_invalid_json(value):
    try:
        rendered = render({"amount": value})
    except (TypeError, ValueError):
        return  # refusing is fine
    json.loads(rendered)  # whatever is written must be JSON
    assert b"NaN" not in rendered and b"Infinity" not in rendered
