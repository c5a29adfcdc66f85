import re
from collections import Counter
from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.limits import MAX_ID, MAX_INT
from core.serializers import StrictDateField, StrictDecimalField, StrictIntegerField
from core.text import NormalizedCharField
from tickets import money, workflow
from tickets.models import Payment, Status, TicketLine
from tickets.services import MILEAGE_OUT_BELOW_IN

VIN_PATTERN = re.compile(r"^[A-HJ-NPR-Z0-9]{1,17}$")
MAX_MILEAGE = MAX_INT  # the largest value of the mileage columns


class TicketMechanicSerializer(serializers.Serializer):
    id = StrictIntegerField()
    name = serializers.CharField()


class TicketPartSerializer(serializers.Serializer):
    inventory_id = StrictIntegerField()
    name = serializers.CharField(source="inventory.name")
    # The unit price the part had when it was put on the ticket.
    price = StrictDecimalField(source="unit_price", max_digits=10, decimal_places=2)
    quantity = StrictIntegerField()


class TicketLineSerializer(serializers.Serializer):
    """A labor or fee line, as shown and as sent (`POST /tickets/<id>/lines`)."""

    id = StrictIntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=TicketLine.Kind.choices)
    description = NormalizedCharField(max_length=255)
    quantity = StrictDecimalField(max_digits=8, decimal_places=2, min_value=Decimal("0.01"))
    unit_price = StrictDecimalField(max_digits=10, decimal_places=2, min_value=Decimal(0))
    amount = serializers.SerializerMethodField()
    mechanic_id = StrictIntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True, default=None)

    def validate_unit_price(self, value: Decimal) -> Decimal:
        # min_value=0 has refused every negative but -0, which abs() turns into a plain 0.
        return abs(value)

    @extend_schema_field(StrictDecimalField(max_digits=16, decimal_places=2))
    def get_amount(self, line) -> Decimal:
        return money.line_amount(line.quantity, line.unit_price)


def _money() -> serializers.DecimalField:
    return StrictDecimalField(max_digits=16, decimal_places=2, read_only=True)


class TotalsSerializer(serializers.Serializer):
    parts = _money()
    labor = _money()
    fees = _money()
    subtotal = _money()
    tax = _money()
    total = _money()
    paid = _money()
    balance = _money()


class TicketSerializer(serializers.Serializer):
    """A ticket as the API shows it, and the fields a client may send. Reads expect a ticket from
    tickets.selectors (with `mechanic_list` and `part_list`); writes go through tickets.services."""

    id = StrictIntegerField(read_only=True)
    # Required, unless the ticket names its vehicle (whose VIN it then takes): see validate().
    VIN = NormalizedCharField(source="vin", max_length=17, required=False)
    service_date = StrictDateField()
    service_description = NormalizedCharField(max_length=1000, multiline=True)
    customer_id = StrictIntegerField(min_value=1, max_value=MAX_ID, required=False)
    vehicle_id = StrictIntegerField(
        min_value=1, max_value=MAX_ID, required=False, allow_null=True, help_text="A vehicle of the ticket's customer."
    )
    mileage_in = StrictIntegerField(min_value=0, max_value=MAX_MILEAGE, required=False, allow_null=True)
    mileage_out = StrictIntegerField(
        min_value=0, max_value=MAX_MILEAGE, required=False, allow_null=True, help_text="At least mileage_in."
    )
    mechanics = TicketMechanicSerializer(source="mechanic_list", many=True, read_only=True)
    parts = TicketPartSerializer(source="part_list", many=True, read_only=True)
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    lines = TicketLineSerializer(source="line_list", many=True, read_only=True)
    totals = serializers.SerializerMethodField()
    invoice_number = serializers.SerializerMethodField()
    approved_total = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="The total the customer last approved; null before any approval.",
    )
    needs_approval = serializers.SerializerMethodField(
        help_text="Approved or in progress, with a total above approved_total: POST /tickets/<id>/approve."
    )

    def to_representation(self, ticket):
        # totals and needs_approval both show the ticket's totals: priced once per ticket. (A
        # list serializes its tickets one after another with one child serializer.)
        self._totals = money.ticket_totals(ticket)
        return super().to_representation(ticket)

    @extend_schema_field(TotalsSerializer)
    def get_totals(self, ticket) -> dict:
        # The Decimals as money computed them (already in cents), rendered exactly: a
        # DecimalField would re-quantize them and fail on an unusually large total.
        return self._totals.as_dict()

    def get_needs_approval(self, ticket) -> bool:
        total = self._totals.total
        return money.needs_approval(status=ticket.status, approved_total=ticket.approved_total, total=total)

    @extend_schema_field(StrictIntegerField(allow_null=True))
    def get_invoice_number(self, ticket) -> int | None:
        invoice = money.invoice_of(ticket)
        return None if invoice is None else invoice.pk

    def validate_VIN(self, value: str) -> str:
        value = value.upper()
        if not VIN_PATTERN.match(value):
            raise serializers.ValidationError("A VIN has 1 to 17 letters and digits, without I, O or Q.")
        return value

    def validate(self, attrs: dict) -> dict:
        if not self.partial and "vin" not in attrs and attrs.get("vehicle_id") is None:
            raise serializers.ValidationError({"VIN": ["This field is required."]})
        mileage_in, mileage_out = attrs.get("mileage_in"), attrs.get("mileage_out")
        if mileage_in is not None and mileage_out is not None and mileage_out < mileage_in:
            raise serializers.ValidationError({"mileage_out": [MILEAGE_OUT_BELOW_IN]})
        return attrs


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=Status.choices)
    note = NormalizedCharField(max_length=1000, multiline=True, required=False, allow_blank=True, default="")


