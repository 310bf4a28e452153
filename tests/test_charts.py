"""Charts render valid, deterministic SVG and PNG."""

import pytest

from portal import charts


def test_bar_chart_svg_contains_labels():
    svg = charts.bar_chart(["Finance", "Sales"], {"value": [3, 5]}, title="Value")
    text = svg.decode()
    assert text.lstrip().startswith("<?xml") and "</svg>" in text
    assert "Finance" in text and "Sales" in text and "Value" in text


def test_same_data_same_svg():
    first = charts.line_chart([1, 2, 3], {"value": [1, 4, 9]})
    second = charts.line_chart([1, 2, 3], {"value": [1, 4, 9]})
    assert first == second


@pytest.mark.parametrize("stacked", [True, False])
def test_png_export(stacked):
    png = charts.bar_chart(["a", "b"], {"x": [1, 2], "y": [2, 1]}, stacked=stacked, fmt="png")
    assert png.startswith(b"\x89PNG")


def test_budget_and_scatter_and_markup():
    svg = charts.budget_chart(["2027", "2028"], [5, 7], [6, None], title="Spend")
    assert "2027" in svg.decode()
    markup = charts.as_svg_markup(charts.scatter_chart([(1, 2, "IDEA-1")], diagonal=True))
    assert str(markup).startswith("<svg") and "IDEA-1" in str(markup)


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (12, "12"), (1500, "1.5k"), (2_300_000, "2.3M"), (-40_000, "-40k"), (0.25, "0.25")],
)
def test_compact_numbers(value, text):
    assert charts.compact_number(value) == text


def test_amount_axes_have_no_scientific_offset():
    svg = charts.budget_chart(["2027", "2028"], [1_200_000, 900_000], [1_500_000, 1_000_000])
    text = svg.decode()
    assert "1e6" not in text
    assert "1M" in text or "1.5M" in text
