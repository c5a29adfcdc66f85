from rest_framework import serializers

from core.serializers import StrictDateField
from reports.selectors import AGE_BUCKETS, GROUPS

FORMATS = ("json", "csv")


def _date(help_text: str) -> StrictDateField:
    return StrictDateField(required=False, input_formats=["%Y-%m-%d"], help_text=help_text)


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


# The rows are answers, never read from a request: every field is read-only.
def _money(help_text: str = "") -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True, help_text=help_text)


class SalesRowSerializer(serializers.Serializer):
    period = serializers.CharField(
        read_only=True, help_text='"YYYY-MM-DD" (group=day), "YYYY-MM" (group=month), or "total".'
    )
    invoices = serializers.IntegerField(read_only=True)
    parts = _money()
    labor = _money()
    fees = _money()
    subtotal = _money()
    tax = _money("The sum of the invoices' frozen tax.")
    total = _money()


class PaymentsRowSerializer(serializers.Serializer):
    date = serializers.DateField(read_only=True)
    method = serializers.CharField(read_only=True)
    count = serializers.IntegerField(read_only=True)
    amount = _money("Payments less refunds.")


class MechanicRowSerializer(serializers.Serializer):
    mechanic_id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    labor_hours = serializers.DecimalField(max_digits=20, decimal_places=2, read_only=True)
    labor_amount = _money()
    tickets = serializers.IntegerField(read_only=True)


class ReceivableRowSerializer(serializers.Serializer):
    ticket_id = serializers.IntegerField(read_only=True)
    invoice_number = serializers.IntegerField(read_only=True)
    customer_id = serializers.IntegerField(read_only=True)
    invoiced_at = serializers.DateTimeField(read_only=True)
    total = _money()
    balance = _money()
    age_days = serializers.IntegerField(
        help_text="Days since the invoice's day, in the shop's calendar.", read_only=True
    )
    bucket = serializers.ChoiceField(choices=[name for name, _ in AGE_BUCKETS], read_only=True)
