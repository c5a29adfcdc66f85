"""The admin's front page dashboard (reports/templates/admin/shop_index.html): `{% shop_dashboard %}`
renders reports.selectors.dashboard() for staff who may see tickets."""

from datetime import timedelta
from decimal import Decimal

from django import template
from django.urls import reverse

from reports import charts, selectors
from tickets.admin_lists import status_badge, ticket_list_url
from tickets.models import Status

register = template.Library()


@register.inclusion_tag("admin/reports/dashboard.html", takes_context=True)
def shop_dashboard(context) -> dict:
    request = context["request"]
    if not request.user.has_perm("tickets.view_ticket"):
        return {"shown": False}
    board = selectors.dashboard()
    statuses = [
        {
            "status": status,
            "label": Status(status).label,
            "badge": status_badge(status),
            "count": board.status_counts[status],
            "today": board.day_board.get(status, 0),
            "url": ticket_list_url(state="all", status__exact=status),
        }
        for status in Status.values
    ]
    return {
        "shown": True,
        "board": board,
        "statuses": statuses,
        "today_total": sum(board.day_board.values()),
        "today_url": ticket_list_url(
            state="all", service_date__gte=board.today, service_date__lt=board.today + timedelta(days=1)
        ),
        "waiting": [(ticket, status_badge(ticket.status)) for ticket in board.waiting],
        "waiting_url": ticket_list_url(state="waiting"),
        "ready": [(ticket, status_badge(ticket.status)) for ticket in board.ready],
        "ready_url": ticket_list_url(state="ready"),
        "low_stock_url": f"{reverse('admin:inventory_inventory_changelist')}?stock=low",
        "receivables_url": ticket_list_url(state="all", status__exact=Status.INVOICED),
        "receivables_total": sum((owed for _, owed in board.receivables.values()), Decimal("0.00")),
        "chart": charts.bar_chart(board.revenue),
    }
