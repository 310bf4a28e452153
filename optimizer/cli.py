"""Command line: `python -m optimizer solve|frontier|robustness PROBLEM.json` printing JSON.

Whatever the input, the answer is a JSON document on stdout (or in the -o file) and an exit
code: bad arguments, unreadable or malformed files and settings out of range come back as
status `invalid` with `errors`, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from . import solvers
from .solve import DEFAULT_EXPLAIN_TIME, DEFAULT_GAP, DEFAULT_TIME_LIMIT, check_settings, solve

EXIT_OK, EXIT_NO_ANSWER, EXIT_INVALID = 0, 1, 2
_EXIT_BY_STATUS = {
    "optimal": EXIT_OK,
    "feasible": EXIT_OK,
    "ok": EXIT_OK,
    "infeasible": EXIT_NO_ANSWER,
    "no_solution": EXIT_NO_ANSWER,
    "invalid": EXIT_INVALID,
}


class _BadArguments(Exception):
    """argparse refused the command line (its message says why)."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors become an `invalid` JSON answer instead of usage text."""

    def error(self, message: str):
        raise _BadArguments(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m optimizer", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

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
    p.add_argument("--explain-time-limit", type=float, default=DEFAULT_EXPLAIN_TIME, metavar="S")
    p = sub.add_parser("frontier", help="optimal value as all budgets scale together")
    common(p)
    p.add_argument("--points", type=int, default=11, metavar="N")
    p = sub.add_parser("robustness", help="selection frequency under sampled values")
    common(p)
    p.add_argument("--samples", type=int, default=100, metavar="N")
    p.add_argument("--seed", type=int, default=0, metavar="S")
    return parser


def _schema(command: str | None) -> str:
    return f"converge.{command}/1" if command in ("frontier", "robustness") else "converge.result/1"


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
    except RecursionError:
        return None, ["$: nested too deeply to read (a problem document is a few levels deep)"]
    except ValueError as exc:  # e.g. an integer of more digits than Python reads (4,300)
        return None, [f"$: not readable JSON ({exc})"]


def _output_errors(path: str | None, option: str) -> list[str]:
    """A file the answer can be written to: its folder exists and may be written in."""
    if path is None:
        return []
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return [f"{option}: folder {folder} does not exist"]
    if os.path.isdir(path):
        return [f"{option}: {path} is a folder"]
    if not os.access(folder, os.W_OK):
        return [f"{option}: cannot write in {folder}"]
    return []


def _run(args: argparse.Namespace) -> dict[str, Any]:
    explain_time = getattr(args, "explain_time_limit", DEFAULT_EXPLAIN_TIME)
    errors = check_settings(
        args.backend,
        {
            "time_limit": args.time_limit,
            "gap": args.gap,
            "explain_time_limit": explain_time,
            "diagnose_time_limit": None,
        },
    )
    if not errors:
        data, errors = _read(args.problem)
    if errors:
        return {"schema": _schema(args.command), "status": "invalid", "errors": errors}
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
    from .analysis import frontier, robustness

    if args.command == "frontier":
        return frontier(data, args.points, args.backend, args.time_limit, args.gap)
    return robustness(data, args.samples, args.seed, args.backend, args.time_limit, args.gap)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code.

    0 for optimal/feasible (frontier, robustness: ok), 1 for infeasible/no_solution, 2 for invalid.
    """
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = _parser().parse_args(argv)
    except _BadArguments as exc:
        command = next((a for a in argv if a in ("solve", "frontier", "robustness")), None)
        out = {"schema": _schema(command), "status": "invalid", "errors": [f"arguments: {exc}"]}
        return _emit(out, None)
    errors = _output_errors(args.output, "-o")
    errors += _output_errors(getattr(args, "write_mps", None), "--write-mps")
    if errors:  # said on stdout: the file named cannot take it
        return _emit({"schema": _schema(args.command), "status": "invalid", "errors": errors}, None)
    # Only the JSON may reach stdout: anything a solver prints at C level goes to stderr.
    with solvers.stdout_to_stderr():
        out = _run(args)
    return _emit(out, args.output)


def _emit(out: dict[str, Any], output: str | None) -> int:
    """Write the answer (to `output` or stdout) and return the exit code for its status."""
    try:
        text = json.dumps(out, indent=2, allow_nan=False, default=_jsonable) + "\n"
    except ValueError as exc:  # a number JSON cannot hold: never expected, never a traceback
        out = {
            "schema": out.get("schema"),
            "status": "invalid",
            "errors": [f"$: the answer holds a number JSON cannot ({exc})"],
        }
        text = json.dumps(out, indent=2) + "\n"
    if output:
        try:
            with open(output, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError as exc:
            out = {
                "schema": out.get("schema"),
                "status": "invalid",
                "errors": [f"-o: cannot write {output}: {exc.strerror}"],
            }
            output, text = None, json.dumps(out, indent=2) + "\n"
    if not output:
        sys.stdout.write(text)
        sys.stdout.flush()
    return _EXIT_BY_STATUS.get(out.get("status", "invalid"), EXIT_NO_ANSWER)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, tuple | set):
        return list(obj)
    raise TypeError(f"cannot serialize {type(obj).__name__}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
