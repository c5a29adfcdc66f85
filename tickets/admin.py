from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.forms.models import BaseInlineFormSet
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from accounts.callers import actor_name
from audit.admin import AuditTrailAdmin
from core.admin_services import (
    BoundedAutocomplete,
    BoundedAutocompleteSelect,
    NoSecretLookups,
    ServiceModelAdmin,
    ViewOnly,
)
from core.errors import Conflict, ServiceError
from core.text import normalize_text
from inventory.stock import OutOfStock
from tickets import money, selectors, services, workflow
from tickets.admin_lists import KeptCountPaginator, TicketStateFilter, listed_statuses, status_badge
from tickets.admin_page import ApprovalForm, TicketPageMixin
from tickets.models import Payment, Status, Ticket, TicketInventory, TicketLine, TicketMechanic
from tickets.serializers import MAX_MILEAGE, VIN_PATTERN
from tickets.services import MILEAGE_OUT_BELOW_IN
from vehicles.admin import VehicleAdmin
from vehicles.models import Vehicle

# The list shows this many characters of a ticket's description (all of it on hover).
DESCRIPTION_CHARS = 30


class RowLabelAutocompleteSelect(BoundedAutocompleteSelect):
    """An autocomplete that shows its row's chosen record from `labels` (set by RowLabelsForm from
    the row's own instance, read with it) instead of looking it up: no query per row."""

    labels: dict[str, str] = {}

    def optgroups(self, name, value, attr=None):
        chosen = [str(v) for v in value if v not in ("", None)]
        if not chosen or not set(chosen) <= self.labels.keys():
            return super().optgroups(name, value, attr)
        default = (None, [], 0)
        if not self.is_required:
            default[1].append(self.create_option(name, "", "", False, 0))
        for key in chosen[:1]:
            default[1].append(self.create_option(name, key, self.labels[key], True, len(default[1])))
        return [default]


class PartsAutocompleteSelect(RowLabelAutocompleteSelect):
    """The item search of the parts inline: each item with its price and stock on hand."""

    def get_url(self):
        return reverse("admin:tickets_ticket_parts_autocomplete")


