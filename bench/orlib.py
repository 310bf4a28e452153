"""Read Beasley's OR-Library multidimensional knapsack files and turn them into problems."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

# The team's shared folder beside the repository; CONVERGE_ORLIB_DIR overrides it.
DEFAULT_ORLIB_DIR = Path(
    os.environ.get("CONVERGE_ORLIB_DIR")
    or Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "orlib"
)


@dataclass(frozen=True)
class Knapsack:
    """One multidimensional knapsack instance: maximize p.x subject to W x <= b."""

    name: str
    profits: list[float]
    weights: list[list[float]]  # one row per constraint
    capacities: list[float]
    known: float  # proven optimum (mknap1) or best known value (mknapcb); 0 if unknown


def _numbers(path: Path) -> list[float]:
    return [float(tok) for tok in path.read_text().split()]


def load(path: Path, prefix: str) -> list[Knapsack]:
    """Parse an mknap1/mknapcb file; names are `prefix-k` (k from 0)."""
    tokens = _numbers(path)
    count, pos = int(tokens[0]), 1
    out = []
    for k in range(count):
        n, m, known = int(tokens[pos]), int(tokens[pos + 1]), tokens[pos + 2]
        pos += 3
        profits = tokens[pos : pos + n]
        pos += n
        weights = []
        for _ in range(m):
            weights.append(tokens[pos : pos + n])
            pos += n
        capacities = tokens[pos : pos + m]
        pos += m
        out.append(Knapsack(f"{prefix}-{k:02d}", profits, weights, capacities, known))
    return out


def best_known(path: Path) -> dict[str, float]:
    """Best feasible values from best-feasible-slns.txt, keyed like `5.100-00`."""
    table: dict[str, float] = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^\s*(\d+\.\d+-\d+)\s+(\d+)\s*$", line)
        if match and match.group(1) not in table:
            table[match.group(1)] = float(match.group(2))
    return table


def to_problem(inst: Knapsack) -> dict:
    """Map a knapsack onto a portfolio problem: one budget period per knapsack row."""
    periods = [f"r{i}" for i in range(len(inst.capacities))]
    candidates = [
        {
            "id": f"item{j}",
            "value": inst.profits[j],
            "cost": {periods[i]: row[j] for i, row in enumerate(inst.weights) if row[j]},
        }
        for j in range(len(inst.profits))
    ]
    return {
        "schema": "converge.problem/1",
        "periods": periods,
        "budget": dict(zip(periods, inst.capacities, strict=True)),
        "candidates": candidates,
    }
