"""Charts render valid, deterministic SVG and PNG."""

import re

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


def test_a_scatter_of_many_points_is_summarised_not_labelled_point_by_point():
    few = charts.scatter_chart([(n, n + 1, f"IDEA-{n}") for n in range(3)], title="T").decode()
    assert "IDEA-2" in few and "<image" not in few
    points = [(n % 97, n % 89, f"IDEA-{n}") for n in range(2000)]
    many = charts.scatter_chart(points, title="Realized", xlabel="est", ylabel="real").decode()
    assert "IDEA-1999" not in many  # neither as labels nor in the text alternative
    assert 'aria-label="Realized. 2,000 ideas, est from 0 to 96, real from 0 to 88."' in many
    assert "<image" in many  # the points are one picture
    assert len(many) < 200_000


def _ticks(svg: bytes) -> set[str]:
    return set(re.findall(r">([\u2212-]?[0-9.]+)<", svg.decode()))


def test_a_budget_chart_of_nothing_used_starts_at_zero():
    """A pool a run did not use drew its axis from -0.04 to 0.04, with a 'limit' it lacks."""
    svg = charts.budget_chart(["2027", "2028"], [0, 0], [None, None], title="Pool")
    ticks = _ticks(svg) - {"2027", "2028"}
    assert "0" in ticks and not any(t.startswith(("-", "\u2212")) for t in ticks)
    assert "no limit set" in svg.decode() and ">limit<" not in svg.decode()
    # A capacity nothing uses is still on the axis, which starts at 0.
    capped = _ticks(charts.budget_chart(["2027", "2028"], [0, 0], [40, 40], title="Cap"))
    assert {"0", "40"} <= capped and not any(t.startswith(("-", "\u2212")) for t in capped)


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


def test_long_labels_wrap_between_words_on_at_most_two_lines():
    from portal.charts import wrap_label

    title = "IDEA-27 Predictive maintenance for conveyor lines in every plant"
    lines = wrap_label(title).split("\n")
    assert len(lines) == 2 and lines[-1].endswith(" …")
    words = title.split(" ")
    assert all(w in words for line in lines for w in line.removesuffix(" …").split())
    assert wrap_label("Finance") == "Finance"


def test_horizontal_bars_get_room_for_each_label():
    import re

    from portal.charts import bar_chart

    def height(n):
        svg = bar_chart(
            [f"IDEA-{i} Supplier self-service onboarding portal" for i in range(n)],
            {"selected": [50.0] * n},
            horizontal=True,
        ).decode()
        return float(re.search(r'height="([\d.]+)pt"', svg).group(1))

    assert height(20) > 2.5 * height(5)
    svg = bar_chart(
        ["IDEA-59 Supplier self-service onboarding portal"], {"x": [1.0]}, horizontal=True
    ).decode()
    assert "self-service" in svg and "self-serv<" not in svg


# Names people may give a department, objective, scenario or themselves: matplotlib would
# read them as math text and fail.
MATH_LIKE = ["$$", "$\\frac{1}{$", "Save $5 on $6", "a_b^c $x$", "$\\alpha$ team"]


