"""core.pagination.HeaderPagination on its own: optional pages, strict parameters, the
X-Total-Count and RFC 8288 Link headers, and two queries for a page of a queryset."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from core.pagination import MAX_PER_PAGE, HeaderPagination
from mechanics.models import Mechanic


def request_for(query: str = "", host: str = "testserver") -> Request:
    return Request(APIRequestFactory().get(f"/things?{query}" if query else "/things", HTTP_HOST=host))


def paginate(rows, query: str):
    paginator = HeaderPagination()
    return paginator, paginator.paginate_queryset(rows, request_for(query))


def links(paginator) -> dict[str, dict[str, list[str]]]:
    """{rel: query of its URL}."""
    found = {}
    for part in paginator.get_headers()["Link"].split(", "):
        url, rel = re.fullmatch(r'<([^>]+)>; rel="(\w+)"', part).groups()
        found[rel] = parse_qs(urlsplit(url).query)
    return found


def pages(paginator) -> dict[str, int]:
    return {rel: int(query["page"][0]) for rel, query in links(paginator).items()}


ROWS = list(range(1, 11))  # ten rows


def test_without_parameters_nothing_is_paginated():
    paginator, page = paginate(ROWS, "")
    assert page is None


@pytest.mark.parametrize("query", ["page=1", "per_page=5"])
def test_one_parameter_without_the_other_is_invalid(query):
    with pytest.raises(ValidationError):
        paginate(ROWS, query)


@pytest.mark.parametrize(
    "query, rows, rels",
    [
        ("page=1&per_page=4", [1, 2, 3, 4], {"first": 1, "next": 2, "last": 3}),
        ("page=2&per_page=4", [5, 6, 7, 8], {"first": 1, "prev": 1, "next": 3, "last": 3}),
        ("page=3&per_page=4", [9, 10], {"first": 1, "prev": 2, "last": 3}),
        ("page=1&per_page=10", ROWS, {"first": 1, "last": 1}),
        ("page=1&per_page=100", ROWS, {"first": 1, "last": 1}),
        ("page=0001&per_page=04", [1, 2, 3, 4], {"first": 1, "next": 2, "last": 3}),
    ],
)
def test_a_page_and_its_headers(query, rows, rels):
    paginator, page = paginate(ROWS, query)
    assert page == rows
    assert paginator.get_headers()["X-Total-Count"] == "10"
    assert pages(paginator) == rels


@pytest.mark.parametrize("number, prev", [(4, 3), (5, 3), (999_999_999, 3)])
def test_a_page_past_the_end_is_empty_and_links_back_to_the_last_page(number, prev):
    paginator, page = paginate(ROWS, f"page={number}&per_page=4")
    assert page == []
    assert paginator.get_headers()["X-Total-Count"] == "10"
    assert pages(paginator) == {"first": 1, "prev": prev, "last": 3}


def test_an_empty_list_has_one_empty_page():
    paginator, page = paginate([], "page=1&per_page=5")
    assert page == []
    assert paginator.get_headers() == {
        "X-Total-Count": "0",
        "Link": '<http://testserver/things?page=1&per_page=5>; rel="first", '
        '<http://testserver/things?page=1&per_page=5>; rel="last"',
    }


def test_links_keep_the_host_path_and_other_parameters(settings):
    settings.ALLOWED_HOSTS = ["shop.example"]
    paginator = HeaderPagination()
    paginator.paginate_queryset(ROWS, request_for("search=a%20b&page=2&per_page=3&ordering=-id", host="shop.example"))
    for rel, query in links(paginator).items():
        assert query["per_page"] == ["3"] and query["search"] == ["a b"] and query["ordering"] == ["-id"], rel
    assert all(part.startswith("<http://shop.example/things?") for part in paginator.get_headers()["Link"].split(", "))


BAD = [
    ("page", "0"),
    ("page", "-1"),
    ("page", "+1"),
    ("page", " 1"),
    ("page", "1.0"),
    ("page", "1e3"),
    ("page", ""),
    ("page", "abc"),
    ("page", "１"),  # a full-width digit
    ("page", "²"),  # a superscript, which str.isdigit() accepts
    ("page", "1" * 10),  # more digits than any page can have
    ("page", str(2**70)),
    ("per_page", "0"),
    ("per_page", "-5"),
    ("per_page", str(MAX_PER_PAGE + 1)),
    ("per_page", "1000000000000"),
    ("per_page", "ten"),
]


@pytest.mark.parametrize("name, value", BAD)
def test_invalid_values_are_refused_naming_the_parameter(name, value):
    params = {"page": "1", "per_page": "5", name: value}
    paginator = HeaderPagination()
    request = Request(APIRequestFactory().get("/things", params))
    with pytest.raises(ValidationError) as caught:
        paginator.paginate_queryset(ROWS, request)
    assert list(caught.value.detail) == [name]


def test_a_paginated_response_keeps_the_body_an_array_with_the_headers():
    paginator, page = paginate(ROWS, "page=2&per_page=3")
    response = paginator.get_paginated_response(page)
    assert isinstance(response, Response)
    assert response.data == [4, 5, 6]
    assert response["X-Total-Count"] == "10"
    assert 'rel="next"' in response["Link"]
    assert paginator.get_paginated_response_schema({"type": "array"}) == {"type": "array"}


def test_schema_documents_both_parameters():
    params = {p["name"]: p for p in HeaderPagination().get_schema_operation_parameters(view=None)}
    assert set(params) == {"page", "per_page"}
    assert params["per_page"]["schema"]["maximum"] == MAX_PER_PAGE
    assert all(p["in"] == "query" and not p["required"] for p in params.values())


@pytest.fixture
def mechanics(db):
    Mechanic.objects.bulk_create(
        [Mechanic(name=f"M{i}", email=f"m{i}@example.com", phone="1", salary=1) for i in range(25)]
    )
    return list(Mechanic.objects.order_by("id"))


def test_a_page_of_a_queryset_is_a_count_and_a_slice(mechanics, django_assert_num_queries):
    with django_assert_num_queries(2) as captured:
        paginator, page = paginate(Mechanic.objects.order_by("id"), "page=2&per_page=10")
    assert [m.pk for m in page] == [m.pk for m in mechanics[10:20]]
    assert "COUNT" in captured.captured_queries[0]["sql"].upper()
    assert "LIMIT 10" in captured.captured_queries[1]["sql"].upper()
    assert paginator.get_headers()["X-Total-Count"] == "25"


def test_a_page_past_the_end_of_a_queryset_is_only_the_count(mechanics, django_assert_num_queries):
    with django_assert_num_queries(1):
        _, page = paginate(Mechanic.objects.order_by("id"), "page=4&per_page=10")
    assert page == []
