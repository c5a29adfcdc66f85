"""Strict numbers and dates for every serializer of the API (API.md "Numbers are strict").

DRF's stock fields read numbers through Python's `int()` and `Decimal()`, which take far more
than the contract allows: `"1_0"`, Arabic-Indic `"١٠"` and full-width `"１０"` are 10, the string
`"1e2"` is 100; and its DateField reads dates with `date.fromisoformat()`, which takes other digits
and other ISO 8601 forms (`"20260101"`, week dates). These fields take:
- a number (StrictDecimalField: money, fractional quantities): a JSON number, read exactly as a
  decimal by core.parsers.JSONParser, or a string of ASCII digits with an optional leading `-` and
  decimal point (`"12.50"`). Zeros past the field's decimal places are dropped (`12.500` is 12.50);
  any other digit there is an error, never rounded away (`-1e-400` is not 0.00);
- an integer (StrictIntegerField: ids, quantities, mileage, years): a JSON integer, or a string of
  ASCII digits with an optional leading `-` (`"10"`). No fraction and no exponent, even a zero one
  (`10.0`, `1e1`, `"10.0"`): an integer is written as one;
- a date (StrictDateField): a string `YYYY-MM-DD` in ASCII digits, a real day.
Booleans, floats (which only a binary float could have produced) and anything else are invalid.

Every serializer declares its fields with these classes or inherits from ModelSerializer below,
which maps model fields to them; core/tests/test_serializers.py walks every serializer of the
project and fails on a stock number or date field.
"""

import re
from decimal import Decimal

from rest_framework import serializers

ASCII_INTEGER = re.compile(r"-?[0-9]+")
ASCII_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _is_json_number(data) -> bool:
    return isinstance(data, (int, Decimal)) and not isinstance(data, bool)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, str) and len(data) > self.MAX_STRING_LENGTH:
            self.fail("max_string_length")
        if not (type(data) is int or isinstance(data, str) and ASCII_INTEGER.fullmatch(data)):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictDecimalField(serializers.DecimalField):
    def to_internal_value(self, data):
        if isinstance(data, str) and len(data) > self.MAX_STRING_LENGTH:
            self.fail("max_string_length")
        if not (_is_json_number(data) or isinstance(data, str) and ASCII_DECIMAL.fullmatch(data)):
            self.fail("invalid")
        return super().to_internal_value(data)

    def validate_precision(self, value: Decimal) -> Decimal:
        """DRF's check of digits and decimal places, once the zeros past the decimal places
        (`12.500`) are dropped: they change nothing, where any other digit would."""
        sign, digits, exponent = value.as_tuple()
        if self.decimal_places is not None and isinstance(exponent, int) and -exponent > self.decimal_places:
            text = "".join(map(str, digits))
            drop = min(len(text) - len(text.rstrip("0")), -exponent - self.decimal_places)
            if drop:
                value = Decimal((sign, digits[:-drop] or (0,), exponent + drop))
        return super().validate_precision(value)


class StrictDateField(serializers.DateField):
    def to_internal_value(self, value):
        if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


# The stock field classes and their strict replacements.
STRICT_FIELDS = {
    serializers.IntegerField: StrictIntegerField,
    serializers.DecimalField: StrictDecimalField,
    serializers.DateField: StrictDateField,
}


# DRF's ModelSerializer, building the strict fields for integer, decimal and date columns. (No
# docstring: drf-spectacular would describe every model's schema component with it.)
class ModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        model_field: STRICT_FIELDS.get(field_class, field_class)
        for model_field, field_class in serializers.ModelSerializer.serializer_field_mapping.items()
    }