def _every_chart(names: list[str], fmt: str) -> dict[str, bytes]:
    n, values = len(names), list(range(1, len(names) + 1))
    title = names[0]
    return {
        "bar": charts.bar_chart(
            names, {names[1]: values, names[2]: values}, title=title, ylabel=names[3], fmt=fmt
        ),
        "bar_horizontal": charts.bar_chart(
            names, {names[1]: values}, horizontal=True, legend_outside=True, fmt=fmt
        ),
        "line": charts.line_chart(
            values,
            {names[1]: values, names[2]: values},
            title=title,
            xlabel=names[3],
            ylabel=names[4],
            marker_point=(1, 1, names[0]),
            fmt=fmt,
        ),  # fmt: skip
        "budget": charts.budget_chart(
            names, values, [None] * n, title=title, ylabel=names[1], fmt=fmt
        ),
        "scatter": charts.scatter_chart(
            [(v, v, name) for v, name in zip(values, names, strict=True)],
            title=title,
            xlabel=names[1],
            ylabel=names[2],
            diagonal=True,
            fmt=fmt,
        ),  # fmt: skip
        "paired": charts.paired_bar_chart(
            names, values, values, left_title=names[1], right_title=names[2], title=title, fmt=fmt
        ),
        "dual": charts.dual_bar_chart(
            names, (names[1], values), (names[2], values), title=title, fmt=fmt
        ),
        "bias": charts.bias_chart(
            names, values, [None, *values[1:]], title=title, xlabel=names[1], fmt=fmt
        ),
    }


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_names_with_dollars_draw_as_written(fmt):
    drawn = _every_chart(MATH_LIKE, fmt)
    for name, data in drawn.items():
        assert data, name
        if fmt == "svg":
            assert "Save $5 on $6" in data.decode(), name  # as text, not typeset


def test_math_text_stays_off_even_when_defaults_are_restored():
    import matplotlib

    with matplotlib.rc_context({"text.parse_math": True}):
        assert _every_chart(MATH_LIKE, "svg")


def _font_sizes(svg: bytes) -> set[float]:
    return {float(size) for size in re.findall(rb"font[^;\"]*?(\d+(?:\.\d+)?)px", svg)}


@pytest.mark.parametrize(
    ("value", "label"),
    [(1e12, "1T"), (1e21, "1,000,000,000T"), (999.5, "1000"), (1500, "1.5k"), (0.05, "0.05")],
)
def test_tick_labels_never_use_scientific_notation(value, label):
    assert charts.compact_number(value) == label
    assert "e+" not in charts.compact_number(value) and "e-" not in charts.compact_number(value)


def test_every_chart_carries_a_text_alternative_and_readable_text():
    labels = ["Customer Service", "Finance", "Human Resources", "Marketing", "Procurement"]
    drawn = [
        charts.bar_chart(labels, {"run 1": [1, 2, 3, 4, 5], "run 2": [2, 3, 4, 5, 6]}, title="T"),
        charts.budget_chart(["2027", "2028"], [5, 6], [6, None], title="T", ylabel="spend"),
        charts.line_chart([1, 2], {"best value": [3, 4]}, title="T", marker_point=(1, 3, "here")),
        charts.paired_bar_chart(labels, [1] * 5, [2] * 5, left_title="a", right_title="b"),
        charts.dual_bar_chart(labels, ("value", [1] * 5), ("cost", [2] * 5), title="T"),
        charts.scatter_chart([(1, 2, "IDEA-1")], title="T", xlabel="x", ylabel="y"),
        charts.bias_chart(labels, [1] * 5, [0.5] * 5, title="T", xlabel="points"),
        charts.roadmap_chart(["2027", "2028"], [ROADMAP_BAR], [{"used": 1, "limit": 2}] * 2),
    ]
    for svg in drawn:
        assert b'role="img" aria-label="' in svg and b"<title>" in svg
        assert min(_font_sizes(svg)) >= charts.MIN_FONT


ROADMAP_BAR = {"group": "Finance", "ref": "IDEA-7", "title": "Cash forecast", "first": 0, "last": 1}


def test_the_roadmap_says_what_lands_when_in_words():
    svg = charts.roadmap_chart(["2027", "2028"], [ROADMAP_BAR], [{"used": 1, "limit": 2}] * 2)
    assert b'aria-label="Roadmap. IDEA-7 Cash forecast: 2027 to 2028."' in svg
    one = dict(ROADMAP_BAR, last=0)
    svg = charts.roadmap_chart(["2027", "2028"], [one], [{"used": 1, "limit": 2}] * 2, title="P")
    assert b'aria-label="P. IDEA-7 Cash forecast: 2027."' in svg


