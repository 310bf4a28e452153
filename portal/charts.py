"""Charts drawn server-side with matplotlib: SVG for pages, PNG for downloads.

Figures are built with the object API (no pyplot state), so requests and run threads
can draw at the same time.

Every function takes plain data and returns bytes; `as_svg_markup` embeds SVG in a page.

Names are text: matplotlib's math text (`$...$`) is off for every title, label, tick and
legend, so a department called "$$" or "Save $5 on $6" draws as written instead of failing.

A chart is a pure function of its data (the same data gives the same bytes), so each
process keeps the charts it drew lately (`remembered`): a report viewed again, by anyone,
draws nothing until its data changes. Drawing took 20-150 ms a chart, most of a report
page's time.
"""

import functools
import hashlib
import io
import re
import textwrap
import threading
from collections.abc import Mapping, Sequence

import matplotlib
from cachetools import LRUCache, cached
from markupsafe import Markup, escape
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, MaxNLocator, ScalarFormatter

# Twelve colours that stay apart from each other (Tableau 10 and two more), so charts
# with a series per idea state remain readable.
PALETTE = [
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
    "#1f3a5f",
    "#8cd17d",
]

# Text drawn as written: no math text, no LaTeX (see the module docstring).
PLAIN_TEXT = {"text.parse_math": False, "text.usetex": False}

# Figures are drawn about as wide as a page column shows them (WIDTH inches = 1.33 * 72 px
# per inch), so text keeps its size: no text is smaller than MIN_FONT points (px at 100 %),
# and a phone shrinks a chart to about two thirds at most.
WIDTH = 5.0
MIN_FONT = 11
TITLE_CHARS = 52  # a title wraps, between words, at about this many characters per line
HORIZONTAL_LABELS = 1.9  # inches a horizontal bar chart's labels take left of its plot
HORIZONTAL_TITLE_CHARS = 28  # its title starts above the plot, so it wraps sooner

matplotlib.rcParams.update(
    {
        "font.family": "DejaVu Sans",
        "font.size": MIN_FONT,
        "axes.titlesize": MIN_FONT + 1,
        "axes.labelsize": MIN_FONT,
        "xtick.labelsize": MIN_FONT,
        "ytick.labelsize": MIN_FONT,
        "legend.fontsize": MIN_FONT,
        "figure.titlesize": MIN_FONT + 1,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
        "svg.fonttype": "none",
        "svg.hashsalt": "converge",  # stable ids: the same data gives the same SVG
    }
    | PLAIN_TEXT
)


LABELLED_POINTS = 20  # a scatter chart names its points up to this many
DRAWN_POINTS = 500  # beyond this many, its points are one picture, not an SVG shape each

# The charts a process keeps, by size: about 200 report charts of 30-40 KB.
CHART_CACHE_BYTES = 8_000_000
_DRAWN: LRUCache = LRUCache(maxsize=CHART_CACHE_BYTES, getsizeof=len)
_DRAWN_LOCK = threading.Lock()  # held to read or store, not while drawing


def remembered(chart):
    """`chart`, drawn once per distinct data while the process keeps the result (the key
    is the chart's name and the repr of its arguments, which are plain data)."""

    def key(*args, **kwargs) -> bytes:
        text = repr((chart.__name__, args, sorted(kwargs.items())))
        return hashlib.blake2b(text.encode(), digest_size=20).digest()

    return functools.wraps(chart)(cached(_DRAWN, key=key, lock=_DRAWN_LOCK)(chart))


def compact_number(value: float, _position=None) -> str:
    """12 -> '12', 1500 -> '1.5k', 2300000 -> '2.3M', 1e12 -> '1T': tick labels people can
    read, never in scientific notation."""
    magnitude = abs(value)
    for threshold, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= threshold:
            scaled = value / threshold
            return f"{scaled:,.0f}{suffix}" if abs(scaled) >= 100 else f"{scaled:.3g}{suffix}"
    if magnitude >= 100 or not magnitude:
        return f"{value:.0f}"
    if magnitude >= 1:
        return f"{value:.3g}"
    return f"{value:.3f}".rstrip("0").rstrip(".") or "0"


