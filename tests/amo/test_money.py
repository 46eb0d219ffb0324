"""Money is integer cents: one formatter, one rounding rule for every share of money (commission,
refund percent, commission given back), exact conversions, and no floats anywhere."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.template import Context, Template
from hypothesis import given
from hypothesis import strategies as st

from amo.money import (
    cents_to_dollars,
    commission_back_cents,
    commission_cents,
    dollars_to_cents,
    format_cents,
    refund_cents,
    share_cents,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (0, "$0.00"),
        (1, "$0.01"),
        (99, "$0.99"),
        (100, "$1.00"),
        (12_550, "$125.50"),
        (250_000, "$2,500.00"),
        (123_456_789, "$1,234,567.89"),
        (-1_205, "-$12.05"),
        (-1, "-$0.01"),
        (2**53 + 1, "$90,071,992,547,409.93"),  # a float would print ...409.92
        (10**30 + 7, "$10,000,000,000,000,000,000,000,000,000.07"),
    ],
)
def test_format_cents_prints_integer_cents_exactly_with_thousands_and_two_places(cents, text):
    assert format_cents(cents) == text


def test_format_cents_shows_other_currencies_by_their_code():
    assert format_cents(1_200, "eur") == "EUR 12.00"
    assert format_cents(-123_456, "GBP") == "-GBP 1,234.56"
    assert format_cents(1_200, "USD") == "$12.00"


@pytest.mark.parametrize("not_cents", [12.5, 12.0, Decimal("12.00"), "1200", True, None])
def test_format_cents_refuses_anything_but_integer_cents(not_cents):
    with pytest.raises(TypeError):
        format_cents(not_cents)


def test_the_money_filter_is_format_cents_and_leaves_no_amount_blank():
    template = Template("{% load amo_forms %}[{{ a|money }}][{{ b|money:'eur' }}][{{ none|money }}]")
    assert template.render(Context({"a": 250_000, "b": 1_200, "none": None})) == "[$2,500.00][EUR 12.00][]"


@pytest.mark.parametrize(
    ("paid", "percent", "refund"),
    [
        (250_000, 50, 125_000),
        (250_001, 50, 125_000),  # half a cent is not given back: rounded down
        (99, 50, 49),
        (1, 99, 0),
        (333, 33, 109),  # 109.89 cents
        (250_000, 0, 0),
        (250_000, 100, 250_000),
        (0, 100, 0),
        (2**53 + 1, 100, 2**53 + 1),
    ],
)
def test_refund_cents_is_the_percent_rounded_down_to_the_cent(paid, percent, refund):
    assert refund_cents(paid, percent) == refund


@pytest.mark.parametrize("percent", [-1, 101, 1_000])
def test_refund_cents_refuses_a_percent_outside_0_to_100(percent):
    with pytest.raises(ValueError, match="between 0 and 100"):
        refund_cents(10_000, percent)


def test_refund_cents_refuses_a_negative_payment_and_non_integers():
    with pytest.raises(ValueError):
        refund_cents(-1, 50)
    with pytest.raises(TypeError):
        refund_cents(100.0, 50)
    with pytest.raises(TypeError):
        refund_cents(100, 50.5)


# --- Commission: rounded down, in the host's favour -----------------------------------------------

AMOUNTS = st.integers(min_value=1, max_value=10**12)
RATES = st.integers(min_value=0, max_value=10_000)


@pytest.mark.parametrize(
    ("amount", "rate_bps", "commission"),
    [
        (1_001, 1500, 150),  # 150.15: the fraction of a cent stays with the host
        (1_234, 1800, 222),  # $12.34 at 18% is 222.12
        (50_000, 1500, 7_500),
        (99, 1500, 14),  # 14.85, not 15
        (1, 9_999, 0),
        (12_345, 10_000, 12_345),
        (12_345, 0, 0),
    ],
)
def test_commission_is_the_rate_of_the_charge_rounded_down_to_the_cent(amount, rate_bps, commission):
    assert commission_cents(amount, rate_bps) == commission


@given(amount=AMOUNTS, rate_bps=RATES)
def test_commission_never_takes_a_fraction_of_a_cent_above_its_rate(amount, rate_bps):
    commission = commission_cents(amount, rate_bps)
    # commission <= amount * rate < commission + 1 cent, in exact integers
    assert commission * 10_000 <= amount * rate_bps < (commission + 1) * 10_000
    assert 0 <= commission <= amount


@given(amount=AMOUNTS, rate_bps=RATES, data=st.data())
def test_commission_given_back_over_any_refunds_never_exceeds_what_was_taken_and_a_full_refund_gives_it_all(
    amount, rate_bps, data
):
    taken = commission_cents(amount, rate_bps)
    # Partial refunds in any split, then (maybe) the rest: each gives back what the total rose by.
    refunds = data.draw(st.lists(st.integers(min_value=1, max_value=amount), max_size=8))
    refunded = given_back = 0
    for refund in refunds:
        refund = min(refund, amount - refunded)
        if not refund:
            break
        refunded += refund
        back = commission_back_cents(commission_cents=taken, amount_cents=amount, refunded_cents=refunded)
        assert back - given_back >= 0  # a refund never takes commission back from the host
        given_back = back
        assert given_back <= taken
        # What the platform keeps is its commission's share of what the host keeps, rounded down.
        assert taken - given_back == taken * (amount - refunded) // amount
    assert given_back == commission_back_cents(
        commission_cents=taken, amount_cents=amount, refunded_cents=refunded
    )  # the same however the refunds were split
    everything = commission_back_cents(commission_cents=taken, amount_cents=amount, refunded_cents=amount)
    assert everything == taken
    assert commission_back_cents(commission_cents=taken, amount_cents=amount, refunded_cents=0) == 0


@given(paid=AMOUNTS, percent=st.integers(min_value=0, max_value=100))
def test_a_refund_by_percent_gives_back_whole_cents_of_its_share_and_never_more(paid, percent):
    refund = refund_cents(paid, percent)
    assert refund * 100 <= paid * percent < (refund + 1) * 100
    assert refund == share_cents(paid, percent, 100)


@pytest.mark.parametrize(("cents", "part", "whole"), [(-1, 1, 2), (10, 3, 2), (10, -1, 2), (10, 0, 0)])
def test_a_share_refuses_a_negative_amount_or_a_part_outside_its_whole(cents, part, whole):
    with pytest.raises(ValueError):
        share_cents(cents, part, whole)


def test_commission_given_back_refuses_more_refunded_than_charged():
    with pytest.raises(ValueError, match="between 0 and the charge"):
        commission_back_cents(commission_cents=150, amount_cents=1_001, refunded_cents=1_002)


SHARE_OF_MONEY = re.compile(r"\b(?:\w*_bps|percent|10_?000)\b")


def computes_a_share(line: str) -> bool:
    return "//" in line and bool(SHARE_OF_MONEY.search(line))


def test_the_share_guard_tells_a_share_of_money_from_other_integer_math():
    assert computes_a_share("-payment.amount_cents * organization.commission_rate_bps // 10000")
    assert computes_a_share("return paid_cents * percent // 100")
    assert computes_a_share("fee * 15 // 10_000")
    assert not computes_a_share("commission_cents(payment.amount_cents, rate_bps)")
    assert not computes_a_share("whole, rest = divmod(abs(cents), 100)")
    assert not computes_a_share("_, p95, _ = percentiles(timings)")


def test_no_code_computes_a_share_of_money_but_amo_money():
    """Basis points and percents of money go through amo.money, whose one rule rounds down
    (`-amount * bps // 10000` floors a negative number: it rounded the commission up)."""
    money_module = ROOT / "amo" / "money.py"
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in PYTHON_DIRS
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != money_module and "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if computes_a_share(line)
    ]
    assert found == [], "Compute shares of money with amo.money:\n" + "\n".join(found)


@pytest.mark.parametrize("cents", [0, 1, 5, 99, 100, 250_050, -1_205, 2**53 + 1, 10**40 + 1])
def test_cents_round_trip_exactly_through_dollars(cents):
    dollars = cents_to_dollars(cents)
    assert isinstance(dollars, Decimal)
    assert dollars.as_tuple().exponent == -2  # always two places, as a form shows them
    assert dollars_to_cents(dollars) == cents


def test_dollars_to_cents_reads_what_a_form_gives():
    assert cents_to_dollars(250_050) == Decimal("2500.50")
    assert str(cents_to_dollars(7)) == "0.07"
    assert dollars_to_cents(Decimal("2500.5")) == 250_050
    assert dollars_to_cents(Decimal("2500")) == 250_000
    assert dollars_to_cents(Decimal("2.5E+3")) == 250_000
    assert dollars_to_cents(Decimal("12.300")) == 1_230  # trailing zeros are not a fraction of a cent
    assert dollars_to_cents(Decimal("-0.01")) == -1
    assert dollars_to_cents(25) == 2_500


@pytest.mark.parametrize("value", [Decimal("0.001"), Decimal("12.345"), Decimal("NaN"), Decimal("Infinity")])
def test_dollars_to_cents_refuses_fractions_of_a_cent_rather_than_rounding(value):
    with pytest.raises(ValueError):
        dollars_to_cents(value)


@pytest.mark.parametrize("value", [12.5, "12.50", None, True])
def test_dollars_to_cents_refuses_floats_and_text(value):
    with pytest.raises(TypeError):
        dollars_to_cents(value)


# --- The guard: amounts are formatted by amo.money alone, never through a float ------------------

PYTHON_DIRS = ["amo", "applicants", "hosts", "rotations", "payments", "seeding"]
FLOAT_MONEY = [
    re.compile(r"\.2f\b"),  # f"{x:,.2f}": formatting a float
    re.compile(r"(?<!/)/\s*100(?![\d_])"),  # x / 100 (but x // 100, integer division, is fine)
    re.compile(r"\*\s*0?\.01\b"),  # x * 0.01
]
FLOAT_MONEY_IN_TEMPLATES = [*FLOAT_MONEY, re.compile(r"\|\s*floatformat\b")]


def float_money_lines(path: Path, patterns: list[re.Pattern]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if any(pattern.search(line) for pattern in patterns)
    ]


def test_the_guard_tells_float_money_from_integer_math():
    def flagged(line):
        return any(pattern.search(line) for pattern in FLOAT_MONEY)

    assert flagged('return f"${cents / 100:,.2f}"')
    assert flagged("Decimal(cents)/100")
    assert flagged("cents/100.0")
    assert flagged("amount = cents * 0.01")
    assert not flagged("MAX_TOTAL_PRICE_DOLLARS = 2 * MAX_FEE_CENTS // 100")
    assert not flagged("paid * percent // 100 // 5000 * 5000")
    assert not flagged("max_price * 100")
    assert not flagged('path("<int:pk>/1000/")')


def test_no_code_or_template_formats_money_through_a_float():
    money_module = ROOT / "amo" / "money.py"
    found = []
    for folder in PYTHON_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path != money_module and "migrations" not in path.parts:
                found += float_money_lines(path, FLOAT_MONEY)
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix in {".html", ".jinja", ".txt", ".md"}:
            found += float_money_lines(path, FLOAT_MONEY_IN_TEMPLATES)
    assert found == [], "Format money with amo.money (format_cents, the `money` filter):\n" + "\n".join(found)