class RowLabelsForm(forms.ModelForm):
    """An inline row whose autocomplete shows the record the row already has without a query."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = getattr(field.widget, "widget", field.widget)  # inside the admin's add/change links
            if isinstance(widget, RowLabelAutocompleteSelect):
                related_id = getattr(self.instance, self.instance._meta.get_field(name).attname)
                if related_id is not None:
                    widget.labels = {str(related_id): str(getattr(self.instance, name))}


class PartLineForm(RowLabelsForm):
    class Meta:
        labels = {"inventory": "Item"}


class FrozenTicketInline(BoundedAutocomplete):
    """An inline that, like its ticket, cannot be changed once the ticket is invoiced, closed or
    cancelled (`obj` is the ticket). Its rows are read with the records they name (`related`),
    which their autocompletes then show without a query per row."""

    form = RowLabelsForm
    related: tuple[str, ...] = ()

    def _open(self, request, obj) -> bool:
        return obj is None or not obj.is_frozen

    @admin.display(description="amount")
    def amount(self, line) -> str:
        return "" if line.pk is None else money.line_amount(line.quantity, line.unit_price)

    def has_add_permission(self, request, obj=None) -> bool:
        return self._open(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._open(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._open(request, obj) and super().has_delete_permission(request, obj)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.related)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = RowLabelAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        """A row's mechanic or item is chosen, not edited from here: no add, change, delete or
        view buttons beside it, which crowd a row."""
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and isinstance(field.widget, RelatedFieldWidgetWrapper):
            field.widget.can_add_related = field.widget.can_change_related = False
            field.widget.can_delete_related = field.widget.can_view_related = False
        return field


class PartLinesFormSet(BaseInlineFormSet):
    """New parts rows: each item once, and not one the ticket keeps (to change a quantity, the
    line is removed and added again); said on the row, before the formset's own duplicate check,
    which would only say "Please correct the duplicate values below"."""

    def clean(self):
        kept = {form.instance.inventory_id for form in self.initial_forms if not self._should_delete_form(form)}
        seen, twice = set(), False
        for form in self.extra_forms:
            item = getattr(form, "cleaned_data", {}).get("inventory")
            if item is None or self._should_delete_form(form):
                continue
            if item.pk in kept:
                form.add_error("inventory", f"{item.name} is already on the ticket: remove its line to change it.")
                twice = True
            elif item.pk in seen:
                form.add_error("inventory", f"{item.name} is on two new rows: put the whole quantity on one.")
                twice = True
            seen.add(item.pk)
        if not twice:
            super().clean()


class TicketInventoryInline(FrozenTicketInline, admin.TabularInline):
    """Parts lines. New rows are added together through services.add_parts (priced at today's
    price, taken from stock: all of them or, on a shortage, none); a removed row goes through
    services.remove_part, which returns its parts to stock. A line is never changed in place."""

    model = TicketInventory
    form = PartLineForm
    formset = PartLinesFormSet
    fields = ["inventory", "quantity", "unit_price", "amount", "on_hand"]
    readonly_fields = ["unit_price", "amount", "on_hand"]
    autocomplete_fields = ["inventory"]
    related = ("inventory",)
    extra = 0
    verbose_name = "part"
    verbose_name_plural = "parts"

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # its rows are shown, and may be removed

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "inventory":
            kwargs["widget"] = PartsAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="on hand")
    def on_hand(self, line) -> str:
        if line.pk is None:
            return ""
        on_hand = line.inventory.quantity_on_hand
        return "not counted" if on_hand is None else on_hand


class TicketMechanicInline(FrozenTicketInline, admin.TabularInline):
    model = TicketMechanic
    extra = 0
    autocomplete_fields = ["mechanic"]
    related = ("mechanic",)
    verbose_name = "mechanic"
    verbose_name_plural = "mechanics"


class TicketLineInline(FrozenTicketInline, admin.TabularInline):
    model = TicketLine
    extra = 0
    fields = ["kind", "description", "quantity", "unit_price", "amount", "mechanic"]
    readonly_fields = ["amount"]
    autocomplete_fields = ["mechanic"]
    related = ("mechanic",)
    verbose_name = "labor or fee line"


class PaymentInline(ViewOnly, admin.TabularInline):
    """Payments are shown, never edited or deleted here: they are taken through the API, which
    checks the balance under the ticket's row lock."""

    model = Payment
    extra = 0
    fields = readonly_fields = ["at", "amount", "method", "reference", "by"]


def _transition_action(to: str, label: str):
    """An admin action moving the selected tickets to `to` through tickets.workflow, reporting
    each refusal."""

    def action(modeladmin, request, queryset):
        moved, refused = [], []
        for ticket_id in queryset.order_by("pk").values_list("pk", flat=True):
            try:
                workflow.transition(ticket_id=ticket_id, to=to, by=actor_name(request.user), note="Admin action")
            except ServiceError as exc:
                refused.append(f"ticket {ticket_id}: {exc.message}")
            else:
                moved.append(str(ticket_id))
        if moved:
            modeladmin.message_user(request, f"Moved to {to}: ticket(s) {', '.join(moved)}.", messages.SUCCESS)
        for message in refused:
            modeladmin.message_user(request, f"Not moved to {to}, {message}", messages.ERROR)

    action.__name__ = f"move_to_{to}"
    return admin.action(description=label)(action)


