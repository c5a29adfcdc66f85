import codecs
from decimal import Decimal

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, reading every JSON number with a fraction or an exponent as the exact
    Decimal it writes, never through a binary float (`-1e-400` stays -1E-400, which a money field
    refuses, instead of becoming -0.0); integers stay ints. NaN and Infinity, which JSON does not
    have, are a parse error (400), as in DRF. A body nested deeper than the decoder can follow
    (`[[[[...` a thousand deep) is the client's malformed input, a 400 like any other parse error,
    not a server fault."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            decoded_stream = codecs.getreader(encoding)(stream)
            return json.load(decoded_stream, parse_float=Decimal, parse_constant=json.strict_constant)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
