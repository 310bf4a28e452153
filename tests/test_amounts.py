"""Amounts as people type them, with one bound for every amount (portal.forms.parse_amount),
read by that one reader in every form that takes one."""

import re

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.forms import parse_amount
from portal.models import MAX_AMOUNT, ActualCost, IdeaStatus, Scenario


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
        ("1,500,000", 1_500_000.0),
        ("1,500.5", 1500.5),
        ("1,500k", 1_500_000.0),
        ("120k", 120_000.0),
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


@pytest.mark.parametrize(
    ("typed", "example"),
    [("1,5M", "1.5M"), ("2,75", "2.75"), ("1,5000", "1.5000"), (",5", ".5"), ("1.234,567", "")],
)
def test_a_decimal_comma_is_refused_not_read_as_thousands(typed, example):
    """'1,5M' was read as 15,000,000: a comma that does not stand before exactly three
    digits (of a whole number) is a decimal comma, refused with what to write instead."""
    with pytest.raises(ValueError, match="use a point for decimals") as refused:
        parse_amount(typed)
    assert f"({example})" in str(refused.value) or not example


def test_the_scenario_form_refuses_a_decimal_comma_beside_the_field(pm_client):
    blank = pm_client.get("/portfolio/scenarios/new").get_data(as_text=True)
    hint = blank[blank.index('id="field-budget"') : blank.index("data-budget-mode")]
    assert "a point for decimals (1.5M, not 1,5M)" in hint  # beside the field
    form = {
        "name": "Growth",
        "periods": "2027, 2028",
        "budget": "2027: 1,5M\n2028: 1,500,000",
        "states": ["approved"],
        "time_limit": "30",
        "backend": "highs",
        "objective": "value",
    }
    response = pm_client.post("/portfolio/scenarios/new", data=form)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    budget = page[page.index('id="field-budget"') : page.index("data-budget-mode")]
    assert "Line 1: &#39;1,5M&#39; has a comma that does not separate thousands" in budget
    assert "use a point for decimals (1.5M)" in budget
    assert "Line 2" not in budget  # 1,500,000 is fine
    assert db.session.scalar(sa.select(sa.func.count(Scenario.id))) == 0


def test_delivery_costs_are_read_like_every_other_amount(pm_client, employee, make_idea):
    idea = make_idea(employee, IdeaStatus.IN_DELIVERY)
    page = pm_client.get(f"/delivery/ideas/{idea.id}").get_data(as_text=True)
    capex = re.search(r'<input[^>]*id="capex"[^>]*>', page).group(0)
    # A text input: a browser's number input would refuse "120k" before the portal sees it.
    assert 'type="text"' in capex and 'inputmode="decimal"' in capex
    assert "a point for decimals" in page[page.index("data-cost-form") :]
    url = f"/delivery/ideas/{idea.id}/costs"
    assert pm_client.post(url, data={"period": "2027", "capex": "120k"}).status_code == 302
    refused = pm_client.post(url, data={"period": "2027", "opex": "2,75"})
    assert refused.status_code == 400
    assert "use a point for decimals (2.75)" in refused.get_data(as_text=True)
    costs = db.session.scalars(sa.select(ActualCost)).all()
    assert [(c.capex, c.opex) for c in costs] == [(120_000.0, 0.0)]
