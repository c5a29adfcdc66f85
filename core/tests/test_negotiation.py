"""The content-negotiation shortcut picks exactly what DRF's own negotiation picks."""

import pytest
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiYamlRenderer

from core.negotiation import CommonCaseContentNegotiation
from core.renderers import JSONRenderer

RENDERER_LISTS = {
    "api": [JSONRenderer()],
    "schema": [OpenApiYamlRenderer(), OpenApiJsonRenderer()],
}


@pytest.mark.parametrize("renderers", RENDERER_LISTS, ids=str)
@pytest.mark.parametrize("accept", [None, "", "*/*", "application/json", "application/vnd.oai.openapi", "text/html"])
@pytest.mark.parametrize("query", ["", "?format=json", "?format=openapi"])
def test_the_shortcut_agrees_with_drf(renderers, accept, query):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get("/x" + query, **headers))
    choices = RENDERER_LISTS[renderers]

    def pick(negotiation):
        try:
            renderer, media_type = negotiation.select_renderer(request, choices)
        except Exception as exc:  # NotAcceptable or Http404, which must agree too
            return type(exc).__name__
        return type(renderer).__name__, media_type

    assert pick(CommonCaseContentNegotiation()) == pick(DefaultContentNegotiation())


def test_an_unacceptable_accept_header_is_still_406(staff_client):
    assert staff_client.get("/inventory", HTTP_ACCEPT="text/html").status_code == 406
