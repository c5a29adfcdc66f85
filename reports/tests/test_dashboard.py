"""The admin's front page dashboard: what its selector reads, the SVG chart it draws, who sees it, and
that it costs a fixed number of queries however many tickets, invoices and items there are."""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory import stock
from reports import charts, selectors
from reports.tests.shop import invoiced_ticket, pay
from tickets import services, workflow
from tickets.models import TicketLine

INDEX = "/admin/"


@pytest.fixture
def admin_browser(make_staff) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(make_staff(username="writer", is_superuser=True))
    return client


def days_ago(days: int) -> datetime:
    """Noon of the shop's day `days` before today."""
    day = selectors.shop_today() - timedelta(days=days)
    return datetime.combine(day, time(12), tzinfo=timezone.get_default_timezone())


def move(ticket, *statuses):
    for to in statuses:
        workflow.transition(ticket_id=ticket.pk, to=to, by="staff")


@pytest.fixture
def shop(make_ticket, make_item, make_customer):
    """A day's work: an estimate, an approved ticket with more work waiting for approval, one in
    progress, one completed, two invoiced (10 and 40 days ago), a closed and a cancelled one, and
    two items, one low on stock."""
    today = selectors.shop_today()
    customer = make_customer(name="Ada Lovelace")
    estimate = make_ticket(customer=customer, service_date=today)
    raised = make_ticket(customer=customer, service_date=today)
    TicketLine.objects.create(ticket=raised, kind="fee", description="Fee", quantity=1, unit_price=10)
    move(raised, "approved")
    services.add_line(ticket_id=raised.pk, kind="fee", description="More", quantity=1, unit_price=5, by="staff")
    working = make_ticket(service_date=today)
    move(working, "approved", "in_progress")
    completed = make_ticket()
    TicketLine.objects.create(ticket=completed, kind="fee", description="Fee", quantity=1, unit_price=20)
    move(completed, "approved", "in_progress", "completed")
    recent = invoiced_ticket(days_ago(10), fees=("100.00",))
    pay(recent, "30.00", days_ago(9))
    older = invoiced_ticket(days_ago(40), fees=("50.00",))
    closed = invoiced_ticket(days_ago(2), fees=("25.00",))
    pay(closed, "25.00", days_ago(2))
    move(closed, "closed")
    cancelled = make_ticket()
    move(cancelled, "cancelled")
    low, plenty = make_item(name="Brake pads", reorder_point=5), make_item(name="Oil filter", reorder_point=5)
    stock.receive_initial_stock(item_id=low.pk, quantity=2, by="staff")
    stock.receive_initial_stock(item_id=plenty.pk, quantity=50, by="staff")
    return {
        "estimate": estimate,
        "raised": raised,
        "working": working,
        "completed": completed,
        "recent": recent,
        "older": older,
        "closed": closed,
        "low": low,
    }


def test_the_dashboard_reads_the_days_board(shop):
    board = selectors.dashboard()

    assert board.today == selectors.shop_today()
    assert board.status_counts == {
        "estimate": 1,
        "approved": 1,
        "in_progress": 1,
        "completed": 1,
        "invoiced": 2,
        "closed": 1,
        "cancelled": 1,
    }
    assert board.day_board == {"estimate": 1, "approved": 1, "in_progress": 1}
    assert board.waiting_count == 2
    assert [t.pk for t in board.waiting] == [shop["estimate"].pk, shop["raised"].pk]
    assert board.waiting[1].total_amount == Decimal("15.00") and board.waiting[1].approved_total == Decimal("10.00")
    assert board.ready_count == 3
    assert [t.pk for t in board.ready] == [shop["completed"].pk, shop["recent"].pk, shop["older"].pk]
    assert board.ready[1].balance == Decimal("70.00")
    assert (board.low_stock_count, [item.pk for item in board.low_stock]) == (1, [shop["low"].pk])
    assert board.receivables == {
        "0-30": (1, Decimal("70.00")),
        "31-60": (1, Decimal("50.00")),
        "61-90": (0, Decimal("0.00")),
        "90+": (0, Decimal("0.00")),
    }
    assert len(board.revenue) == 30 and board.revenue[-1][0] == board.today
    revenue = dict(board.revenue)
    assert revenue[board.today - timedelta(days=10)] == Decimal("100.00")
    assert revenue[board.today - timedelta(days=2)] == Decimal("25.00")
    assert sum(revenue.values()) == Decimal("125.00")  # the invoice of 40 days ago is outside the chart


