"""The reports as a client sees them (API.md "Documents and reports"): staff only, JSON or CSV,
exact decimals, `from`/`to`/`group` checked (400), the current month by default."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from mechanics.tests.factories import MechanicFactory
from reports import selectors
from reports.tests.shop import invoiced_ticket, pay
from tests.asserts import assert_error, error_fields
from tickets.models import Invoice

REPORTS = ["/reports/sales", "/reports/payments", "/reports/mechanics", "/reports/receivables"]
HEADERS = {
    "/reports/sales": ["period", "invoices", "parts", "labor", "fees", "subtotal", "tax", "total"],
    "/reports/payments": ["date", "method", "count", "amount"],
    "/reports/mechanics": ["mechanic_id", "name", "labor_hours", "labor_amount", "tickets"],
    "/reports/receivables": [
        "ticket_id",
        "invoice_number",
        "customer_id",
        "invoiced_at",
        "total",
        "balance",
        "age_days",
        "bucket",
    ],
}


@pytest.fixture
def november(db):
    """Two invoices in November 2026 (UTC), one paid in part, with a mechanic's labor."""
    mechanic = MechanicFactory(name="=HYPERLINK(1)")  # a name a spreadsheet would run as a formula
    first = invoiced_ticket(
        datetime(2026, 11, 2, 15, tzinfo=UTC),
        parts=("1234.56",),
        labor=(("1.5", "90.00", mechanic.pk),),
        fees=("12.50",),
        tax_rate="0.0825",
    )
    second = invoiced_ticket(datetime(2026, 11, 20, 9, tzinfo=UTC), fees=("0.10",), tax_rate="0.0825")
    pay(first, "1000.00", datetime(2026, 11, 3, 10, tzinfo=UTC))
    pay(first, "-0.01", datetime(2026, 11, 4, 10, tzinfo=UTC), method="cash")
    return {"first": first, "second": second, "mechanic": mechanic}


NOVEMBER = "from=2026-11-01&to=2026-11-30"


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


# --- JSON ---------------------------------------------------------------------------------------


def test_sales_per_day_with_a_total_row(staff_client, november):
    invoices = list(Invoice.objects.order_by("issued_at"))

    rows = staff_client.get(f"/reports/sales?{NOVEMBER}").json()

    assert [row["period"] for row in rows] == ["2026-11-02", "2026-11-20", "total"]
    assert [row["invoices"] for row in rows] == [1, 1, 2]
    assert rows[-1]["tax"] == float(sum(i.tax for i in invoices))
    assert rows[0] == {
        "period": "2026-11-02",
        "invoices": 1,
        "parts": 1234.56,
        "labor": 135.0,
        "fees": 12.5,
        "subtotal": 1382.06,
        "tax": 114.02,
        "total": 1496.08,
    }


def test_json_numbers_are_the_exact_decimals(staff_client, november):
    body = staff_client.get(f"/reports/sales?{NOVEMBER}&group=month").content.decode()

    # 1382.06 + 0.10 = 1382.16 and 114.02 + 0.01 = 114.03, written as the decimals they are.
    assert '"subtotal":1382.16' in body and '"tax":114.03' in body and '"total":1496.19' in body


def test_sales_per_month(staff_client, november):
    rows = staff_client.get("/reports/sales?from=2026-10-01&to=2026-12-31&group=month").json()

    assert [(row["period"], row["invoices"], row["total"]) for row in rows] == [
        ("2026-11", 2, 1496.19),
        ("total", 2, 1496.19),
    ]


def test_the_default_range_is_the_current_month(staff_client, db):
    today = selectors.shop_today()
    invoiced_ticket(datetime.now(UTC), fees=("5.00",))
    last_month = today.replace(day=1) - timedelta(days=1)
    invoiced_ticket(datetime(last_month.year, last_month.month, 1, 12, tzinfo=UTC), fees=("7.00",))

    rows = staff_client.get("/reports/sales").json()

    assert [(row["period"], row["total"]) for row in rows] == [(today.isoformat(), 5.0), ("total", 5.0)]


def test_payments_mechanics_and_receivables(staff_client, november):
    payments = staff_client.get(f"/reports/payments?{NOVEMBER}").json()
    mechanics = staff_client.get(f"/reports/mechanics?{NOVEMBER}").json()
    receivables = staff_client.get("/reports/receivables").json()

    assert payments == [
        {"date": "2026-11-03", "method": "card", "count": 1, "amount": 1000.0},
        {"date": "2026-11-04", "method": "cash", "count": 1, "amount": -0.01},
    ]
    assert mechanics == [
        {
            "mechanic_id": november["mechanic"].pk,
            "name": "=HYPERLINK(1)",
            "labor_hours": 1.5,
            "labor_amount": 135.0,
            "tickets": 1,
        }
    ]
    first_invoice = Invoice.objects.get(ticket=november["first"])
    assert receivables[0] == {
        "ticket_id": november["first"].pk,
        "invoice_number": first_invoice.pk,
        "customer_id": november["first"].customer_id,
        "invoiced_at": "2026-11-02T15:00:00Z",
        "total": 1496.08,
        "balance": 496.09,
        "age_days": (selectors.shop_today() - date(2026, 11, 2)).days,
        "bucket": selectors.age_bucket((selectors.shop_today() - date(2026, 11, 2)).days),
    }
    assert [row["ticket_id"] for row in receivables] == [november["first"].pk, november["second"].pk]


