from django.db import models
from django.db.models.functions import Lower


class Mechanic(models.Model):
    name = models.CharField(max_length=255)
    email = models.EmailField(max_length=255, unique=True)
    phone = models.CharField(max_length=32)
    salary = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(salary__gte=0), name="mechanic_salary_not_negative"),
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="mechanic_email_lowercase"),
            models.CheckConstraint(condition=~models.Q(name=""), name="mechanic_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)
