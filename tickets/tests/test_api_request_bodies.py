"""Request bodies that are not a JSON object, or not JSON, on every ticket endpoint that takes one."""

import pytest

from tests.asserts import assert_error
from tickets.models import Ticket
from tickets.tests.helpers import (
    ticket_json,
)

# --- request bodies that are not a JSON object --------------------------------------------------

BODY_ENDPOINTS = [
    ("post", "/tickets"),
    ("put", "/tickets/{id}"),
    ("patch", "/tickets/{id}"),
    ("put", "/tickets/{id}/update-mechanics"),
    ("post", "/tickets/{id}/inventory"),
]


@pytest.mark.parametrize("body", ["[]", '[{"VIN": "ABC"}]', '"ABC"', "42", "null"])
@pytest.mark.parametrize("method, path", BODY_ENDPOINTS)
def test_json_that_is_not_an_object_is_400(staff_client, make_ticket, method, path, body):
    ticket = make_ticket()
    before = ticket_json(ticket)
    assert_error(getattr(staff_client, method)(path.format(id=ticket.pk), body, content_type="application/json"), 400)
    assert Ticket.objects.count() == 1
    assert ticket_json(ticket) == before


@pytest.mark.parametrize("body", ['{"VIN": "ABC"', "{'VIN': 'ABC'}", "VIN=ABC", '{"add_mechanic_ids": [NaN]}'])
@pytest.mark.parametrize("method, path", BODY_ENDPOINTS)
def test_malformed_json_is_400(staff_client, make_ticket, method, path, body):
    ticket = make_ticket()
    before = ticket_json(ticket)
    assert_error(getattr(staff_client, method)(path.format(id=ticket.pk), body, content_type="application/json"), 400)
    assert Ticket.objects.count() == 1
    assert ticket_json(ticket) == before


@pytest.mark.parametrize(
    "body, content_type",
    [('{"VIN": "ABC"}', "text/plain"), ("VIN=ABC&service_date=2026-11-25", "application/x-www-form-urlencoded")],
)
@pytest.mark.parametrize("method, path", BODY_ENDPOINTS)
def test_other_content_types_are_415(staff_client, make_ticket, method, path, body, content_type):
    ticket = make_ticket()
    before = ticket_json(ticket)
    assert_error(getattr(staff_client, method)(path.format(id=ticket.pk), body, content_type=content_type), 415)
    assert Ticket.objects.count() == 1
    assert ticket_json(ticket) == before