def percent(value: float, _position=None) -> str:
    """A tick label for a share already in percent: 40 -> '40 %'."""
    return f"{value:.0f} %"


def wrap_label(text: str, width: int = 22, lines: int = 2) -> str:
    """A tick label on at most `lines` lines of about `width` characters, broken and (when
    too long) shortened between words with an ellipsis, never mid-word."""
    words = " ".join(str(text).split())
    out = textwrap.wrap(words, width, break_long_words=False, break_on_hyphens=False)
    if len(out) > lines:
        out = out[:lines]
        last = out[-1]
        while len(last) > width - 2 and " " in last:
            last = last.rsplit(" ", 1)[0]
        out[-1] = last + " …"
    return "\n".join(out) or words


def _wrapped(labels: Sequence[str], width: int) -> tuple[list[str], int]:
    """Labels wrapped to `width`, and the most lines any of them takes."""
    out = [wrap_label(label, width) for label in labels]
    return out, max((label.count("\n") + 1 for label in out), default=1)


def _bar_height(count: int, lines: int, series: int = 1) -> float:
    """Figure height (inches) for `count` horizontal bars (groups of `series` bars) whose
    labels take `lines` lines."""
    per_bar = max(0.3 + 0.2 * lines, 0.22 + 0.16 * series)
    return max(2.2, count * per_bar + 1.2)


def _readable_axes(fig) -> None:
    """Numeric axes get compact labels instead of offsets and scientific notation."""
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if isinstance(axis.get_major_formatter(), ScalarFormatter):
                axis.set_major_formatter(FuncFormatter(compact_number))


def _title(ax, title: str, legend_rows: int = 0, chars: int = TITLE_CHARS) -> None:
    """The chart's title, whole: wrapped between words, above the legend when there is one."""
    if title:
        lines = textwrap.wrap(" ".join(title.split()), chars, break_long_words=False)
        ax.set_title("\n".join(lines), loc="left", fontweight="bold", pad=6 + 18 * legend_rows)


