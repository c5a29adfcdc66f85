"""The admin's front page dashboard and the ticket list as a person sees them, in Chromium: the
revenue chart drawn (an SVG bar per day), one line per ticket with coloured status badges, and open
tickets unless "All" is chosen."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import STAFF_PASSWORD
from reports.selectors import shop_today
from reports.tests.shop import invoiced_ticket
from tickets import services, workflow
from vehicles.tests.factories import VehicleFactory

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, make_staff) -> None:
    make_staff(username="writer", is_superuser=True)
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "writer")
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")


def noon(days_ago: int) -> datetime:
    day = shop_today() - timedelta(days=days_ago)
    return datetime.combine(day, time(12), tzinfo=timezone.get_default_timezone())


def test_the_front_page_draws_the_revenue_chart_and_the_days_board(page, live_server, make_staff, make_ticket):
    invoiced_ticket(noon(3), fees=("120.00",))
    invoiced_ticket(noon(1), fees=("60.00",))
    make_ticket()  # an estimate: waits for approval

    sign_in(page, live_server, make_staff)

    chart = page.locator("#revenue-chart svg")
    assert chart.is_visible()
    bars = chart.locator("rect.bar")
    assert bars.count() == 30
    heights = {bars.nth(n).get_attribute("data-day"): bars.nth(n).bounding_box()["height"] for n in range(30)}
    tall = {day: height for day, height in heights.items() if height > 0}
    assert set(tall) == {(shop_today() - timedelta(days=d)).isoformat() for d in (3, 1)}
    assert tall[(shop_today() - timedelta(days=3)).isoformat()] == pytest.approx(
        2 * tall[(shop_today() - timedelta(days=1)).isoformat()], rel=0.02
    )
    assert "180.00" in page.locator("#revenue-chart h2").inner_text()
    assert page.locator("#waiting-for-approval caption").inner_text().endswith("(1)")
    assert page.locator("#ready-for-pickup caption").inner_text().endswith("(2)")
    owed = page.locator("#receivables").inner_text()
    assert "0-30\t2\t180.00" in owed and "Total\t\t180.00" in owed


def test_the_ticket_list_is_one_line_per_ticket_with_badges_and_open_by_default(
    page, live_server, make_staff, make_ticket, make_customer
):
    customer = make_customer(name="Bartholomew Montgomery-Fitzgerald")
    car = VehicleFactory(
        customer=customer, make="Mercedes-Benz", model="Sprinter 316 CDI", license_plate="LONG-PLATE-1"
    )
    long_text = "Replace the timing belt, water pump and tensioner; check every hose and the coolant level " * 4
    working = make_ticket(customer=customer, vehicle=car, vin=car.vin, service_description=long_text)
    workflow.transition(ticket_id=working.pk, to="approved", by="staff")
    estimate = make_ticket(customer=customer, vehicle=car, vin=car.vin)
    closed = invoiced_ticket(noon(5), fees=("10.00",))
    services.add_payment(ticket_id=closed.pk, amount=Decimal("10.00"), method="cash")
    workflow.transition(ticket_id=closed.pk, to="closed", by="staff")

    sign_in(page, live_server, make_staff)
    page.goto(f"{live_server.url}/admin/tickets/ticket/")

    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2  # the closed ticket is not open
    # Every cell's content is one line high (a wrapped cell would be two or more).
    lines = page.locator("#result_list tbody").evaluate(
        """body => Math.max(...[...body.querySelectorAll("td, th")].map(cell => {
            const style = getComputedStyle(cell);
            const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.4;
            const content = cell.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
            return content / line;
        }))"""
    )
    assert lines < 1.6, lines
    badge = page.locator(f"#result_list tr:has(a[href='/admin/tickets/ticket/{working.pk}/change/']) .status-badge")
    assert badge.inner_text() == "Approved"
    colour = badge.evaluate("element => getComputedStyle(element).backgroundColor")
    assert colour == "rgb(37, 99, 235)"
    assert page.locator("#changelist-filter li.selected a", has_text="Open").is_visible()

    page.locator("#changelist-filter a[href='?state=all']").click()
    page.wait_for_url("**/admin/tickets/ticket/?state=all")

    listed = page.locator("#result_list tbody tr th a, #result_list tbody tr td.field-id a").all_inner_texts()
    assert {str(closed.pk), str(working.pk), str(estimate.pk)} <= set(listed)