class TicketAdminForm(forms.ModelForm):
    # As the API takes it: optional when a vehicle is chosen, whose VIN the ticket then takes.
    vin = forms.CharField(
        label="VIN", max_length=17, required=False, help_text="Leave it empty to take the chosen vehicle's VIN."
    )
    mileage_in = forms.IntegerField(min_value=0, max_value=MAX_MILEAGE, required=False)
    mileage_out = forms.IntegerField(min_value=0, max_value=MAX_MILEAGE, required=False)

    class Meta:
        model = Ticket
        fields = ["customer", "vehicle", "vin", "service_date", "service_description", "mileage_in", "mileage_out"]

    def clean_vin(self) -> str:
        vin = normalize_text(self.cleaned_data["vin"]).upper()
        if vin and not VIN_PATTERN.match(vin):
            raise forms.ValidationError("A VIN has 1 to 17 letters and digits, without I, O or Q.")
        return vin

    def clean(self):
        data = super().clean()
        if not data.get("vin") and not data.get("vehicle") and "vin" not in self.errors:
            self.add_error("vin", "Give the VIN, or choose the customer's vehicle.")
        mileage_in, mileage_out = data.get("mileage_in"), data.get("mileage_out")
        if mileage_in is not None and mileage_out is not None and mileage_out < mileage_in:
            self.add_error("mileage_out", MILEAGE_OUT_BELOW_IN)  # the service's words, not the constraint's name
        return data


def _service_arguments(form: forms.ModelForm, names) -> dict:
    """The form's values of `names`, as tickets.services takes them (ids for related rows, None
    for an empty VIN)."""
    data = form.cleaned_data
    arguments = {}
    for name in names:
        if name in ("customer", "vehicle"):
            arguments[f"{name}_id"] = None if data[name] is None else data[name].pk
        elif name == "vin":
            arguments[name] = data[name] or None
        else:
            arguments[name] = data[name]
    return arguments


def _save_mechanic_rows(ticket_id: int, formset, by: str) -> None:
    """One update_mechanics: a row deleted or changed removes its mechanic, a new or changed row
    adds one."""
    added, removed = set(), set()
    for row in formset.forms:
        existing = row.instance.pk is not None
        if row in formset.deleted_forms:
            if existing:
                removed.add(row.initial["mechanic"])
        elif row.has_changed():
            if existing:
                removed.add(row.initial["mechanic"])
            added.add(row.cleaned_data["mechanic"].pk)
    if added != removed:
        services.update_mechanics(ticket_id=ticket_id, add_ids=added - removed, remove_ids=removed - added, by=by)


def _save_part_rows(ticket_id: int, formset, by: str) -> None:
    """Removed rows first (their parts back on the shelf), then every new row in one add_parts:
    on a shortage nothing is added, and the refusal names each short item."""
    for line in formset.deleted_objects:
        services.remove_part(ticket_id=ticket_id, inventory_id=line.inventory_id, by=by)
    if not formset.new_objects:
        return
    names = {line.inventory_id: line.inventory.name for line in formset.new_objects}
    try:
        services.add_parts(
            ticket_id=ticket_id, quantities={line.inventory_id: line.quantity for line in formset.new_objects}, by=by
        )
    except OutOfStock as short:
        details = "; ".join(
            f"{names[s.inventory_id]}: {s.requested} wanted, {s.on_hand} on hand" for s in short.shortages
        )
        raise Conflict(f"{short.message} {details}. Nothing was added.", **short.extra) from None


def _save_line_rows(ticket_id: int, formset, by: str) -> None:
    for line in formset.deleted_objects:
        services.delete_line(ticket_id=ticket_id, line_id=line.pk, by=by)
    for line, changed in formset.changed_objects:
        changes = {name: getattr(line, name) for name in changed if name != "mechanic"}
        if "mechanic" in changed:
            changes["mechanic_id"] = line.mechanic_id
        services.update_line(ticket_id=ticket_id, line_id=line.pk, changes=changes, by=by)
    for line in formset.new_objects:
        services.add_line(
            ticket_id=ticket_id,
            kind=line.kind,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            mechanic_id=line.mechanic_id,
            by=by,
        )


