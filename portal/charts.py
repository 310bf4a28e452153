"""Charts drawn server-side with matplotlib: SVG for pages, PNG for downloads.

Figures are built with the object API (no pyplot state), so requests and run threads
can draw at the same time.

Every function takes plain data and returns bytes; `as_svg_markup` embeds SVG in a page.

Names are text: matplotlib's math text (`$...$`) is off for every title, label, tick and
legend, so a department called "$$" or "Save $5 on $6" draws as written instead of failing.
"""

import io
import textwrap
from collections.abc import Mapping, Sequence

import matplotlib
from markupsafe import Markup
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, ScalarFormatter

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

matplotlib.rcParams.update(
    {
        "font.family": "DejaVu Sans",
        "font.size": 9,
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


def compact_number(value: float, _position=None) -> str:
    """12 -> '12', 1500 -> '1.5k', 2300000 -> '2.3M': tick labels people can read."""
    magnitude = abs(value)
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= threshold:
            return f"{value / threshold:.3g}{suffix}"
    return f"{value:.3g}" if magnitude else "0"


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


def _bar_height(count: int, lines: int) -> float:
    """Figure height (inches) for `count` horizontal bars whose labels take `lines` lines."""
    return max(2.0, count * (0.22 + 0.14 * lines) + 0.9)


def _readable_axes(fig) -> None:
    """Numeric axes get compact labels instead of offsets and scientific notation."""
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if isinstance(axis.get_major_formatter(), ScalarFormatter):
                axis.set_major_formatter(FuncFormatter(compact_number))


def _render(fig, fmt: str) -> bytes:
    """The figure as SVG or PNG bytes, every text drawn as plain text."""
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
            dpi=144 if fmt == "png" else 72,
            metadata={"Date": None} if fmt == "svg" else None,
        )
    return buffer.getvalue()


def as_svg_markup(svg: bytes) -> Markup:
    """SVG bytes ready to put inside an HTML page (the XML prolog removed)."""
    text = svg.decode("utf-8")
    return Markup(text[text.index("<svg") :])


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
    legend_outside: bool = False,
) -> bytes:
    """Grouped (or stacked) bars: one group per label, one bar per series.

    Long labels are wrapped between words; horizontal charts grow with the number of bars,
    vertical ones tilt their labels when there are many. `size` overrides the figure size."""
    many = len(labels) > 6
    labels, lines = _wrapped(labels, 24 if horizontal else (14 if many else 18))
    if size is None:
        size = (7, _bar_height(len(labels), lines)) if horizontal else (7, 3.2 + 0.15 * lines)
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
    if horizontal:
        ax.set_yticks(list(positions), labels)
        ax.invert_yaxis()
        ax.set_xlabel(ylabel)
    else:
        ax.set_xticks(
            list(positions),
            labels,
            rotation=30 if many else 0,
            ha="right" if many else "center",
            rotation_mode="anchor" if many else "default",
        )
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, loc="left", fontweight="bold")
    if len(series) > 1 and legend_outside:
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    elif len(series) > 1:
        ax.legend(frameon=False, fontsize=8)
    return _render(fig, fmt)


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
    size: tuple[float, float] = (7, 3.2),
) -> bytes:
    """Lines over a shared x axis; `marker_point` (x, y, label) highlights one point."""
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
        ax.annotate(label, (px, py), textcoords="offset points", xytext=(8, -12), fontsize=8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, loc="left", fontweight="bold")
    if len(series) > 1:
        ax.legend(frameon=False, fontsize=8)
    return _render(fig, fmt)


def budget_chart(
    periods: Sequence[str],
    used: Sequence[float],
    limit: Sequence[float | None],
    *,
    title: str = "",
    ylabel: str = "",
    fmt: str = "svg",
) -> bytes:
    """Bars of what is used per period against a limit line (budget or capacity)."""
    fig = Figure(figsize=(7, 3.2))
    ax = fig.subplots()
    positions = list(range(len(periods)))
    ax.bar(positions, [float(u or 0) for u in used], width=0.6, label="used")
    for p, cap in zip(positions, limit, strict=True):
        if cap is not None:
            ax.hlines(float(cap), p - 0.4, p + 0.4, colors="#bc4b51", linewidth=2)
    ax.plot([], [], color="#bc4b51", linewidth=2, label="limit")
    ax.set_xticks(positions, list(periods))
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, loc="left", fontweight="bold")
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    return _render(fig, fmt)


def scatter_chart(
    points: Sequence[tuple[float, float, str]],
    *,
    title: str = "",
    xlabel: str = "",
    ylabel: str = "",
    diagonal: bool = False,
    fmt: str = "svg",
) -> bytes:
    """Labelled points; `diagonal` draws y = x (e.g. realized against estimated)."""
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    ax.scatter(xs, ys, s=30)
    for x, y, label in points:
        if label:
            ax.annotate(label, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    if diagonal and points:
        hi = max(xs + ys)
        ax.plot([0, hi], [0, hi], linestyle="--", color="#888", linewidth=1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, loc="left", fontweight="bold")
    return _render(fig, fmt)


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
    labels, lines = _wrapped(labels, 22)
    height = max(1.8, _bar_height(len(labels), lines) - 0.2)
    fig = Figure(figsize=(7, height))
    ax_left, ax_right = fig.subplots(1, 2, sharey=True)
    positions = list(range(len(labels)))
    ax_left.barh(positions, [float(v or 0) for v in left], color=PALETTE[0])
    ax_right.barh(positions, [float(v or 0) for v in right], color=PALETTE[5])
    ax_left.set_yticks(positions, list(labels))
    ax_left.invert_yaxis()
    ax_left.set_title(left_title, loc="left", fontsize=9)
    ax_right.set_title(right_title, loc="left", fontsize=9)
    if title:
        fig.suptitle(title, x=0.02, y=1.0, ha="left", va="bottom", fontweight="bold", fontsize=10)
    return _render(fig, fmt)


def dual_bar_chart(
    labels: Sequence[str],
    left: tuple[str, Sequence[float]],
    right: tuple[str, Sequence[float]],
    *,
    title: str = "",
    fmt: str = "svg",
    size: tuple[float, float] = (7, 3.2),
) -> bytes:
    """Two measures on different scales (e.g. value and cost) side by side, one axis each."""
    many = len(labels) > 5
    labels, _ = _wrapped(labels, 14 if many else 18)
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
    ax.legend(handles, [left[0], right[0]], frameon=False, fontsize=8, loc="upper right")
    if title:
        ax.set_title(title, loc="left", fontweight="bold")
    return _render(fig, fmt)


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
    labels, lines = _wrapped(labels, 24)
    fig = Figure(figsize=(7, max(0.8 + 0.5 * max(len(labels), 2), _bar_height(len(labels), lines))))
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
    if title:
        ax.set_title(title, loc="left", fontweight="bold")
    return _render(fig, fmt)


def roadmap_chart(
    periods: Sequence[str],
    bars: Sequence[Mapping],
    budget: Sequence[Mapping],
    *,
    title: str = "",
    fmt: str = "svg",
    width: float = 7.0,
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
    if title:
        top.set_title(title, loc="left", fontweight="bold")
    shares = [(100.0 * row["used"] / row["limit"]) if row.get("limit") else 0.0 for row in budget]
    bottom.bar(range(len(periods)), shares, width=0.6, color=PALETTE[0])
    bottom.axhline(100, color=PALETTE[2], linewidth=1)
    bottom.set_ylabel("budget used %")
    bottom.set_xticks(range(len(periods)), [str(p) for p in periods])
    bottom.set_xlim(-0.6, len(periods) - 0.4)
    return _render(fig, fmt)
