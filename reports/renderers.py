import csv
import io
from decimal import Decimal

from rest_framework.renderers import BaseRenderer

# A cell a spreadsheet would read as a formula (OWASP's CSV injection list): written as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")  # exactly as stored, never through a float
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(FORMULA_STARTS) else text


class CSVRenderer(BaseRenderer):
    """A list serializer's rows as CSV (RFC 4180): one header row of the serializer's fields, in its
    order, even when there are no rows; decimals written exactly."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        columns = list(data.serializer.child.fields)  # a ReturnList knows the serializer that made it
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows([_cell(row[column]) for column in columns] for row in data)
        return out.getvalue().encode()
