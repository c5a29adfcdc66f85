"""vehicles.vin: the VIN check digit of ISO 3779 / 49 CFR 565."""

import pytest
from django.core.exceptions import ValidationError

from vehicles.tests.factories import make_vin
from vehicles.vin import check_digit, is_valid_vin, validate_vin, vin_problem

# Published VINs whose check digits were verified by hand with the 49 CFR 565 tables.
VALID = [
    "1HGCM82633A004352",  # Honda Accord 2003, check digit 3
    "1M8GDM9AXKP042788",  # Motor Coach Industries 1989, check digit X (remainder 10)
    "11111111111111111",  # 89 % 11 = 1
    "JH4KA7561PC008269",  # Acura Legend 1993, check digit 1
]


@pytest.mark.parametrize("vin", VALID)
def test_known_valid_vins(vin):
    assert vin_problem(vin) is None
    assert is_valid_vin(vin)
    validate_vin(vin)  # raises nothing


def test_check_digit_worked_example():
    # Every position transliterates to 1; the weights without position 9 sum to 89; 89 % 11 = 1.
    assert sum((8, 7, 6, 5, 4, 3, 2, 10, 9, 8, 7, 6, 5, 4, 3, 2)) % 11 == 1
    assert check_digit("11111111111111111") == "1"


def test_remainder_ten_is_x():
    assert check_digit("1M8GDM9AXKP042788") == "X"


@pytest.mark.parametrize(
    ("vin", "problem"),
    [
        ("1HGCM82634A004352", "check digit"),  # 4 instead of 3
        ("1HGCM82633A004353", "check digit"),  # a typo elsewhere changes the sum
        ("1M8GDM9A0KP042788", "check digit"),  # 0 instead of X
        ("JH4KA7561PC008268", "check digit"),
        ("1HGCM82633A00435", "exactly 17"),
        ("1HGCM82633A0043521", "exactly 17"),
        ("", "exactly 17"),
        ("IHGCM82633A004352", "without I, O or Q"),
        ("1HGCM82633A0O4352", "without I, O or Q"),
        ("1HGCQ82633A004352", "without I, O or Q"),
        ("1HGCM-2633A004352", "without I, O or Q"),
        ("1HGCM82633A00435ß", "without I, O or Q"),
        ("1hgcm82633a004352", "without I, O or Q"),  # callers upper-case first
    ],
)
def test_invalid_vins(vin, problem):
    assert problem in vin_problem(vin)
    assert not is_valid_vin(vin)
    with pytest.raises(ValidationError):
        validate_vin(vin)


def test_lower_case_is_valid_once_upper_cased():
    assert is_valid_vin("1hgcm82633a004352".upper())


def test_every_wrong_check_digit_is_refused():
    vin = "JH4KA7561PC008269"
    wrong = [vin[:8] + digit + vin[9:] for digit in "0123456789X" if digit != vin[8]]
    assert len(wrong) == 10
    assert not any(is_valid_vin(candidate) for candidate in wrong)


def test_factory_vins_are_valid_and_distinct():
    vins = [make_vin(n) for n in range(2000)]
    assert all(is_valid_vin(vin) for vin in vins)
    assert len(set(vins)) == 2000
