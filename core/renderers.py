from decimal import Decimal

import orjson
from django.utils.functional import Promise
from rest_framework.renderers import BaseRenderer


def json_default(value):
    if isinstance(value, Decimal):
        if not value.is_finite():  # validation keeps NaN and Infinity out; JSON has no words for them
            raise ValueError(f"Cannot write {value} as a JSON number")
        # Written as the exact decimal it is ("19.99"), never through a float.
        return orjson.Fragment(format(value, "f").encode())
    if isinstance(value, Promise):  # lazily translated messages
        return str(value)
    raise TypeError(f"Cannot serialize {type(value).__name__}")


class JSONRenderer(BaseRenderer):
    """Compact UTF-8 JSON, rendered by orjson (README "Production serving and performance")."""

    media_type = "application/json"
    format = "json"
    charset = None  # orjson writes UTF-8; application/json needs no charset parameter

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        return orjson.dumps(data, default=json_default)
