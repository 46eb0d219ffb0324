"""The National Provider Identifier: ten digits, the last a check digit.

CMS defines the check digit (45 CFR 162.406; "NPI Check Digit" in CMS's NPI standard): the Luhn
formula over the NPI's first nine digits with the prefix 80840 in front (80 for health, 840 for
the United States, the ISO 7812 card issuer identifier the NPI borrows). 1234567893 is CMS's own
example of a valid NPI. Every place that takes an NPI (the preceptor's form, the services, staff's
verification record) asks `npi_is_valid`, and the demo and the tests make theirs with
`npi_with_check_digit`.
"""

import re

from django.core.exceptions import ValidationError

NPI_PATTERN = r"^[0-9]{10}$"
# What the NPI is checked under: the health-industry issuer prefix of ISO 7812.
NPI_PREFIX = "80840"
NPI_CHECK_DIGIT_MESSAGE = "This NPI number's check digit does not match: check it against the NPPES registry."
NPI_FORMAT_MESSAGE = "Enter the NPI number as its 10 digits, e.g. 1234567893."


def _luhn_check_digit(digits: str) -> int:
    """The digit Luhn's formula appends to `digits`: double every second digit from the right."""
    total = 0
    for position, character in enumerate(reversed(digits)):
        digit = int(character)
        if position % 2 == 0:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return (10 - total % 10) % 10


def npi_with_check_digit(first_nine: str) -> str:
    """The NPI whose first nine digits are `first_nine`, its check digit appended."""
    if not re.fullmatch(r"[0-9]{9}", first_nine):
        raise ValueError(f"An NPI's first nine digits, not {first_nine!r}.")
    return first_nine + str(_luhn_check_digit(NPI_PREFIX + first_nine))


def npi_is_valid(number: str) -> bool:
    """Ten digits whose last is the Luhn check digit over 80840 and the first nine."""
    if not isinstance(number, str) or not re.fullmatch(NPI_PATTERN, number):
        return False
    return npi_with_check_digit(number[:9]) == number


def validate_npi(value: str) -> None:
    """The model field's and the forms' validator: the format first, then the check digit."""
    if not re.fullmatch(NPI_PATTERN, value or ""):
        raise ValidationError(NPI_FORMAT_MESSAGE, code="npi_format")
    if not npi_is_valid(value):
        raise ValidationError(NPI_CHECK_DIGIT_MESSAGE, code="npi_check_digit")
