"""Normalising what people type, before it is validated or compared for uniqueness.

NFKC folds compatibility characters (full-width letters, ligatures) into their plain forms,
format characters (zero-width spaces and joiners, direction marks: Unicode category Cf) are
dropped, and surrounding whitespace is stripped. Without it "Oil filter\\u200b" and
"Oil filter" would be two distinct inventory items that look the same.
"""

import unicodedata

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