def _legend(ax, handles=None, labels=None, most_columns: int = 3) -> int:
    """The legend outside the data, in a row above the plot; returns its number of rows.
    (A plot with labels to its left starts further right: `most_columns` 2 keeps it narrow.)"""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if len(handles) < 2:
        return 0
    longest = max(len(str(label)) for label in labels)
    columns = min(most_columns, 1 if longest > 28 else 2 if longest > 14 else 3)
    ax.legend(
        handles,
        labels,
        frameon=False,
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        ncol=columns,
        borderaxespad=0.3,
        handlelength=1.2,
        columnspacing=1.0,
    )
    return -(-len(handles) // columns)


def describe(title: str, labels: Sequence, series: Mapping[str, Sequence[float]]) -> str:
    """The chart in words, for people who cannot see it: its title, then each label's
    values (the text alternative screen readers read)."""
    parts = []
    for i, label in enumerate(labels):
        values = ", ".join(
            f"{name} {compact_number(float(values[i] or 0))}" for name, values in series.items()
        )
        parts.append(f"{label}: {values}")
    head = " ".join(str(title).split())
    return f"{head}. " + "; ".join(parts) + "." if parts else head


def _render(fig, fmt: str, description: str = "") -> bytes:
    """The figure as SVG or PNG bytes, every text drawn as plain text; an SVG carries
    `description` as its text alternative (role="img", <title>)."""
    _readable_axes(fig)
    for text in fig.findobj(Text):
        text.set_parse_math(False)
    buffer = io.BytesIO()
    # Tick labels are made while drawing, so they take their setting from here.
    with matplotlib.rc_context(PLAIN_TEXT):
        fig.savefig(
            buffer,
            format=fmt,
            bbox_inches="tight",
            dpi=144,  # SVG: the resolution of what it draws as a picture (many points)
            metadata={"Date": None} if fmt == "svg" else None,
        )
    data = buffer.getvalue()
    if fmt == "svg" and description:
        text = data.decode("utf-8")
        start = text.index("<svg")
        end = text.index(">", start)
        alt = escape(description)
        text = f'{text[:end]} role="img" aria-label="{alt}">\n<title>{alt}</title>{text[end + 1 :]}'
        data = text.encode("utf-8")
    return data


# The smallest text is MIN_FONT points (MIN_FONT * 4/3 px at the drawn size): a chart may
# shrink to this share of its drawn width before that text falls below MIN_FONT px.
LEGIBLE_SHARE = 0.75


def as_svg_markup(svg: bytes) -> Markup:
    """SVG bytes ready to put inside an HTML page (the XML prolog removed). The chart shrinks
    with its box (CSS max-width) but never below the width that keeps its text MIN_FONT px
    (a min-width on the element); a narrower box scrolls instead."""
    text = svg.decode("utf-8")
    text = text[text.index("<svg") :]
    width = re.match(r'<svg[^>]*?\swidth="([\d.]+)pt"', text)
    if width:
        legible = float(width.group(1)) * LEGIBLE_SHARE
        text = f'<svg style="min-width: {legible:.0f}pt"{text[4:]}'
    return Markup(text)


@remembered
def bar_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    title: str = "",
    ylabel: str = "",
    stacked: bool = False,
    horizontal: bool = False,
    fmt: str = "svg",
    size: tuple[float, float] | None = None,
    legend_outside: bool = True,
    percent_axis: bool = False,
) -> bytes:
    """Grouped (or stacked) bars: one group per label, one bar per series.

    Long labels are wrapped between words; more than four long labels turn the bars
    horizontal so no label overlaps another, and horizontal charts grow with the number of
    bars. The legend sits above the plot, outside the data. `ylabel` names the value axis
    (with its unit); `percent_axis` marks its ticks with %. `size` overrides the figure
    size. (`legend_outside` is kept for callers: the legend is always outside.)"""
    description = describe(title, labels, series)
    long_labels = max((len(str(label)) for label in labels), default=0) > 8
    if not horizontal and len(labels) > 4 and long_labels:
        horizontal = True
    labels, lines = _wrapped(labels, 20 if horizontal else 12)
    if size is None:
        if horizontal:
            # The labels sit left of the plot: a narrower plot keeps the whole chart about
            # as wide as the others, so a phone shows it whole.
            bars = 1 if stacked else max(len(series), 1)
            size = (WIDTH - HORIZONTAL_LABELS, _bar_height(len(labels), lines, bars))
        else:
            size = (WIDTH, 3.4 + 0.2 * lines)
    fig = Figure(figsize=size)
    ax = fig.subplots()
    n = max(len(series), 1)
    positions = range(len(labels))
    width = 0.8 if stacked else 0.8 / n
    bottom = [0.0] * len(labels)
    for i, (name, values) in enumerate(series.items()):
        values = [float(v or 0) for v in values]
        offsets = [p if stacked else p - 0.4 + width * (i + 0.5) for p in positions]
        if horizontal:
            ax.barh(offsets, values, height=width, left=bottom if stacked else None, label=name)
        else:
            ax.bar(offsets, values, width=width, bottom=bottom if stacked else None, label=name)
        if stacked:
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    value_axis = ax.xaxis if horizontal else ax.yaxis
    if horizontal:
        ax.set_yticks(list(positions), labels)
        ax.invert_yaxis()
        ax.set_xlabel(ylabel)
        ax.grid(axis="y", visible=False)
    else:
        many = len(labels) > 5  # e.g. twelve months: tilted so they do not run together
        ax.set_xticks(
            list(positions),
            labels,
            rotation=45 if many else 0,
            ha="right" if many else "center",
            rotation_mode="anchor" if many else "default",
        )
        ax.set_ylabel(ylabel)
        ax.grid(axis="x", visible=False)
    if percent_axis:
        value_axis.set_major_formatter(FuncFormatter(percent))
    chars = TITLE_CHARS if not horizontal or size[0] >= WIDTH else HORIZONTAL_TITLE_CHARS
    legend_rows = _legend(ax, most_columns=2 if horizontal else 3) if len(series) > 1 else 0
    _title(ax, title, legend_rows, chars)
    return _render(fig, fmt, description)


