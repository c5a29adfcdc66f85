from rest_framework.negotiation import DefaultContentNegotiation

# What nearly every client sends (no header counts as */*); DRF's rules give each the first
# renderer too. A header that is present but empty accepts nothing: DRF answers it with 406.
_COMMON_ACCEPT = frozenset({"*/*", "application/json"})


class CommonCaseContentNegotiation(DefaultContentNegotiation):
    """DRF's content negotiation, answered without parsing the Accept header when the client
    accepts anything or asks for JSON (the first renderer, as DRF would pick it). Every other
    Accept header or ?format= takes DRF's full path, and may end in 406 or 404 as before."""

    def select_renderer(self, request, renderers, format_suffix=None):
        accept = request.META.get("HTTP_ACCEPT", "*/*").strip()
        renderer = renderers[0]
        if (
            format_suffix is None
            and accept in _COMMON_ACCEPT
            and (accept != "application/json" or renderer.media_type == accept)
            and (not request.META.get("QUERY_STRING") or self.settings.URL_FORMAT_OVERRIDE not in request.query_params)
        ):
            return renderer, renderer.media_type
        return super().select_renderer(request, renderers, format_suffix)
