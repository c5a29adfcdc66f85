"""Domain errors (core/errors.py) know nothing of HTTP; the API's exception handler and, outside
DRF's views, the error middleware (core/exceptions.py, core/middleware.py) give them their status."""

import json

from django.http import HttpResponse
from django.test import RequestFactory

from core import errors
from core.exceptions import api_exception_handler
from core.middleware import JsonErrorMiddleware

MESSAGE = "Accounts cannot be changed while the shared cache is unavailable; try again shortly."


def test_unavailable_is_no_refusal_by_a_rule():
    """ServiceError is what the admin shows as a form's error; an outage is not the input's fault."""
    assert not issubclass(errors.Unavailable, errors.ServiceError)


def test_the_api_answers_unavailable_with_503_and_retry_after():
    response = api_exception_handler(errors.Unavailable(MESSAGE), {})

    assert (response.status_code, response.data, response["Retry-After"]) == (503, {"error": MESSAGE}, "10")


def test_the_api_answers_a_conflict_with_409_and_its_extra_fields():
    response = api_exception_handler(errors.Conflict("Ticket 7 is closed.", status="closed"), {})

    assert (response.status_code, response.data) == (409, {"error": "Ticket 7 is closed.", "status": "closed"})


def test_outside_the_api_unavailable_is_503_too():
    middleware = JsonErrorMiddleware(lambda request: HttpResponse())
    admin_page = middleware.process_exception(
        RequestFactory().post("/admin/customers/customer/1/change/"), errors.Unavailable(MESSAGE)
    )
    api_path = middleware.process_exception(RequestFactory().post("/customers/1"), errors.Unavailable(MESSAGE))

    assert (admin_page.status_code, admin_page["Retry-After"], admin_page.content.decode()) == (503, "10", MESSAGE)
    assert admin_page["Content-Type"].startswith("text/plain")
    assert (api_path.status_code, api_path["Retry-After"], json.loads(api_path.content)) == (
        503,
        "10",
        {"error": MESSAGE},
    )
