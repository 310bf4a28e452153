"""Exact portfolio selection over one JSON problem document (pure Python + PuLP)."""

from .analysis import frontier, robustness
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
from .solve import Result, solve
from .solvers import BACKENDS, DEFAULT_BACKEND

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "PROBLEM_SCHEMA",
    "RESULT_SCHEMA",
    "Candidate",
    "CountLimit",
    "InvalidProblem",
    "Problem",
    "Result",
    "Share",
    "frontier",
    "robustness",
    "solve",
    "validate",
]