@admin.register(Ticket)
class TicketAdmin(TicketPageMixin, AuditTrailAdmin, ServiceModelAdmin):
    """Tickets are created and changed through tickets.services, as in the API: the creation is
    recorded in the ticket's history, the vehicle and VIN rules hold, the vehicles' mileage is
    kept, and a frozen ticket cannot change. Tickets are never deleted (service history is kept)."""

    form = TicketAdminForm
    # One line per row (the changelist's template keeps cells from wrapping): totals and balance
    # are annotations of the page's one query (selectors.with_totals), never a query per row.
    list_display = ["id", "status_badge", "customer_link", "vehicle_link", "short_description", "total", "balance"]
    list_display += ["service_date"]
    list_display_links = ["id"]
    list_select_related = ["customer", "vehicle", "invoice"]
    search_fields = ["vin", "customer__name", "customer__email", "customer__phone", "vehicle__license_plate"]
    search_help_text = "A ticket number, a VIN, a customer's name, email or phone, or a plate."
    list_filter = [TicketStateFilter, "status", "service_date", "mechanics"]
    # Django's second count, of every ticket beside the filtered ones, would be a COUNT(*) over them all.
    show_full_result_count = False
    autocomplete_fields = ["customer", "vehicle"]
    # The status, totals and approval are in the page's panel (tickets/admin_page.py).
    readonly_fields = ["status_history"]
    service_field_names = {"customer_id": "customer", "vehicle_id": "vehicle", "VIN": "vin"}
    inlines = [TicketMechanicInline, TicketInventoryInline, TicketLineInline, PaymentInline]
    ordering = ["-id"]
    actions = [
        _transition_action(Status.APPROVED, "Approve the estimate"),
        _transition_action(Status.IN_PROGRESS, "Start work"),
        _transition_action(Status.COMPLETED, "Complete the work"),
        _transition_action(Status.INVOICED, "Invoice"),
        _transition_action(Status.CLOSED, "Close (balance paid)"),
        _transition_action(Status.CANCELLED, "Cancel"),
        "record_approval",
    ]

    @admin.action(description="Record the customer's approval of the new total", permissions=["change"])
    def record_approval(self, request, queryset):
        """An intermediate page asks how the customer approved; applying it records the approval
        of each ticket through tickets.workflow.approve_supplemental, reporting each refusal."""
        tickets = list(queryset.order_by("pk"))
        form = ApprovalForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": "Record the customer's approval",
                "opts": self.model._meta,
                "tickets": tickets,
                "form": form,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/tickets/record_approval.html", context)
        for ticket in tickets:
            try:
                approved = workflow.approve_supplemental(
                    ticket_id=ticket.pk, by=actor_name(request.user), note=form.cleaned_data["note"]
                )
            except ServiceError as exc:
                self.message_user(request, f"Not recorded, ticket {ticket.pk}: {exc.message}", messages.ERROR)
            else:
                self.message_user(
                    request, f"Ticket {ticket.pk}: approval of {approved.approved_total} recorded.", messages.SUCCESS
                )
        return None

    def has_change_permission(self, request, obj=None) -> bool:
        """Invoiced, closed and cancelled tickets are shown read-only, as the API keeps them."""
        if obj is not None and obj.is_frozen:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_through_service(self, request, obj, form, change) -> Ticket:
        if change:
            # Called even without changes: ticket_update checks the lock under the ticket's row
            # lock, which then covers the inline rows saved after it in this transaction.
            changes = _service_arguments(form, form.changed_data)
            if changes.get("vin", "") is None:
                del changes["vin"]  # emptied: the ticket keeps its VIN, or takes its vehicle's
            return services.ticket_update(ticket_id=obj.pk, changes=changes, by=actor_name(request.user))
        return services.ticket_create(**_service_arguments(form, form.fields), by=actor_name(request.user))

    def save_formset(self, request, form, formset, change) -> None:
        """The mechanics and lines of the inlines are written through tickets.services too.
        `save(commit=False)` writes nothing: it sorts the rows (and keeps them for the log)."""
        formset.save(commit=False)
        ticket_id, by = form.instance.pk, actor_name(request.user)
        if formset.model is TicketMechanic:
            _save_mechanic_rows(ticket_id, formset, by)
        elif formset.model is TicketInventory:
            _save_part_rows(ticket_id, formset, by)
        elif formset.model is TicketLine:
            _save_line_rows(ticket_id, formset, by)

    def get_queryset(self, request):
        return selectors.with_totals(super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        term = normalize_text(search_term).strip()
        return (selectors.search(queryset, term=term) if term else queryset), False

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        statuses = listed_statuses(request.GET)
        if statuses is None:
            return super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)
        return KeptCountPaginator(queryset, per_page, orphans, allow_empty_first_page, statuses=statuses)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if obj is not None else [name for name in fields if name != "status_history"]

    @admin.display(description="status history")
    def status_history(self, ticket) -> str:
        """Every change of status, oldest first, read-only (as GET /tickets/<id>/history)."""
        entries = [] if ticket.pk is None else selectors.ticket_history(ticket_id=ticket.pk)
        return render_to_string("admin/tickets/ticket/history.html", {"entries": entries})

    @admin.display(ordering="status", description="status")
    def status_badge(self, ticket) -> str:
        return status_badge(ticket.status)

    # Not sortable by the customer, the vehicle, the work or the money: a sort on a join or on an
    # annotation reads and sorts every ticket of the list; the id, status and date have indexes.
    @admin.display(description="customer")
    def customer_link(self, ticket) -> str:
        url = reverse("admin:customers_customer_change", args=[ticket.customer_id])
        return format_html('<a href="{}">{}</a>', url, ticket.customer.name)

    @admin.display(description="vehicle")
    def vehicle_link(self, ticket) -> str:
        vehicle = ticket.vehicle
        if vehicle is None:
            return format_html('<span class="vin">{}</span>', ticket.vin)
        words = " ".join(part for part in (vehicle.make, vehicle.model) if part)
        url = reverse("admin:vehicles_vehicle_change", args=[vehicle.pk])
        return format_html(
            '<a href="{}" title="{} VIN {}">{}</a> <span class="plate">{}</span>',
            url,
            vehicle.year or "",
            vehicle.vin,
            words or vehicle.vin,
            vehicle.license_plate,
        )

    @admin.display(description="work")
    def short_description(self, ticket) -> str:
        text = ticket.service_description
        return format_html('<span title="{}">{}</span>', text, Truncator(text).chars(DESCRIPTION_CHARS))

    @admin.display(description="total")
    def total(self, ticket):
        return money.cents(ticket.total_amount)  # SQLite answers the annotation unrounded

    @admin.display(description="balance")
    def balance(self, ticket):
        return money.cents(ticket.balance)


