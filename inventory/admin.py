from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse

from accounts.callers import actor_name
from audit.admin import AuditTrailAdmin
from core.admin_services import ServiceModelAdmin, ViewOnly
from core.errors import ServiceError
from inventory import services, stock
from inventory.models import Inventory, StockMovement
from inventory.selectors import LOW_STOCK


class StockFilter(admin.SimpleListFilter):
    title = "stock"
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return [("low", "Low (at or below reorder point)"), ("tracked", "Tracked"), ("untracked", "Not tracked")]

    def queryset(self, request, queryset):
        if self.value() == "low":
            return queryset.filter(LOW_STOCK)
        if self.value() == "tracked":
            return queryset.filter(quantity_on_hand__isnull=False)
        if self.value() == "untracked":
            return queryset.filter(quantity_on_hand__isnull=True)
        return queryset


class StockMovementInline(ViewOnly, admin.TabularInline):
    """The ledger, as history: shown, never written here (stock changes through inventory.stock)."""

    model = StockMovement
    fields = readonly_fields = ["at", "kind", "quantity", "balance_after", "ticket_number", "by", "note"]
    extra = 0
    verbose_name_plural = "stock ledger"

    @admin.display(description="ticket")
    def ticket_number(self, movement) -> int | None:
        return movement.ticket_id  # the id, not the ticket's __str__: no query per row


class StockMovementForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            (StockMovement.Kind.RECEIPT, "Receipt (stock received)"),
            (StockMovement.Kind.ADJUSTMENT, "Adjustment (a correction, + or -)"),
        ],
        initial=StockMovement.Kind.RECEIPT,
    )
    quantity = forms.IntegerField(min_value=-stock.MAX_ON_HAND, max_value=stock.MAX_ON_HAND)
    note = forms.CharField(max_length=1000, required=False)

    def clean(self):
        data = super().clean()
        kind, quantity = data.get("kind"), data.get("quantity")
        if kind == StockMovement.Kind.RECEIPT and quantity is not None and quantity <= 0:
            self.add_error("quantity", "A receipt adds stock: give a positive quantity.")
        if kind == StockMovement.Kind.ADJUSTMENT and quantity == 0:
            self.add_error("quantity", "An adjustment cannot be zero.")
        return data


@admin.register(Inventory)
class InventoryAdmin(AuditTrailAdmin, ServiceModelAdmin):
    """Items are created, changed and deleted through inventory.services, as in the API; an item
    on tickets or with a stock ledger is kept (Django's "protected" page, or the service's refusal)."""

    list_display = ["id", "name", "price", "quantity_on_hand", "reorder_point", "ticket_count"]
    list_filter = [StockFilter]
    search_fields = ["name"]
    ordering = ["id"]
    readonly_fields = ["quantity_on_hand"]
    fields = ["name", "price", "quantity_on_hand", "reorder_point"]
    inlines = [StockMovementInline]
    actions = ["receive_stock"]

    def save_through_service(self, request, obj, form, change) -> Inventory:
        fields = {name: form.cleaned_data[name] for name in ("name", "price", "reorder_point")}
        if change:
            return services.inventory_update(item_id=obj.pk, changes=fields, by=actor_name(request.user))
        return services.inventory_create(**fields, by=actor_name(request.user))

    def delete_model(self, request, obj) -> None:
        services.inventory_delete(item_id=obj.pk, by=actor_name(request.user))

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # a new item has no ledger yet

    def get_queryset(self, request):
        # A count per item of the page (an index-only count of the lines' item column), not a GROUP BY
        # over every parts line of every item. (Tickets' model, reached through the relation:
        # inventory does not import tickets.)
        line_model = Inventory._meta.get_field("ticket_lines").related_model
        lines = line_model.objects.filter(inventory=OuterRef("pk")).order_by().values("inventory")
        on_tickets = Subquery(lines.annotate(n=Count("inventory")).values("n"), output_field=IntegerField())
        return super().get_queryset(request).annotate(ticket_count=Coalesce(on_tickets, 0))

    @admin.display(ordering="ticket_count", description="on tickets")
    def ticket_count(self, item) -> int:
        return item.ticket_count

    @admin.action(description="Receive or adjust stock of the selected items", permissions=["change"])
    def receive_stock(self, request, queryset):
        """An intermediate page asks for the quantity; applying it records one movement per
        item through inventory.stock, all of them or (when one is refused) none."""
        items = list(queryset.order_by("id"))
        form = StockMovementForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    for item in items:
                        stock.record_movement(
                            item_id=item.pk,
                            kind=data["kind"],
                            quantity=data["quantity"],
                            by=actor_name(request.user),
                            note=data["note"],
                        )
            except ServiceError as error:
                self.message_user(request, f"Nothing recorded: {error.message}", messages.ERROR)
                return None
            self.message_user(
                request,
                f"Recorded a {data['kind']} of {data['quantity']:+d} for {len(items)} item(s).",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Receive or adjust stock",
            "opts": self.model._meta,
            "items": items,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/inventory/receive_stock.html", context)