class ApprovalSerializer(serializers.Serializer):
    note = NormalizedCharField(
        max_length=workflow.APPROVAL_NOTE_LIMIT,
        required=False,
        allow_blank=True,
        default="",
        help_text="How the customer approved; required when staff record the approval.",
    )


class StatusChangeSerializer(serializers.Serializer):
    from_status = serializers.ChoiceField(source="from_status", choices=Status.choices, allow_null=True)
    to = serializers.ChoiceField(source="to_status", choices=Status.choices)
    at = serializers.DateTimeField(read_only=True)
    by = serializers.CharField()
    note = serializers.CharField()

    def get_fields(self):
        # The contract's key is "from", a Python keyword that cannot be a class attribute.
        fields = super().get_fields()
        return {"from": fields.pop("from_status"), **fields}


class PaymentSerializer(serializers.Serializer):
    id = StrictIntegerField(read_only=True)
    amount = StrictDecimalField(max_digits=14, decimal_places=2)
    method = serializers.ChoiceField(choices=Payment.Method.choices)
    reference = NormalizedCharField(max_length=255, required=False, allow_blank=True, default="")
    at = serializers.DateTimeField(read_only=True)

    def validate_amount(self, value: Decimal) -> Decimal:
        if value == 0:
            raise serializers.ValidationError("A payment cannot be zero.")
        return value


class MechanicAssignmentSerializer(serializers.Serializer):
    message = serializers.CharField()
    ticket_id = StrictIntegerField()
    mechanic_id = StrictIntegerField()


def _id_list() -> serializers.ListField:
    return serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=MAX_ID), required=False, default=list, max_length=1000
    )


class UpdateMechanicsSerializer(serializers.Serializer):
    add_mechanic_ids = _id_list()
    remove_mechanic_ids = _id_list()


class PartRequestSerializer(serializers.Serializer):
    inventory_id = StrictIntegerField(min_value=1, max_value=MAX_ID)
    quantity = StrictIntegerField(min_value=1, max_value=MAX_INT, default=1)


class AddPartsSerializer(serializers.Serializer):
    add_inventory_items = PartRequestSerializer(many=True, allow_empty=False, max_length=1000)

    def validate_add_inventory_items(self, items: list[dict]) -> list[dict]:
        counts = Counter(item["inventory_id"] for item in items)
        if duplicates := sorted(iid for iid, count in counts.items() if count > 1):
            raise serializers.ValidationError(f"Each inventory_id may appear once; repeated: {duplicates}.")
        return items

    @property
    def quantities(self) -> dict[int, int]:
        return {item["inventory_id"]: item["quantity"] for item in self.validated_data["add_inventory_items"]}


class AddPartsResultSerializer(serializers.Serializer):
    ticket_id = StrictIntegerField()
    added_inventory_ids = serializers.ListField(child=StrictIntegerField())
    duplicate_inventory_ids = serializers.ListField(child=StrictIntegerField())
    requested_count = StrictIntegerField()
    added_count = serializers.SerializerMethodField()
    duplicate_count = serializers.SerializerMethodField()

    def get_added_count(self, result) -> int:
        return len(result.added_inventory_ids)

    def get_duplicate_count(self, result) -> int:
        return len(result.duplicate_inventory_ids)