@admin.register(TicketMechanic)
class TicketMechanicAdmin(ViewOnly, NoSecretLookups, admin.ModelAdmin):
    """Shown only: mechanics are put on and taken off a ticket on its own page (unless it is
    frozen) or through the API."""

    list_display = ["id", "ticket", "mechanic"]
    list_select_related = ["ticket", "mechanic"]
    autocomplete_fields = ["ticket", "mechanic"]
    search_fields = ["ticket__vin", "mechanic__name"]


@admin.register(TicketInventory)
class TicketInventoryAdmin(ViewOnly, NoSecretLookups, admin.ModelAdmin):
    """Shown only: parts lines are added and removed through the API, which prices them and
    takes the parts from stock or returns them."""

    list_display = ["id", "ticket", "inventory", "quantity", "unit_price"]
    list_select_related = ["ticket", "inventory"]
    autocomplete_fields = ["ticket", "inventory"]
    search_fields = ["ticket__vin", "inventory__name"]


class VehicleTicketInline(ViewOnly, admin.TabularInline):
    """The vehicle's service history, newest first, read-only: tickets are edited on their own page."""

    model = Ticket
    fields = ["ticket_link", "service_date", "status", "mileage_in", "mileage_out", "service_description"]
    readonly_fields = fields
    ordering = ["-service_date", "-id"]
    extra = 0
    show_change_link = False
    verbose_name = "service ticket"
    verbose_name_plural = "service history"

    @admin.display(description="ticket")
    def ticket_link(self, ticket) -> str:
        return format_html(
            '<a href="{}">Ticket {}</a>', reverse("admin:tickets_ticket_change", args=[ticket.pk]), ticket.pk
        )


# The vehicle's page with its service history below it: vehicles/admin.py registers the page
# without it, as vehicles knows nothing of tickets.
admin.site.unregister(Vehicle)


@admin.register(Vehicle)
class VehicleWithHistoryAdmin(VehicleAdmin):
    inlines = [*VehicleAdmin.inlines, VehicleTicketInline]
