"""Admin pages that write through the services, as the API does, rows the admin only shows, and
changelists that never filter on a secret.

`save_model` (through `save_through_service`) and `delete_model` call a service. The admin saves
in one transaction, so a ServiceError the service raises undoes the whole save (inline rows
included); the page is then shown again with the refusal as form errors (or, for a delete, as a
message), never as a 500.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpResponseRedirect

from core.errors import ServiceError
from core.limits import MAX_ID

# Fields no changelist may filter on, on their model or across a relation: a filter such as
# `?password__startswith=argon2` reads a hash a character at a time from the result counts.
SECRET_FIELD_NAMES = frozenset({"password", "secret"})


def reaches_secret_field(model: type[models.Model], lookup: str) -> bool:
    """Whether the lookup (`customer__password__startswith`) names a secret field of `model` or of
    a model it reaches through relations."""
    for part in lookup.split(LOOKUP_SEP):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False  # a lookup or transform (`startswith`), or no field at all
        if field.name in SECRET_FIELD_NAMES:
            return True
        if not field.is_relation or field.related_model is None:
            return False
        model = field.related_model
    return False


class NoSecretLookups:
    """For every ModelAdmin (tests/test_admin.py checks each registered one): a changelist lookup
    that reaches a secret field is not allowed, which Django answers with
    DisallowedModelAdminLookup, a 400."""

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        return not reaches_secret_field(self.model, lookup) and super().lookup_allowed(lookup, value, request)


class ViewOnly:
    """For an inline or a ModelAdmin whose rows are shown, never written here."""

    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class BoundedAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete, which looks the posted id up again to show a refused form: an id
    no id column holds, or no number at all (from a hand-made POST, which the form refuses
    anyway), is left out of that lookup, where it would fail with a 500."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if str(v).isdigit() and int(v) <= MAX_ID], attr)


class BoundedAutocomplete:
    """For a ModelAdmin or an inline whose autocomplete fields point at integer ids."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = BoundedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _with_refusal(
    form_class: type[forms.ModelForm], error: ServiceError, names: dict[str, str]
) -> type[forms.ModelForm]:
    """The form class, adding the service's refusal to its errors: each of `error.fields` on its
    form field (`names` maps the service's field names to the form's), the rest on the form."""

    class Refused(form_class):
        def clean(self):
            data = super().clean()
            for name, messages_ in (getattr(error, "fields", None) or {None: [error.message]}).items():
                field = names.get(name, name)
                if field in self.fields:
                    self.add_error(field, messages_)
                else:
                    self.add_error(None, [f"{name}: {message}" if name else message for message in messages_])
            return data

    Refused.__name__ = form_class.__name__
    return Refused


class ServiceModelAdmin(NoSecretLookups, BoundedAutocomplete, admin.ModelAdmin):
    # The services' field names that differ from the form's (services use the API's names).
    service_field_names: dict[str, str] = {}

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceError as error:
            # Rolled back with the view's transaction: validate the same input again, this time
            # with the refusal among the form's errors, which shows the page without saving.
            request.service_refusal = error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_through_service(self, request, obj, form, change: bool) -> models.Model:
        """Create (`change` false) or change the row through the app's service, from the form's
        values; returns the row the service saved."""
        raise NotImplementedError

    def save_model(self, request, obj, form, change) -> None:
        saved = self.save_through_service(request, obj, form, change)
        # The admin goes on with `obj` (inline rows, the log, the redirect): it takes the saved values.
        for field in obj._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        error = getattr(request, "service_refusal", None)
        return form if error is None else _with_refusal(form, error, self.service_field_names)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ServiceError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.path)

    def delete_queryset(self, request, queryset):
        """The bulk delete action, one object at a time through delete_model (so its service)."""
        for obj in queryset:
            try:
                self.delete_model(request, obj)
            except ServiceError as error:
                self.message_user(request, error.message, messages.ERROR)
