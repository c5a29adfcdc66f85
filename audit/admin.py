import json

from django.contrib import admin
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string

from audit.selectors import changes_of

AUDIT_TRAIL = "audit_trail"


class AuditTrailAdmin:
    """For a ModelAdmin: the record's audit trail, read-only, last on its change page (the
    admin's own history, LogEntry, keeps no field values). A read-only field, not an inline: the
    trail has no form, and nothing on the page can change or delete an entry."""

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), AUDIT_TRAIL]

    def get_fields(self, request, obj=None):
        fields = [name for name in super().get_fields(request, obj) if name != AUDIT_TRAIL]
        return fields if obj is None else [*fields, AUDIT_TRAIL]

    @admin.display(description="audit trail")
    def audit_trail(self, obj) -> str:
        changes = [
            {
                "at": change.at,
                "by": change.by,
                "action": change.action,
                "described": json.dumps(change.changes, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True),
            }
            for change in changes_of(model=type(obj), object_id=obj.pk)
        ]
        return render_to_string("admin/audit/trail.html", {"changes": changes})
