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
