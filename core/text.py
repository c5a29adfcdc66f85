"""Normalising what people type, before it is validated or compared for uniqueness.

Every text is folded with NFKC (full-width letters, ligatures and compatibility spaces into their
plain forms), loses every character that draws nothing, and is stripped of surrounding whitespace.
One-line text (names, emails, phones, VINs: every text that must be unique) also has each run of
whitespace, line breaks included, made one space. Without it "Oil Filter" followed by a Hangul
filler, a variation selector or a zero-width space, or "Oil  Filter", would be distinct inventory
items that look like "Oil Filter".

The characters that draw nothing are Unicode's Default_Ignorable_Code_Point property (zero-width
spaces and joiners, direction marks, variation selectors, the combining grapheme joiner, the Hangul
fillers U+115F, U+1160, U+3164 and U+FFA0, ...) as the `regex` package knows it from the Unicode
data, every other format character (category Cf), and the Braille blank U+2800, a symbol that
prints as nothing. The fillers are named as well, in case a Unicode version ever drops them from
the property. Removing joiners and selectors takes emoji sequences apart (a woman mechanic becomes
a woman and a wrench); text loses nothing a reader can see.
"""

import unicodedata
from collections.abc import Callable
from typing import ClassVar

import regex
from django.db import models
from rest_framework import serializers

_INVISIBLE = regex.compile(r"[\p{Default_Ignorable_Code_Point}\p{Cf}\u115F\u1160\u3164\uFFA0\u2800]+")


def normalize_text(value: str, *, multiline: bool = False) -> str:
    """NFKC, no invisible characters, no surrounding whitespace, and (unless `multiline`, for
    descriptions and notes, whose line breaks are kept) each run of whitespace one space."""
    value = _INVISIBLE.sub("", unicodedata.normalize("NFKC", value))
    # Once the invisible characters between them are gone, a letter and its combining accent
    # compose ("e", U+034F, U+0301 is the "é" it shows).
    value = unicodedata.normalize("NFKC", value)
    return value.strip() if multiline else " ".join(value.split())


def normalize_email(value: str) -> str:
    return normalize_text(value).lower()


class NormalizedCharField(serializers.CharField):
    """A CharField that normalises its input (normalize_text) before any validation, so a
    value of nothing but invisible characters is blank and lengths count what is kept.
    `multiline=True` keeps line breaks and inner whitespace (descriptions, notes)."""

    def __init__(self, *, multiline: bool = False, **kwargs):
        self.multiline = multiline
        super().__init__(**kwargs)

    def run_validation(self, data=serializers.empty):
        if isinstance(data, str):
            data = normalize_text(data, multiline=self.multiline)
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