@remembered
def line_chart(
    x: Sequence,
    series: Mapping[str, Sequence[float]],
    *,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    marker_point: tuple[float, float, str] | None = None,
    step: bool = False,
    fmt: str = "svg",
    size: tuple[float, float] = (WIDTH, 3.4),
) -> bytes:
    """Lines over a shared x axis; `marker_point` (x, y, label) highlights one point."""
    description = describe(title, [compact_number(float(v)) for v in x], series)
    fig = Figure(figsize=size)
    ax = fig.subplots()
    for name, values in series.items():
        if step:
            ax.step(list(x), list(values), where="post", label=name, marker="o", markersize=3)
        else:
            ax.plot(list(x), list(values), label=name, marker="o", markersize=3)
    if marker_point is not None:
        px, py, label = marker_point
        ax.scatter([px], [py], s=80, color="#bc4b51", zorder=5)
        ax.annotate(label, (px, py), textcoords="offset points", xytext=(8, -14))
        description += f" Marked: {label} at {compact_number(px)}, {compact_number(py)}."
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _title(ax, title, _legend(ax))
    return _render(fig, fmt, description)


@remembered
def budget_chart(
    periods: Sequence[str],
    used: Sequence[float],
    limit: Sequence[float | None],
    *,
    title: str = "",
    ylabel: str = "",
    fmt: str = "svg",
    earlier: Sequence[float] | None = None,
) -> bytes:
    """Bars of what is used per period against a limit line (budget or capacity); with
    `earlier`, what earlier plans commit is stacked under it ("earlier plans", "this plan").

    The axis starts at 0 and reaches the highest bar or limit, so nothing used draws no
    axis around zero (-0.04 to 0.04) and a limit above every bar still shows; with no limit
    in any period the legend says so."""
    series = {"used": used} if earlier is None else {"earlier plans": earlier, "this plan": used}
    description = describe(title, periods, {**series, "limit": [v or 0 for v in limit]})
    fig = Figure(figsize=(WIDTH, 3.2))
    ax = fig.subplots()
    positions = list(range(len(periods)))
    bars = [float(u or 0) for u in used]
    caps = [float(c) for c in limit if c is not None]
    if earlier is None:
        ax.bar(positions, bars, width=0.6, label="used")
    else:
        below = [float(e or 0) for e in earlier]
        ax.bar(positions, below, width=0.6, label="earlier plans", color=PALETTE[1])
        ax.bar(positions, bars, width=0.6, bottom=below, label="this plan", color=PALETTE[0])
        bars = [b + e for b, e in zip(bars, below, strict=True)]
    for p, cap in zip(positions, limit, strict=True):
        if cap is not None:
            ax.hlines(float(cap), p - 0.4, p + 0.4, colors="#bc4b51", linewidth=2)
    if caps:
        ax.plot([], [], color="#bc4b51", linewidth=2, label="limit")
    else:
        ax.plot([], [], color="none", label="no limit set")
    top = max(bars + caps, default=0.0)
    ax.set_ylim(0, top * 1.1 if top > 0 else 1)
    ax.set_xticks(positions, list(periods))
    ax.set_ylabel(ylabel)
    ax.grid(axis="x", visible=False)
    _title(ax, title, _legend(ax))
    return _render(fig, fmt, description)


