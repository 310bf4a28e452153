"""Command line: `python -m optimizer solve|frontier|robustness PROBLEM.json` printing JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from . import solvers
from .analysis import frontier, robustness
from .solve import DEFAULT_GAP, DEFAULT_TIME_LIMIT, solve

EXIT_OK, EXIT_NO_ANSWER, EXIT_INVALID = 0, 1, 2
_EXIT_BY_STATUS = {
    "optimal": EXIT_OK,
    "feasible": EXIT_OK,
    "ok": EXIT_OK,
    "infeasible": EXIT_NO_ANSWER,
    "no_solution": EXIT_NO_ANSWER,
    "invalid": EXIT_INVALID,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m optimizer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("problem", help="problem JSON file (converge.problem/1), or - for stdin")
        p.add_argument("--backend", choices=solvers.BACKENDS, default=solvers.DEFAULT_BACKEND)
        p.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, metavar="S")
        p.add_argument("--gap", type=float, default=DEFAULT_GAP, metavar="G")
        p.add_argument("-o", "--output", metavar="RESULT.json", help="write JSON here")

    p = sub.add_parser("solve", help="solve a problem and print the result")
    common(p)
    p.add_argument("--write-mps", metavar="FILE", help="also write the model as MPS")
    p.add_argument("--no-explain", action="store_true", help="skip the explanations")
    p.add_argument("--explain-time-limit", type=float, default=20.0, metavar="S")
    p = sub.add_parser("frontier", help="optimal value as all budgets scale together")
    common(p)
    p.add_argument("--points", type=int, default=11, metavar="N")
    p = sub.add_parser("robustness", help="selection frequency under sampled values")
    common(p)
    p.add_argument("--samples", type=int, default=100, metavar="N")
    p.add_argument("--seed", type=int, default=0, metavar="S")
    return parser


def _read(path: str) -> tuple[Any, list[str]]:
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as f:
                text = f.read()
    except OSError as exc:
        return None, [f"$: cannot read {path}: {exc.strerror}"]
    except UnicodeDecodeError:
        return None, [f"$: {path} is not UTF-8 text"]
    try:
        return json.loads(text), []
    except json.JSONDecodeError as exc:
        return None, [f"$: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"]


def _run(args: argparse.Namespace) -> dict[str, Any]:
    data, errors = _read(args.problem)
    if errors:
        schema = "converge.result/1" if args.command == "solve" else f"converge.{args.command}/1"
        return {"schema": schema, "status": "invalid", "errors": errors}
    if args.command == "solve":
        return solve(
            data,
            backend=args.backend,
            time_limit=args.time_limit,
            gap=args.gap,
            explain=not args.no_explain,
            explain_time_limit=args.explain_time_limit,
            write_mps=args.write_mps,
        ).to_dict()
    if args.command == "frontier":
        return frontier(data, args.points, args.backend, args.time_limit, args.gap)
    return robustness(data, args.samples, args.seed, args.backend, args.time_limit, args.gap)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code.

    0 for optimal/feasible (frontier, robustness: ok), 1 for infeasible/no_solution, 2 for invalid.
    """
    args = _parser().parse_args(argv)
    # Only the JSON may reach stdout: anything a solver prints at C level goes to stderr.
    with solvers.stdout_to_stderr():
        out = _run(args)
    text = json.dumps(out, indent=2, allow_nan=False, default=_jsonable) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return _EXIT_BY_STATUS.get(out.get("status", "invalid"), EXIT_NO_ANSWER)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, tuple | set):
        return list(obj)
    raise TypeError(f"cannot serialize {type(obj).__name__}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