def test_the_front_page_shows_the_dashboard_with_an_svg_bar_per_day(admin_browser, shop):
    response = admin_browser.get(INDEX)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="dashboard"' in html and "Ada Lovelace" in html and "Brake pads" in html
    svg = re.search(r"<svg viewBox.*?</svg>", html, re.S).group(0)
    bars = re.findall(r'<rect class="bar" x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"', svg)
    assert len(bars) == 30
    tall = [float(height) for _, height in bars if float(height) > 0]
    assert len(tall) == 2 and max(tall) / min(tall) == pytest.approx(100 / 25)
    day = (selectors.shop_today() - timedelta(days=10)).isoformat()
    assert f'data-day="{day}" data-amount="100.00"' in svg
    # Each list links to the admin list it summarises.
    for link in ("?state=waiting", "?state=ready", "/admin/inventory/inventory/?stock=low"):
        assert link in html
    assert f'href="/admin/tickets/ticket/{shop["raised"].pk}/change/"' in html
    assert "https://" not in svg and "<script" not in html.split('id="dashboard"')[1].split("</svg>")[0]


def test_staff_who_may_not_see_tickets_see_no_dashboard(make_staff):
    clerk = make_staff(username="clerk")
    clerk.user_permissions.add(Permission.objects.get(codename="view_inventory"))
    client = Client()
    client.force_login(clerk)

    response = client.get(INDEX)

    assert response.status_code == 200
    assert 'id="dashboard"' not in response.content.decode()


def test_the_dashboard_costs_the_same_queries_with_more_of_everything(admin_browser, shop, make_ticket, make_item):
    admin_browser.get(INDEX)
    with CaptureQueriesContext(connection) as first:
        admin_browser.get(INDEX)
    for n in range(5):
        invoiced_ticket(days_ago(n * 20), fees=("10.00",))
        item = make_item(reorder_point=3)
        stock.receive_initial_stock(item_id=item.pk, quantity=1, by="staff")
        make_ticket(service_date=selectors.shop_today())

    with CaptureQueriesContext(connection) as second:
        response = admin_browser.get(INDEX)

    assert response.status_code == 200
    assert len(second.captured_queries) == len(first.captured_queries)
    # session, user, the dashboard's nine queries, and the admin's recent actions
    assert len(first.captured_queries) == 12, [q["sql"] for q in first.captured_queries]


def test_the_dashboard_selector_is_nine_queries(shop, django_assert_num_queries):
    with django_assert_num_queries(9):
        selectors.dashboard()


@pytest.mark.parametrize(
    "value, ceiling",
    [("0", "1"), ("0.40", "0.5"), ("7", "10"), ("10", "10"), ("11", "20"), ("2100", "2500"), ("4999.99", "5000")],
)
def test_the_chart_axis_ends_at_a_round_number(value, ceiling):
    assert charts.nice_ceiling(Decimal(value)) == Decimal(ceiling)


def test_bars_are_as_tall_as_their_share_of_the_axis():
    today = selectors.shop_today()
    series = [(today - timedelta(days=2), Decimal("50.00")), (today - timedelta(days=1), Decimal("0.00"))]
    series.append((today, Decimal("100.00")))

    chart = charts.bar_chart(series, width=400, height=200, left=50, bottom=20)

    full = chart.baseline - 10  # the plot's height: from the top margin to the baseline
    assert [bar.height for bar in chart.bars] == [pytest.approx(full / 2), 0.0, pytest.approx(full)]
    assert all(bar.y + bar.height == pytest.approx(chart.baseline) for bar in chart.bars)
    assert [line.label for line in chart.grid] == ["0", "50", "100"]
    assert chart.total == Decimal("150.00")
    assert chart.bars[0].x < chart.bars[1].x < chart.bars[2].x <= 400


@pytest.mark.parametrize(
    ("amounts", "labels"),
    [(["0.00"], ["0", "0.5", "1"]), (["4.00"], ["0", "2.5", "5"]), (["1800.00"], ["0", "1,000", "2,000"])],
)
def test_the_axis_labels_its_grid_lines_exactly(amounts, labels):
    today = selectors.shop_today()
    series = [(today - timedelta(days=n), Decimal(amount)) for n, amount in enumerate(amounts)]

    assert [line.label for line in charts.bar_chart(series).grid] == labels
