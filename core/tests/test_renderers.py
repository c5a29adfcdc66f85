from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.utils.serializer_helpers import ReturnDict

from core.renderers import JSONRenderer


def test_renders_money_dates_and_drf_containers():
    data = ReturnDict({"price": Decimal("19.99"), "day": date(2026, 11, 25), "msg": ErrorDetail("bad"),
                       "lazy": gettext_lazy("Not found."), "name": "Zoë 🚗"}, serializer=None)
    assert JSONRenderer().render(data) == '{"price":19.99,"day":"2026-11-25","msg":"bad","lazy":"Not found.","name":"Zoë 🚗"}'.encode()


def test_empty_body_for_no_data():
    assert JSONRenderer().render(None) == b""
