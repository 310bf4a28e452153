"""The CLI: exit codes, JSON on stdout and nothing else, output file and MPS export."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from optimizer.cli import main
from tests.optimizer.conftest import cand, make_problem

ROOT = Path(__file__).resolve().parents[2]
FEASIBLE = make_problem([cand("A", 3, {"2027": 2}), cand("B", 2, {"2027": 2})], budget={"2027": 3})
INFEASIBLE = make_problem([cand("A", 3, {"2027": 5})], budget={"2027": 3}, force_in=["A"])
INVALID = make_problem([cand("A", 3, {"2027": -1})])
SOLVED_BY_A_SOLVER = make_problem(
    [cand(f"C{k}", k + 1, {"2027": k + 2}) for k in range(6)], budget={"2027": 7}
)


def _write(tmp_path: Path, doc, name="problem.json") -> str:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return str(path)


@pytest.mark.parametrize(
    ("doc", "code", "status"),
    [(FEASIBLE, 0, "optimal"), (INFEASIBLE, 1, "infeasible"), (INVALID, 2, "invalid")],
)
@pytest.mark.parametrize("backend", ["highs", "cbc"])
def test_exit_codes_and_json(tmp_path, capsys, doc, code, status, backend):
    path = _write(tmp_path, doc)
    assert main(["solve", path, "--backend", backend, "--time-limit", "10"]) == code
    out = json.loads(capsys.readouterr().out)
    assert out["schema"] == "converge.result/1" and out["status"] == status


def test_no_solution_exits_1(tmp_path, capsys):
    from tests.optimizer.test_solve import _exact_count_portfolio

    path = _write(tmp_path, _exact_count_portfolio())
    assert main(["solve", path, "--time-limit", "0.01"]) == 1
    assert json.loads(capsys.readouterr().out)["status"] == "no_solution"


def test_unreadable_and_malformed_input_exit_2(tmp_path, capsys):
    assert main(["solve", str(tmp_path / "missing.json")]) == 2
    assert json.loads(capsys.readouterr().out)["errors"][0].startswith("$: cannot read")
    assert main(["solve", _write(tmp_path, "{not json")]) == 2
    assert "not valid JSON" in json.loads(capsys.readouterr().out)["errors"][0]


def test_output_file_and_mps(tmp_path, capsys):
    path = _write(tmp_path, FEASIBLE)
    result, mps = tmp_path / "result.json", tmp_path / "model.mps"
    assert main(["solve", path, "-o", str(result), "--write-mps", str(mps), "--gap", "0"]) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(result.read_text())["selected"] == [
        {"id": "A", "start": "2027", "delay": 0, "value": 3}
    ]
    assert "ROWS" in mps.read_text()


def test_stdout_is_only_json_in_a_fresh_process(tmp_path):
    # The HiGHS banner is printed once per process, so this needs a process of its own,
    # and enough candidates for a solver to run (tiny problems are enumerated).
    path = _write(tmp_path, SOLVED_BY_A_SOLVER)
    done = subprocess.run(
        [sys.executable, "-m", "optimizer", "solve", path, "--backend", "highs"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert json.loads(done.stdout)["status"] == "optimal"
    assert "Traceback" not in done.stderr


def test_frontier_and_robustness_commands(tmp_path, capsys):
    doc = make_problem(
        [cand("A", 3, {"2027": 2}, value_low=1, value_high=6), cand("B", 2, {"2027": 2})],
        budget={"2027": 3},
    )
    path = _write(tmp_path, doc)
    assert main(["frontier", path, "--points", "3"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["schema"] == "converge.frontier/1" and len(out["points"]) == 3
    assert main(["robustness", path, "--samples", "5", "--seed", "3"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["schema"] == "converge.robustness/1" and out["samples"] == 5
    assert main(["frontier", _write(tmp_path, INVALID, "bad.json"), "--points", "3"]) == 2


DEEP = '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"
HUGE = (
    '{"schema": "converge.problem/1", "periods": ["p"], "candidates": [{"id": "A", "value": %s}]}'
)


@pytest.mark.parametrize(
    ("args", "text", "error"),
    [
        (["--time-limit", "nan"], None, "solver.time_limit: must be a finite number > 0"),
        (["--time-limit", "inf"], None, "solver.time_limit: must be a finite number > 0"),
        (["--gap", "nan"], None, "solver.gap: must be a number in [0, 1)"),
        (["--explain-time-limit", "-1"], None, "solver.explain_time_limit: must be a finite"),
        (["--time-limit", "soon"], None, "arguments: argument --time-limit: invalid float"),
        (["--backend", "gurobi"], None, "arguments: argument --backend: invalid choice"),
        (["-o", "{tmp}/missing/result.json"], None, "-o: folder {tmp}/missing does not exist"),
        (["--write-mps", "{tmp}"], None, "--write-mps: {tmp} is a folder"),
        ([], DEEP, "$: nested too deeply to read"),
        ([], HUGE % ("9" * 400), "candidates[0].value: must be at most 1e+15 in size"),
        ([], HUGE % ("9" * 5000), "$: not readable JSON"),
        ([], HUGE % "1e308", "candidates[0].value: must be at most 1e+15 in size"),
        ([], HUGE % "1e400", "candidates[0].value: must be a number"),  # read as inf
    ],
)
def test_bad_input_is_json_with_errors_and_exit_2(tmp_path, capsys, args, text, error):
    path = _write(tmp_path, text if text is not None else FEASIBLE)
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert main(["solve", path, *args]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "invalid"
    assert out["errors"][0].startswith(error.replace("{tmp}", str(tmp_path))), out["errors"]


def test_two_values_of_1e308_are_refused_not_summed(tmp_path, capsys):
    doc = make_problem(
        [cand("A", 1e308, {"2027": 1}), cand("B", 1e308, {"2027": 1})],
        department_share={"X": {"min": 0.5}},
    )
    doc["candidates"][0]["department"] = "X"
    doc["candidates"][0]["cost"] = {"2027": 1e308}
    assert main(["solve", _write(tmp_path, doc)]) == 2
    errors = json.loads(capsys.readouterr().out)["errors"]
    assert {e.split(":")[0] for e in errors} == {
        "candidates[0].value",
        "candidates[0].cost.2027",
        "candidates[1].value",
    }


def test_a_tiny_problem_is_solved_and_explained_without_the_numeric_stack(tmp_path):
    """The CLI's fixed cost: a problem small enough to try every selection loads neither
    PuLP nor numpy, scipy or highspy, and its explanations are exact."""
    path = _write(tmp_path, FEASIBLE)
    probe = (
        "import json, sys\n"
        "from optimizer.cli import main\n"
        f"code = main(['solve', {path!r}])\n"
        "heavy = sorted({'pulp', 'numpy', 'scipy', 'highspy'} & set(sys.modules))\n"
        "print(json.dumps(heavy), file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stderr.strip().splitlines()[-1]) == []
    out = json.loads(run.stdout)
    assert [e["method"] for e in out["explanations"]] == ["enumeration", "enumeration"]
    assert all(e["exact"] for e in out["explanations"])


# Issue 13: every new field's error is a clear `errors` entry and exit 2 from the CLI too.
TIMED = make_problem(
    [
        {"id": "A", "value_by_period": {"2028": 3, "2029": 5}, "cost": {"2027": 2}},
        cand("B", 2, {"2027": 2}, run_cost=1, lifetime=3, themes=["cloud"]),
    ],
    budget={"2027": 3},
    discount_rate=0.08,
    theme_share={"cloud": {"max": 0.9}},
    run_cost_past_horizon={"years": 2, "budget": 5},
)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda d: d.update(discount_rate=-0.1), "discount_rate: must be >= 0"),
        (
            lambda d: d["candidates"][0].update(value_by_period={"2031": 1}),
            "candidates[0].value_by_period.2031: period is not listed in periods",
        ),
        (
            lambda d: d["candidates"][0].pop("value_by_period"),
            "candidates[0].value: required (or value_by_period)",
        ),
        (
            lambda d: d.update(theme_share={"cloud": {"min": 0.8, "max": 0.2}}),
            "theme_share.cloud: min 0.8 is above max 0.2",
        ),
        (lambda d: d["candidates"][1].update(lifetime=0), "candidates[1].lifetime"),
        (
            lambda d: d.update(run_cost_past_horizon={"years": 0}),
            "run_cost_past_horizon.years: must be >= 1",
        ),
    ],
)
def test_bad_time_fields_exit_2_with_their_path(tmp_path, capsys, change, error):
    assert main(["solve", _write(tmp_path, TIMED)]) == 0
    capsys.readouterr()
    doc = json.loads(json.dumps(TIMED))
    change(doc)
    assert main(["solve", _write(tmp_path, doc, "bad.json")]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "invalid"
    assert any(e.startswith(error) for e in out["errors"]), out["errors"]
