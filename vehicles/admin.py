from django import forms
from django.contrib import admin

from accounts.callers import actor_name
from audit.admin import AuditTrailAdmin
from core.admin_services import ServiceModelAdmin
from vehicles import services
from vehicles.models import Vehicle


class VehicleAdminForm(forms.ModelForm):
    class Meta:
        model = Vehicle
        fields = ["customer", "vin", "year", "make", "model", "license_plate"]

    def clean_vin(self) -> str:
        # As the API stores it, so the model's VIN check and the unique check see the stored VIN.
        return self.cleaned_data["vin"].strip().upper()


@admin.register(Vehicle)
class VehicleAdmin(AuditTrailAdmin, ServiceModelAdmin):
    """Vehicles are created, changed and deleted through vehicles.services, as in the API: a
    vehicle with service history keeps its VIN and its owner, and is not deleted. tickets/admin.py
    registers this page again with the vehicle's service history below it."""

    form = VehicleAdminForm
    service_field_names = {"customer_id": "customer"}
    list_display = ["id", "vin", "year", "make", "model", "license_plate", "customer", "mileage"]
    list_select_related = ["customer"]
    search_fields = ["vin", "license_plate", "make", "model"]
    autocomplete_fields = ["customer"]
    readonly_fields = ["mileage"]
    fields = ["customer", "vin", "year", "make", "model", "license_plate", "mileage"]
    ordering = ["-id"]

    def save_through_service(self, request, obj, form, change) -> Vehicle:
        data = {("customer_id" if name == "customer" else name): value for name, value in form.cleaned_data.items()}
        data["customer_id"] = data["customer_id"].pk
        if change:
            return services.vehicle_update(
                vehicle_id=obj.pk,
                changes={name: data[name] for name in services.EDITABLE_FIELDS},
                by=actor_name(request.user),
            )
        return services.vehicle_create(**data)

    def delete_model(self, request, obj) -> None:
        services.vehicle_delete(vehicle_id=obj.pk, by=actor_name(request.user))