def test_a_chart_in_a_page_shrinks_no_further_than_its_text_stays_legible():
    svg = charts.bar_chart(["Finance", "Sales"], {"value": [3, 5]}, title="Value")
    drawn = float(re.search(rb'<svg[^>]*? width="([\d.]+)pt"', svg).group(1))
    markup = str(charts.as_svg_markup(svg))
    least = float(re.match(r'<svg style="min-width: ([\d.]+)pt"', markup).group(1))
    # At the least width the smallest text (MIN_FONT pt, 4/3 px each) is still MIN_FONT px.
    assert least / drawn * charts.MIN_FONT * 4 / 3 == pytest.approx(charts.MIN_FONT, abs=0.05)
    assert markup.count("<svg") == 1 and "<?xml" not in markup


def test_the_text_alternative_says_the_values_and_escapes_names():
    svg = charts.bar_chart(["R&D", "Sales"], {"spend": [1500, 2e6]}, title="Spend <by> unit")
    assert b'aria-label="Spend &lt;by&gt; unit. R&amp;D: spend 1.5k; Sales: spend 2M."' in svg


def test_long_titles_wrap_whole_and_percent_axes_say_so():
    title = "Robustness: how often each idea is selected when values vary across many samples"
    svg = charts.bar_chart(
        ["IDEA-1 A", "IDEA-2 B"],
        {"selected": [40, 100]},
        title=title,
        percent_axis=True,
        horizontal=True,
        ylabel="selected in % of samples",
    )
    assert b"100 %" in svg and b"selected in % of samples" in svg
    drawn = svg.split(b"<title>", 1)[1].split(b"</title>", 1)[1]  # the picture, not its alt
    assert all(word.encode() in drawn for word in title.split())  # the whole title, wrapped
    assert b"Robustness: how often each idea is selected when values vary across many" not in (
        drawn
    )


def test_many_long_labels_turn_the_bars_horizontal():
    labels = ["Customer Service", "Finance", "Human Resources", "Marketing", "Procurement"]
    svg = charts.bar_chart(labels, {"value": [1, 2, 3, 4, 5]}, title="By department")
    assert b"rotate(-30" not in svg  # no tilted labels to collide: each label has its own row


def test_many_short_labels_tilt_so_they_do_not_run_together():
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    svg = charts.bar_chart(months, {"ideas": list(range(12))}, title="Pipeline")
    assert b"rotate(-45" in svg


def test_a_horizontal_chart_is_about_as_wide_as_the_others():
    """Its labels sit left of a narrower plot and its title wraps sooner, so a phone (356 px
    of card) shows it whole at 11 px text: no wider than 356 pt as drawn."""
    labels = [f"IDEA-{i} WhatsApp as a support channel" for i in range(8)]
    svg = charts.bar_chart(
        labels,
        {"selected in % of samples": [50] * 8},
        title="Robustness: how often each idea is selected when values vary",
        horizontal=True,
        percent_axis=True,
        ylabel="selected in % of samples",
    )
    drawn = float(re.search(rb'<svg[^>]*? width="([\d.]+)pt"', svg).group(1))
    assert drawn * charts.LEGIBLE_SHARE * 4 / 3 <= 356


def test_a_chart_is_drawn_once_per_data(monkeypatch):
    drawn = []
    render = charts._render
    monkeypatch.setattr(charts, "_render", lambda *a, **k: drawn.append(1) or render(*a, **k))
    series = {"Ideas": [3, 1, 4]}
    first = charts.bar_chart(["Cache A", "Cache B", "Cache C"], series, title="Drawn once")
    again = charts.bar_chart(["Cache A", "Cache B", "Cache C"], series, title="Drawn once")
    assert again == first and len(drawn) == 1  # the second came from the process's charts
    other = charts.bar_chart(
        ["Cache A", "Cache B", "Cache C"], {"Ideas": [3, 1, 5]}, title="Drawn once"
    )
    assert other != first and len(drawn) == 2  # new data: a new chart
    assert charts.bar_chart.__name__ == "bar_chart"