@remembered
def scatter_chart(
    points: Sequence[tuple[float, float, str]],
    *,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    diagonal: bool = False,
    fmt: str = "svg",
) -> bytes:
    """Points, labelled while there are at most LABELLED_POINTS of them (more labels only
    hide each other; the text alternative then summarises the points instead of listing
    them, and more than DRAWN_POINTS points are drawn as one picture inside the SVG);
    `diagonal` draws y = x (e.g. realized against estimated)."""
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    labelled = len(points) <= LABELLED_POINTS
    if labelled:
        description = describe(
            title,
            [label or "idea" for _, _, label in points],
            {xlabel or "x": xs, ylabel or "y": ys},
        )
    else:
        head = " ".join(str(title).split())
        spans = (
            f"{name or axis} from {compact_number(min(values))} to {compact_number(max(values))}"
            for name, axis, values in ((xlabel, "x", xs), (ylabel, "y", ys))
        )
        description = f"{head}. {len(points):,} ideas, " + ", ".join(spans) + "."
    fig = Figure(figsize=(WIDTH, 3.8))
    ax = fig.subplots()
    ax.scatter(
        xs,
        ys,
        s=30 if labelled else 12,
        alpha=1 if labelled else 0.5,
        rasterized=len(points) > DRAWN_POINTS,
    )
    for x, y, label in points if labelled else ():
        if label:
            ax.annotate(label, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=MIN_FONT)
    if diagonal and points:
        hi = max(xs + ys)
        ax.plot([0, hi], [0, hi], linestyle="--", color="#888", linewidth=1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _title(ax, title)
    return _render(fig, fmt, description)


@remembered
def paired_bar_chart(
    labels: Sequence[str],
    left: Sequence[float],
    right: Sequence[float],
    *,
    left_title: str,
    right_title: str,
    title: str = "",
    fmt: str = "svg",
) -> bytes:
    """Two horizontal bar panels sharing the labels (e.g. value and spend per department)."""
    description = describe(title, labels, {left_title: left, right_title: right})
    labels, lines = _wrapped(labels, 18)
    height = max(2.0, _bar_height(len(labels), lines))
    fig = Figure(figsize=(WIDTH + 1, height))
    ax_left, ax_right = fig.subplots(1, 2, sharey=True)
    positions = list(range(len(labels)))
    ax_left.barh(positions, [float(v or 0) for v in left], color=PALETTE[0])
    ax_right.barh(positions, [float(v or 0) for v in right], color=PALETTE[5])
    ax_left.set_yticks(positions, list(labels))
    ax_left.invert_yaxis()
    for ax, panel in ((ax_left, left_title), (ax_right, right_title)):
        ax.set_title("\n".join(textwrap.wrap(panel, 22)), loc="left")
        ax.grid(axis="y", visible=False)
        ax.xaxis.set_major_locator(MaxNLocator(3))
    if title:
        fig.suptitle(title, x=0.02, y=1.0, ha="left", va="bottom", fontweight="bold")
    return _render(fig, fmt, description)


@remembered
def dual_bar_chart(
    labels: Sequence[str],
    left: tuple[str, Sequence[float]],
    right: tuple[str, Sequence[float]],
    *,
    title: str = "",
    fmt: str = "svg",
    size: tuple[float, float] = (WIDTH + 0.6, 3.6),
) -> bytes:
    """Two measures on different scales (e.g. value and cost) side by side, one axis each."""
    description = describe(title, labels, {left[0]: left[1], right[0]: right[1]})
    many = len(labels) > 4
    labels, _ = _wrapped(labels, 12)
    fig = Figure(figsize=size)
    ax = fig.subplots()
    other = ax.twinx()
    positions = list(range(len(labels)))
    ax.bar(
        [p - 0.2 for p in positions],
        [float(v or 0) for v in left[1]],
        width=0.4,
        label=left[0],
        color=PALETTE[0],
    )
    other.bar(
        [p + 0.2 for p in positions],
        [float(v or 0) for v in right[1]],
        width=0.4,
        label=right[0],
        color=PALETTE[5],
    )
    ax.set_ylabel(left[0])
    other.set_ylabel(right[0])
    other.grid(False)
    other.spines["right"].set_visible(True)
    ax.set_xticks(
        positions,
        list(labels),
        rotation=30 if many else 0,
        ha="right" if many else "center",
        rotation_mode="anchor" if many else "default",
    )
    handles = ax.get_legend_handles_labels()[0] + other.get_legend_handles_labels()[0]
    _title(ax, title, _legend(ax, handles, [left[0], right[0]]))
    return _render(fig, fmt, description)


@remembered
def bias_chart(
    labels: Sequence[str],
    bias: Sequence[float],
    spread: Sequence[float | None],
    *,
    title: str = "",
    xlabel: str = "",
    fmt: str = "svg",
) -> bytes:
    """Horizontal bars of a mean error per label with ± one standard deviation whiskers."""
    description = describe(title, labels, {"mean error": bias, "spread": [v or 0 for v in spread]})
    labels, lines = _wrapped(labels, 20)
    fig = Figure(
        figsize=(WIDTH, max(0.8 + 0.5 * max(len(labels), 2), _bar_height(len(labels), lines)))
    )
    ax = fig.subplots()
    positions = list(range(len(labels)))
    values = [float(b or 0) for b in bias]
    colours = [PALETTE[6] if v < 0 else PALETTE[0] for v in values]
    ax.barh(
        positions,
        values,
        xerr=[float(s or 0) for s in spread],
        color=colours,
        height=0.5,
        error_kw={"ecolor": "#555", "capsize": 4, "linewidth": 1},
    )
    ax.axvline(0, color="#333", linewidth=1)
    ax.set_yticks(positions, list(labels))
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    _title(ax, title)
    return _render(fig, fmt, description)


@remembered
def roadmap_chart(
    periods: Sequence[str],
    bars: Sequence[Mapping],
    budget: Sequence[Mapping],
    *,
    title: str = "",
    fmt: str = "svg",
    width: float = 7.0,
    description: str = "",
) -> bytes:
    """A roadmap: one horizontal bar per idea from its first to its last period (`first`,
    `last` positions in `periods`), a header row per `group`, and the budget use per period
    (spend / budget, `budget` rows with `used`, `limit`) as a strip of bars under it. Ideas
    that hinder later (`hinders`) are hatched."""
    rows: list[tuple[str, Mapping | None]] = []
    group = object()
    for bar in bars:
        if bar["group"] != group:
            group = bar["group"]
            rows.append((str(group), None))
        rows.append((f"{bar['ref']} {bar['title']}", bar))
    labels, lines = _wrapped([label for label, _ in rows], 30)
    height = max(2.0, len(rows) * (0.2 + 0.12 * lines) + 0.6)
    fig = Figure(figsize=(width, height + 1.6))
    top, bottom = fig.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [height, 1.4]}, squeeze=True
    )
    groups: dict[str, str] = {}
    for y, (_label, bar) in enumerate(rows):
        if bar is None:
            continue
        colour = groups.setdefault(bar["group"], PALETTE[len(groups) % len(PALETTE)])
        top.barh(
            y,
            bar["last"] - bar["first"] + 1,
            left=bar["first"] - 0.45,
            height=0.6,
            color=colour,
            hatch="///" if bar.get("hinders") else None,
            edgecolor="#7a1f1f" if bar.get("hinders") else colour,
        )
    top.set_yticks(range(len(rows)), labels)
    for tick, (_label, bar) in zip(top.get_yticklabels(), rows, strict=True):
        if bar is None:
            tick.set_fontweight("bold")
    top.set_ylim(len(rows) - 0.5, -0.5)
    top.grid(axis="y", visible=False)
    _title(top, title)
    shares = [(100.0 * row["used"] / row["limit"]) if row.get("limit") else 0.0 for row in budget]
    bottom.bar(range(len(periods)), shares, width=0.6, color=PALETTE[0])
    bottom.axhline(100, color=PALETTE[2], linewidth=1)
    bottom.set_ylabel("budget used %")
    bottom.set_xticks(range(len(periods)), [str(p) for p in periods])
    bottom.set_xlim(-0.6, len(periods) - 0.4)
    if not description:
        spans = [
            f"{bar['ref']} {bar['title']}: "
            + " to ".join(dict.fromkeys(str(periods[j]) for j in (bar["first"], bar["last"])))
            for bar in bars
            if bar["first"] <= bar["last"] < len(periods)
        ]
        description = f"{' '.join((title or 'Roadmap').split())}. " + "; ".join(spans) + "."
    return _render(fig, fmt, description)
