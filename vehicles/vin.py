"""Vehicle identification numbers: the one place that knows what a valid VIN is.

A VIN has 17 characters, letters and digits without I, O and Q. Its 9th character is a check
digit (ISO 3779, and mandatory in North America by 49 CFR 565): every character is transliterated
to a number, weighted by its position, and the sum modulo 11 is the check digit ("X" for 10).
"""

import re

from django.core.exceptions import ValidationError

VIN_LENGTH = 17
VIN_CHARACTERS = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")

# 49 CFR 565.15, table IV: the value of each letter (digits are their own value).
TRANSLITERATION = {
    **{str(digit): digit for digit in range(10)},
    **dict(zip("ABCDEFGH", (1, 2, 3, 4, 5, 6, 7, 8), strict=True)),
    **dict(zip("JKLMN", (1, 2, 3, 4, 5), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", (2, 3, 4, 5, 6, 7, 8, 9), strict=True)),
}
# Table V: the weight of each position; position 9, the check digit itself, weighs nothing.
WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def check_digit(vin: str) -> str:
    """The check digit a VIN of 17 allowed characters must have in position 9."""
    remainder = sum(TRANSLITERATION[char] * weight for char, weight in zip(vin, WEIGHTS, strict=True)) % 11
    return "X" if remainder == 10 else str(remainder)


def vin_problem(vin: str) -> str | None:
    """Why `vin` (already upper-cased) is not a valid VIN, or None when it is."""
    if len(vin) != VIN_LENGTH:
        return f"A VIN has exactly {VIN_LENGTH} characters."
    if not VIN_CHARACTERS.match(vin):
        return "A VIN has only letters and digits, without I, O or Q."
    if vin[8] != check_digit(vin):
        return "This VIN's check digit (its 9th character) does not match: check it for typing errors."
    return None


def is_valid_vin(vin: str) -> bool:
    return vin_problem(vin) is None


def validate_vin(value: str) -> None:
    """Django validator for model and serializer fields."""
    if problem := vin_problem(value):
        raise ValidationError(problem, code="invalid_vin")
