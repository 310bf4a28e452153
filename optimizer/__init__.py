"""Exact portfolio selection over one JSON problem document (pure Python + PuLP)."""

from .analysis import frontier, robustness
from .limits import limits, shortfalls
from .model import model_mps, start_shifts
from .problem import (
    PROBLEM_SCHEMA,
    RESULT_SCHEMA,
    Candidate,
    CountLimit,
    InvalidProblem,
    Problem,
    Share,
    validate,
)
from .solve import SOLVED, Result, explain, solve
from .solvers import BACKENDS, DEFAULT_BACKEND
from .wording import amount

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "PROBLEM_SCHEMA",
    "RESULT_SCHEMA",
    "SOLVED",
    "Candidate",
    "CountLimit",
    "InvalidProblem",
    "Problem",
    "Result",
    "Share",
    "amount",
    "explain",
    "frontier",
    "limits",
    "model_mps",
    "robustness",
    "shortfalls",
    "solve",
    "start_shifts",
    "validate",
]
