"""Money: integer cents plus a currency code, and the one place that turns cents into text.

No floats anywhere: `format_cents` splits the integer with `divmod`, so any amount prints exactly
(2**53 + 1 cents included), and the conversions to and from the dollars a form shows go through
`Decimal` without rounding. Every template (the `money` filter in amo_forms), selector and form
uses these; tests/amo/test_money.py scans the project for float money formatting elsewhere.

Currencies: USD prints with "$" ("$2,500.00", "-$12.05"); any other code prints as its upper-case
ISO code and a space ("EUR 12.00"), never a guessed symbol. Every currency has two decimal places.
"""

from decimal import Decimal

SYMBOLS = {"usd": "$"}


def _require_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int of cents, not {type(value).__name__}.")
    return value


def format_cents(cents: int, currency: str = "usd") -> str:
    """Integer cents as an amount with its currency: 250000 → "$2,500.00", -1205 → "-$12.05"."""
    _require_int(cents, "cents")
    code = currency.lower()
    prefix = SYMBOLS.get(code, f"{code.upper()} ")
    whole, rest = divmod(abs(cents), 100)
    sign = "-" if cents < 0 else ""
    return f"{sign}{prefix}{whole:,}.{rest:02d}"


def refund_cents(paid_cents: int, percent: int) -> int:
    """`percent` (0..100) of `paid_cents`, rounded down to the cent: refund_cents(250_001, 50) == 125_000."""
    _require_int(paid_cents, "paid_cents")
    _require_int(percent, "percent")
    if paid_cents < 0:
        raise ValueError(f"paid_cents cannot be negative (got {paid_cents}).")
    if not 0 <= percent <= 100:
        raise ValueError(f"A refund percent is between 0 and 100 (got {percent}).")
    return paid_cents * percent // 100


def cents_to_dollars(cents: int) -> Decimal:
    """Integer cents as an exact Decimal of dollars with two places: 250050 → Decimal("2500.50")."""
    _require_int(cents, "cents")
    return Decimal(f"{cents}E-2")  # built from text: exact for any size, no context rounding


def dollars_to_cents(dollars: Decimal | int) -> int:
    """An exact amount of dollars as integer cents: Decimal("2500.50") → 250050.

    Refuses floats (TypeError) and fractions of a cent or non-finite values (ValueError) rather
    than rounding them.
    """
    if isinstance(dollars, int) and not isinstance(dollars, bool):
        return dollars * 100
    if not isinstance(dollars, Decimal):
        raise TypeError(f"dollars must be a Decimal or an int, not {type(dollars).__name__}.")
    if not dollars.is_finite():
        raise ValueError(f"Not an amount of money: {dollars}.")
    sign, digits, exponent = dollars.as_tuple()
    number = int("".join(map(str, digits)) or "0")
    shift = exponent + 2  # from units of 10**exponent dollars to cents
    if shift >= 0:
        cents = number * 10**shift
    else:
        cents, fraction = divmod(number, 10**-shift)
        if fraction:
            raise ValueError(f"{dollars} has a fraction of a cent.")
    return -cents if sign else cents
