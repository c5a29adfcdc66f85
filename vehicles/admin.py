from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from tickets.models import Ticket
from vehicles.models import Vehicle


class VehicleAdminForm(forms.ModelForm):
    class Meta:
        model = Vehicle
        fields = ["customer", "vin", "year", "make", "model", "license_plate"]

    def clean_vin(self) -> str:
        # As the API stores it, so the model's VIN check and the unique check see the stored VIN.
        return self.cleaned_data["vin"].strip().upper()


class VehicleTicketInline(admin.TabularInline):
    """The vehicle's service history, newest first, read-only: tickets are edited on their own page."""

    model = Ticket
    fields = ["ticket_link", "service_date", "status", "mileage_in", "mileage_out", "service_description"]
    readonly_fields = fields
    ordering = ["-service_date", "-id"]
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name = "service ticket"
    verbose_name_plural = "service history"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="ticket")
    def ticket_link(self, ticket) -> str:
        return format_html('<a href="{}">Ticket {}</a>', reverse("admin:tickets_ticket_change", args=[ticket.pk]), ticket.pk)


@admin.register(Vehicle)
class VehicleAdmin(admin.ModelAdmin):
    form = VehicleAdminForm
    list_display = ["id", "vin", "year", "make", "model", "license_plate", "customer", "mileage"]
    list_select_related = ["customer"]
    search_fields = ["vin", "license_plate", "make", "model"]
    autocomplete_fields = ["customer"]
    readonly_fields = ["mileage"]
    fields = ["customer", "vin", "year", "make", "model", "license_plate", "mileage"]
    inlines = [VehicleTicketInline]
    ordering = ["-id"]
