"""With DEBUG off, Django's per-request clearing of the query log is skipped (core.db)."""

import pytest
from django.core.signals import request_started
from django.db import reset_queries

from core.db import skip_query_log_reset


def clears_query_log_per_request() -> bool:
    sync_receivers, _ = request_started._live_receivers(None)
    return reset_queries in sync_receivers


@pytest.mark.parametrize(("debug", "cleared"), [(False, False), (True, True)])
def test_the_query_log_is_cleared_per_request_only_where_it_is_written(settings, debug, cleared):
    settings.DEBUG = debug
    request_started.connect(reset_queries)
    try:
        skip_query_log_reset()
        assert clears_query_log_per_request() is cleared
    finally:
        request_started.connect(reset_queries)  # as Django left it (CaptureQueriesContext reconnects it too)


def test_queries_are_still_counted_per_request(staff_client, make_ticket):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ticket = make_ticket()
    skip_query_log_reset()
    assert staff_client.get(f"/tickets/{ticket.pk}").status_code == 200  # the caller is cached from here
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(f"/tickets/{ticket.pk}").status_code == 200
        counts.append(len(captured))

    assert counts[0] == counts[1] > 0
