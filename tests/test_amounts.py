"""Amounts as people type them, with one bound for every amount (portal.forms.parse_amount)."""

import pytest

from portal.forms import parse_amount
from portal.models import MAX_AMOUNT


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("1e3", 1000.0),
        ("1,500", 1500.0),
        ("1 500", 1500.0),
        ("1.5k", 1500.0),
        ("2M", 2_000_000.0),
        ("2m", 2_000_000.0),
        ("0.75B", 750_000_000.0),
        ("1.2e6", 1_200_000.0),
        (".5", 0.5),
        ("0", 0.0),
        ("1e12", MAX_AMOUNT),
    ],
)
def test_amounts_people_type_are_understood(typed, amount):
    assert parse_amount(typed) == amount


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1e21", "is more than 1,000,000,000,000"),
        ("1000000000000000000000", "is more than 1,000,000,000,000"),
        ("1e309", "is more than"),
        ("1001B", "is more than"),
        ("-5", "is negative"),
        ("nan", "is not an amount"),
        ("inf", "is not an amount"),
        ("lots", "is not an amount"),
        ("1..5", "is not an amount"),
    ],
)
def test_absurd_amounts_are_refused_with_a_message(typed, message):
    with pytest.raises(ValueError, match=message):
        parse_amount(typed)
