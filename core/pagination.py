"""Optional page-number pagination that keeps the body a JSON array.

Without `page` and `per_page` the whole list is returned, as the original service did. With
them, the body is that page and the headers carry `X-Total-Count` and an RFC 8288 `Link`.
"""

import math

from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

MAX_PER_PAGE = 100


def _positive_int(raw: str, name: str, maximum: int | None = None) -> int:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        raise ValidationError({name: [f"{name} must be a whole number of at least 1."]})
    value = int(raw)
    if maximum is not None and value > maximum:
        raise ValidationError({name: [f"{name} must be at most {maximum}."]})
    return value


class HeaderPagination(BasePagination):
    page_query_param = "page"
    page_size_query_param = "per_page"

    def paginate_queryset(self, queryset, request, view=None):
        params = request.query_params
        page_raw = params.get(self.page_query_param)
        per_page_raw = params.get(self.page_size_query_param)
        if page_raw is None and per_page_raw is None:
            self.page = None
            return None
        if page_raw is None or per_page_raw is None:
            raise ValidationError("page and per_page must be given together.")
        self.request = request
        self.view = view
        self.number = _positive_int(page_raw, self.page_query_param)
        self.per_page = _positive_int(per_page_raw, self.page_size_query_param, MAX_PER_PAGE)
        self.total = self.get_count(queryset)
        start = (self.number - 1) * self.per_page
        self.page = list(queryset[start : start + self.per_page]) if start < self.total else []
        return self.page

    def get_count(self, queryset) -> int:
        """The list's total for X-Total-Count: a COUNT query (or len() of a list). A subclass may
        know it without counting (tickets.views.TicketPagination)."""
        return Paginator(queryset, self.per_page).count

    @cached_property
    def last_page(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    def _link(self, page: int, rel: str) -> str:
        url = replace_query_param(self.request.build_absolute_uri(), self.page_query_param, page)
        return f'<{url}>; rel="{rel}"'

    def get_headers(self) -> dict[str, str]:
        links = [self._link(1, "first")]
        if self.number > 1:
            links.append(self._link(min(self.number - 1, self.last_page), "prev"))
        if self.number < self.last_page:
            links.append(self._link(self.number + 1, "next"))
        links.append(self._link(self.last_page, "last"))
        return {"X-Total-Count": str(self.total), "Link": ", ".join(links)}

    def get_paginated_response(self, data):
        return Response(data, headers=self.get_headers())

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number (1-based). Give it together with per_page.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Items per page, 1 to {MAX_PER_PAGE}. Give it together with page.",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
            },
        ]

    def get_paginated_response_schema(self, schema):
        return schema
