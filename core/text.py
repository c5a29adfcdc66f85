"""Normalising what people type, before it is validated or compared for uniqueness.

NFKC folds compatibility characters (full-width letters, ligatures) into their plain forms,
format characters (zero-width spaces and joiners, direction marks: Unicode category Cf) are
dropped, and surrounding whitespace is stripped. Without it "Oil filter\\u200b" and
"Oil filter" would be two distinct inventory items that look the same.
"""

import unicodedata
from collections.abc import Callable
from typing import ClassVar

from django.db import models
from rest_framework import serializers


def normalize_text(value: str) -> str:
    value = unicodedata.normalize("NFKC", value)
    return "".join(char for char in value if unicodedata.category(char) != "Cf").strip()


def normalize_email(value: str) -> str:
    return normalize_text(value).lower()


class NormalizedCharField(serializers.CharField):
    """A CharField that normalises its input (normalize_text) before any validation, so a
    value of nothing but invisible characters is blank and lengths count what is kept."""

    def run_validation(self, data=serializers.empty):
        if isinstance(data, str):
            data = normalize_text(data)
        return super().run_validation(data)


class NormalizedEmailField(serializers.EmailField):
    def run_validation(self, data=serializers.empty):
        if isinstance(data, str):
            data = normalize_email(data)
        return super().run_validation(data)


class NormalizedTextModel(models.Model):
    """A model whose text fields named in `normalized_fields` (name: normalize_text or
    normalize_email) are normalised as the API normalises them: on every save, whatever writes the
    row (API, admin, a script), and in clean(), before the admin's form checks uniqueness and the
    constraints, so "ADA@example.com" is the duplicate of "ada@example.com" it is, not a violation
    of the lower-case constraint, and "Brake\\u200b Pad" is the "Brake Pad" it looks like."""

    normalized_fields: ClassVar[dict[str, Callable[[str], str]]] = {}

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        self.normalize_text_fields()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        self.normalize_text_fields()

    def normalize_text_fields(self) -> None:
        for name, normalize in self.normalized_fields.items():
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, normalize(value))
