"""Money: integer cents plus a currency code, and the one place that turns cents into text.

No floats anywhere: `format_cents` splits the integer with `divmod`, so any amount prints exactly
(2**53 + 1 cents included), and the conversions to and from the dollars a form shows go through
`Decimal` without rounding. Every template (the `money` filter in amo_forms), selector and form
uses these; tests/amo/test_money.py scans the project for float money formatting elsewhere.

Shares of money (a commission in basis points, a refund by percent, the commission a refund gives
back) are computed by `share_cents` alone, whose one rule is to round down to the cent, in the
host's favour; tests/amo/test_money.py scans the project for shares computed elsewhere.

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


def share_cents(cents: int, part: int, whole: int) -> int:
    """`part`/`whole` of `cents`, rounded down to the cent: the one rounding rule of every share of
    money (a commission, a refund percent, the commission a refund gives back).

    Rounding down is in the host's favour: the platform's commission on a charge never takes a
    fraction of a cent more than its rate (1,001¢ at 15% is 150¢, not 151¢; $12.34 at 18% is 222¢),
    and a refund by percent gives back the whole cents of its share (the host keeps the fraction).
    Integer arithmetic only: exact for any amount.
    """
    for value, name in ((cents, "cents"), (part, "part"), (whole, "whole")):
        _require_int(value, name)
    if cents < 0:
        raise ValueError(f"An amount to share cannot be negative (got {cents}).")
    if whole <= 0 or not 0 <= part <= whole:
        raise ValueError(f"A share is between 0 and the whole (got {part}/{whole}).")
    return cents * part // whole


def refund_cents(paid_cents: int, percent: int) -> int:
    """`percent` (0..100) of `paid_cents`, rounded down to the cent: refund_cents(250_001, 50) == 125_000."""
    _require_int(percent, "percent")
    if not 0 <= percent <= 100:
        raise ValueError(f"A refund percent is between 0 and 100 (got {percent}).")
    return share_cents(paid_cents, percent, 100)


def commission_cents(amount_cents: int, rate_bps: int) -> int:
    """The platform's commission on a charge of `amount_cents` at `rate_bps` basis points (1500 =
    15%), rounded down to the cent: commission_cents(1_001, 1500) == 150."""
    return share_cents(amount_cents, rate_bps, 10_000)


def commission_back_cents(*, commission_cents: int, amount_cents: int, refunded_cents: int) -> int:
    """How much of the `commission_cents` taken on a charge of `amount_cents` has been given back
    in all once `refunded_cents` of it is refunded: the platform keeps the commission's share of
    what the host keeps, rounded down, and gives back the rest.

    So the total given back never exceeds what was taken, a full refund gives back all of it to the
    cent, and it does not depend on how the refunds were split: each refund gives back the
    difference between this total after it and before it (never negative).
    """
    _require_int(refunded_cents, "refunded_cents")
    if not 0 <= refunded_cents <= amount_cents:
        raise ValueError(f"A refund is between 0 and the charge (got {refunded_cents} of {amount_cents}).")
    return commission_cents - share_cents(commission_cents, amount_cents - refunded_cents, amount_cents)


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
