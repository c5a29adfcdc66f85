import re
from datetime import date

from rest_framework import serializers

from reports.selectors import AGE_BUCKETS, GROUPS

ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FORMATS = ("json", "csv")


class IsoDateField(serializers.DateField):
    """A date written YYYY-MM-DD in ASCII digits, as every date of the API."""

    def to_internal_value(self, value) -> date:
        if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


def _date(help_text: str) -> IsoDateField:
    return IsoDateField(required=False, input_formats=["%Y-%m-%d"], help_text=help_text)


class ReportQuerySerializer(serializers.Serializer):
    """The query of every report: `from` and `to`, days of the shop's calendar, both included, and
    `format`. (`from` is a Python keyword, so the fields are named in get_fields.)"""

    first_help = "The first day (YYYY-MM-DD, the shop's calendar), included. Default: the current month's first."
    last_help = "The last day (YYYY-MM-DD), included. Default: the current month's last."

    def get_fields(self) -> dict:
        return {
            "from": _date(self.first_help),
            "to": _date(self.last_help),
            "format": serializers.ChoiceField(
                choices=FORMATS, required=False, help_text="`csv` for text/csv (one header row); default JSON."
            ),
        }

    def validate(self, attrs: dict) -> dict:
        first, last = attrs.get("from"), attrs.get("to")
        if first is not None and last is not None and first > last:
            raise serializers.ValidationError({"to": ["Must not be before from."]})
        return attrs


class SalesQuerySerializer(ReportQuerySerializer):
    def get_fields(self) -> dict:
        group = serializers.ChoiceField(
            choices=list(GROUPS), required=False, default="day", help_text="One row per day (default) or per month."
        )
        return {**super().get_fields(), "group": group}


class ReceivablesQuerySerializer(ReportQuerySerializer):
    first_help = "The first invoice day (YYYY-MM-DD), included. Default: none (every unpaid invoice)."
    last_help = "The last invoice day (YYYY-MM-DD), included. Default: today."


def _money(help_text: str = "") -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=20, decimal_places=2, help_text=help_text)


class SalesRowSerializer(serializers.Serializer):
    period = serializers.CharField(help_text='"YYYY-MM-DD" (group=day), "YYYY-MM" (group=month), or "total".')
    invoices = serializers.IntegerField()
    parts = _money()
    labor = _money()
    fees = _money()
    subtotal = _money()
    tax = _money("The sum of the invoices' frozen tax.")
    total = _money()


class PaymentsRowSerializer(serializers.Serializer):
    date = serializers.DateField()
    method = serializers.CharField()
    count = serializers.IntegerField()
    amount = _money("Payments less refunds.")


class MechanicRowSerializer(serializers.Serializer):
    mechanic_id = serializers.IntegerField()
    name = serializers.CharField()
    labor_hours = serializers.DecimalField(max_digits=20, decimal_places=2)
    labor_amount = _money()
    tickets = serializers.IntegerField()


class ReceivableRowSerializer(serializers.Serializer):
    ticket_id = serializers.IntegerField()
    invoice_number = serializers.IntegerField()
    customer_id = serializers.IntegerField()
    invoiced_at = serializers.DateTimeField()
    total = _money()
    balance = _money()
    age_days = serializers.IntegerField(help_text="Days since the invoice's day, in the shop's calendar.")
    bucket = serializers.ChoiceField(choices=[name for name, _ in AGE_BUCKETS])
