"""The audit trail's only writer. Services call record_changes (or record_change) inside the
transaction of the change they record, so a change and its trail commit or roll back together.

What a change is called (`action`) and what it describes (`changes`) is the calling service's
business; snapshot() and changed_fields() help it describe an update as {field: [old, new]}."""

from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from audit.models import Action, Change


def record_changes(*, record: models.Model, by: str, changes: Iterable[tuple[str, dict]]) -> list[Change]:
    """One entry per (action, changes) pair, all at the same moment, in one INSERT. A pair whose
    changes are empty (an update that changed nothing) is left out."""
    content_type = ContentType.objects.get_for_model(record)
    at = timezone.now()
    entries = [
        Change(content_type=content_type, object_id=record.pk, at=at, by=by, action=Action(action), changes=described)
        for action, described in changes
        if described
    ]
    return Change.objects.bulk_create(entries) if entries else []


def record_change(*, record: models.Model, by: str, action: str, changes: dict) -> Change | None:
    """One entry (None when `changes` is empty: nothing changed)."""
    recorded = record_changes(record=record, by=by, changes=[(action, changes)])
    return recorded[0] if recorded else None


def snapshot(record: models.Model, fields: Mapping[str, str]) -> dict[str, object]:
    """The record's values of `fields` ({name the trail shows: attribute}), each decimal at its
    column's places, as it will read back from the database ("12.5" saved is "12.50")."""
    values = {}
    for name, attribute in fields.items():
        value = getattr(record, attribute)
        field = record._meta.get_field(attribute)
        if value is not None and isinstance(field, models.DecimalField):
            value = Decimal(value).quantize(Decimal(1).scaleb(-field.decimal_places))
        values[name] = value
    return values


def changed_fields(before: Mapping[str, object], after: Mapping[str, object]) -> dict[str, list]:
    """{name: [old, new]} for each value that differs between two snapshots."""
    return {name: [before[name], value] for name, value in after.items() if before[name] != value}


def deleted_fields(before: Mapping[str, object]) -> dict[str, list]:
    """A deleted record's last values, as {name: [old, None]}."""
    return {name: [value, None] for name, value in before.items()}