# --- CSV ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", REPORTS)
def test_csv_has_one_header_row_and_the_json_rows(staff_client, november, path):
    query = "" if path == "/reports/receivables" else NOVEMBER
    json_rows = staff_client.get(f"{path}?{query}").json()

    response = staff_client.get(f"{path}?{query}&format=csv")

    header, *rows = read_csv(response)
    assert header == HEADERS[path]
    assert len(rows) == len(json_rows) > 0
    for row, json_row in zip(rows, json_rows, strict=True):
        assert list(json_row) == header
        for cell, value in zip(row, json_row.values(), strict=True):
            if isinstance(value, float):
                assert Decimal(cell) == Decimal(str(value))
            elif not cell.startswith("'"):
                assert cell == str(value)
    assert response["Content-Disposition"].startswith(f'attachment; filename="{path.rsplit("/", 1)[1]}')


def test_csv_writes_decimals_as_exact_strings(staff_client, november):
    header, *rows = read_csv(staff_client.get(f"/reports/sales?{NOVEMBER}&format=csv"))

    assert rows[0] == ["2026-11-02", "1", "1234.56", "135.00", "12.50", "1382.06", "114.02", "1496.08"]
    assert rows[-1][0] == "total"
    assert staff_client.get(f"/reports/sales?{NOVEMBER}&format=csv")["Content-Disposition"] == (
        'attachment; filename="sales-2026-11-01-2026-11-30.csv"'
    )


def test_csv_keeps_a_spreadsheet_from_running_a_name_as_a_formula(staff_client, november):
    header, row = read_csv(staff_client.get(f"/reports/mechanics?{NOVEMBER}&format=csv"))

    assert row[1] == "'=HYPERLINK(1)"
    assert read_csv(staff_client.get(f"/reports/payments?{NOVEMBER}&format=csv"))[2][3] == "-0.01"  # numbers stay


@pytest.mark.parametrize("path", ["/reports/payments", "/reports/mechanics", "/reports/receivables"])
def test_an_empty_csv_report_is_its_header(staff_client, db, path):
    assert read_csv(staff_client.get(f"{path}?format=csv")) == [HEADERS[path]]


def test_accept_text_csv_asks_for_csv_and_other_types_get_json(staff_client, november):
    assert (
        read_csv(staff_client.get(f"/reports/sales?{NOVEMBER}", HTTP_ACCEPT="text/csv"))[0] == HEADERS["/reports/sales"]
    )
    response = staff_client.get(f"/reports/sales?{NOVEMBER}", HTTP_ACCEPT="application/xml")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    response = staff_client.get(f"/reports/sales?{NOVEMBER}&format=json", HTTP_ACCEPT="text/csv")
    assert response["Content-Type"] == "application/json"


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-13-01", "from"),
        ("to=2026-02-30", "to"),
        ("from=2026/11/01", "from"),
        ("from=01-11-2026", "from"),
        ("from=2026-11-1", "from"),
        ("from=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-11-01", "from"),  # fullwidth digits
        ("from=2026-11-01T00:00", "from"),
        ("from=", "from"),
        ("from=2026-11-30&to=2026-11-01", "to"),
        ("from=2026-11-01&from=2026-11-02", "from"),
        ("group=week", "group"),
        ("group=", "group"),
        ("group=day&group=month", "group"),
        ("format=xml", "format"),
        ("format=csv&format=json", "format"),
    ],
)
def test_bad_queries_are_400_in_json(staff_client, db, query, field):
    response = staff_client.get(f"/reports/sales?{query}")

    assert response["Content-Type"] == "application/json"
    assert field in error_fields(response)


def test_a_from_after_the_current_month_needs_a_to(staff_client, db):
    next_month = selectors.shop_today().replace(day=28) + timedelta(days=10)

    assert "from" in error_fields(staff_client.get(f"/reports/sales?from={next_month.isoformat()}"))
    assert staff_client.get(f"/reports/sales?from={next_month.isoformat()}&to={next_month.isoformat()}").json() == [
        {"period": "total", "invoices": 0, **dict.fromkeys(HEADERS["/reports/sales"][2:], 0.0)}
    ]


@pytest.mark.parametrize("path", REPORTS)
def test_every_report_checks_its_dates(staff_client, db, path):
    assert "from" in error_fields(staff_client.get(f"{path}?from=yesterday"))
    assert "to" in error_fields(staff_client.get(f"{path}?to=2026-11-31"))


@pytest.mark.parametrize("path", REPORTS)
@pytest.mark.parametrize("query", ["", "?format=csv", "?format=xml", "?from=nonsense"])
def test_reports_are_for_staff_only_and_say_so_before_anything_else(api_client, customer_client, path, query):
    anonymous = api_client.get(f"{path}{query}")
    customer = customer_client.get(f"{path}{query}")

    assert_error(anonymous, 401)
    assert anonymous["WWW-Authenticate"].startswith("Bearer")
    assert_error(customer, 403)
    assert anonymous["Content-Type"] == customer["Content-Type"] == "application/json"


def test_reports_answer_with_and_without_a_trailing_slash(staff_client, november):
    assert (
        staff_client.get(f"/reports/sales/?{NOVEMBER}").json() == staff_client.get(f"/reports/sales?{NOVEMBER}").json()
    )


def test_the_calendars_first_and_last_days_are_accepted(staff_client, november, settings):
    settings.TIME_ZONE = "Asia/Tokyo"

    rows = staff_client.get("/reports/sales?from=0001-01-01&to=9999-12-31&group=month").json()

    assert rows[-1]["invoices"] == 2


@pytest.mark.parametrize(("path", "queries"), [("/reports/sales", 1), ("/reports/mechanics", 2)])
def test_a_report_request_is_a_fixed_number_of_queries(
    staff_user, client_for, november, django_assert_num_queries, path, queries
):
    client = client_for(staff_user)
    client.get(path)  # the signed-in account is cached now

    with django_assert_num_queries(queries):
        assert client.get(f"{path}?{NOVEMBER}&format=csv").status_code == 200
