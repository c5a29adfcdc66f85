from django import forms
from django.contrib import admin
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.db.models import Count

from audit.admin import AuditTrailAdmin
from core.admin_services import ServiceModelAdmin
from core.text import normalize_email
from customers import services
from customers.models import Customer


class CustomerAdminForm(forms.ModelForm):
    """Takes a new password (customers.services hashes it); the stored hash is never shown."""

    new_password = forms.CharField(
        label="New password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to keep the current password. " + password_validators_help_text_html(),
    )

    class Meta:
        model = Customer
        fields = ["name", "email", "phone"]

    def clean_email(self) -> str:
        # As the model stores it (NFKC, no invisible characters, lower case), so the form's
        # unique check sees the email the save will write instead of a crash on the index.
        return normalize_email(self.cleaned_data["email"])

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("new_password")
        if not password and self.instance.pk is None:
            self.add_error("new_password", "A new customer needs a password.")
        elif password:
            candidate = Customer(name=cleaned.get("name", ""), email=cleaned.get("email", ""))
            try:
                validate_password(password, user=candidate)
            except forms.ValidationError as exc:
                self.add_error("new_password", exc)
        return cleaned


@admin.register(Customer)
class CustomerAdmin(AuditTrailAdmin, ServiceModelAdmin):
    """Customers are created, changed and deleted through customers.services, as in the API; a
    customer with service history is kept."""

    form = CustomerAdminForm
    service_field_names = {"password": "new_password"}
    list_display = ["id", "name", "email", "phone", "ticket_count"]
    search_fields = ["name", "email", "phone"]
    ordering = ["id"]

    def save_through_service(self, request, obj, form, change) -> Customer:
        fields = {name: getattr(obj, name) for name in ("name", "email", "phone")}  # as the model cleaned them
        password = form.cleaned_data.get("new_password")
        if not change:
            return services.customer_create(**fields, password=password)
        changes = {**fields, "password": password} if password else fields
        return services.customer_update(customer_id=obj.pk, changes=changes, by=request.user.get_username())

    def delete_model(self, request, obj) -> None:
        services.customer_delete(customer_id=obj.pk, by=request.user.get_username())

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(ticket_count=Count("tickets"))

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return super().save_model(request, obj, form, change)
        # A new customer through the service, as a sign-up through the API (customer.created).
        customer = services.customer_create(
            name=obj.name, email=obj.email, phone=obj.phone, password=form.cleaned_data["new_password"]
        )
        obj.pk = customer.pk
        obj.password = customer.password
        obj._state.adding, obj._state.db = False, customer._state.db

    @admin.display(ordering="ticket_count", description="tickets")
    def ticket_count(self, customer) -> int:
        return customer.ticket_count
