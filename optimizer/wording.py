"""Plain-English phrasing of amounts and constraints for portfolio managers."""

from __future__ import annotations

from typing import Any


def amount(x: float) -> str:
    """1400000 -> '1.4M', 950000 -> '950k', 1000 -> '1k', 40 -> '40', 2.5 -> '2.5'."""
    ax = abs(x)
    if ax >= 1e9:
        return _sig(x / 1e9) + "B"
    if ax >= 1e6:
        return _sig(x / 1e6) + "M"
    if ax >= 1e3:
        return _sig(x / 1e3) + "k"
    return _sig(x)


def _sig(x: float) -> str:
    if float(x).is_integer():
        return str(int(x))
    text = f"{x:.3g}" if abs(x) >= 1 else f"{x:.3f}".rstrip("0").rstrip(".")
    return text


def percent(x: float) -> str:
    """0.1 -> '10%'."""
    return _sig(round(x * 100, 2)) + "%"


def ids(items: list[str]) -> str:
    """['A', 'B', 'C'] -> 'A, B and C'."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def describe(kind: str, info: dict[str, Any]) -> str:
    """One constraint group in words."""
    if kind == "budget":
        return f"budget {info['period']} is {amount(info['limit'])}"
    if kind == "capacity":
        return f"{info['pool']} capacity in {info['period']} is {amount(info['limit'])}"
    if kind == "requires":
        a, b = info["ids"]
        return f"{a} requires {b}"
    if kind == "exclusive":
        return f"at most one of {ids(info['ids'])}"
    if kind == "together":
        return f"{ids(info['ids'])} go together (all or none)"
    if kind == "force_in":
        return f"{info['ids'][0]} is forced in"
    if kind == "force_out":
        return f"{info['ids'][0]} is forced out"
    if kind == "department_share_min":
        return f"{info['department']} must get at least {percent(info['min'])} of the selected cost"
    if kind == "department_share_max":
        return f"{info['department']} may get at most {percent(info['max'])} of the selected cost"
    if kind == "theme_min_share":
        return (
            f"theme {info['theme']} must get at least {percent(info['min'])} of the selected cost"
        )
    if kind == "theme_share_max":
        return f"theme {info['theme']} may get at most {percent(info['max'])} of the selected cost"
    if kind == "run_cost_past_horizon":
        return (
            f"run cost in the {info['years']} years past the horizon is at most "
            f"{amount(info['limit'])}"
        )
    if kind == "count_min":
        return f"at least {info['limit']} candidates must be selected"
    if kind == "count_max":
        return f"at most {info['limit']} candidates may be selected"
    return kind
