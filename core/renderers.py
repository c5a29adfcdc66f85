from rest_framework.renderers import JSONRenderer as DRFJSONRenderer


class JSONRenderer(DRFJSONRenderer):
    """DRF's JSON renderer, compact, with a charset so clients never guess the encoding."""

    charset = "utf-8"
    compact = True
