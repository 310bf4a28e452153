"""The MPS export stands alone: HiGHS and CBC read it back and reach the result's optimum."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import highspy
import pytest

import optimizer
from optimizer.cli import main
from optimizer.solvers import cbc_path
from tests.optimizer.conftest import cand, make_problem

PROBLEMS = {
    "plain": make_problem(
        [
            cand("A", 10, {"2027": 6}, department="IT", themes=["cloud"]),
            cand("B", 7, {"2027": 4, "2028": 2}, department="Ops", may_start_later_by=1),
            cand("C", 5, {"2028": 5}, effort={"eng": {"2028": 2}}, department="IT"),
            cand("D", 3, {"2029": 3}, themes=["cloud"]),
        ],
        budget={"2027": 9, "2028": 8},
        capacity={"eng": {"2028": 3}},
        requires=[["D", "A"]],
        department_share={"IT": {"max": 0.8}},
        count={"max": 3},
    ),
    "time": make_problem(
        [
            {"id": "A", "value_by_period": {"2028": 6, "2029": 9}, "cost": {"2027": 5}},
            cand("B", -2, {"2027": 2}, run_cost=3, themes=["cloud"], negative_impact=4),
            cand(
                "C",
                4,
                {"2027": 3},
                value_by_period={"2028": 5},
                may_start_later_by=2,
                run_cost=2,
                lifetime=3,
                themes=["cloud"],
            ),
            cand("D", 8, {"2028": 4}, run_cost=1),
        ],
        budget={"2027": 8, "2028": 6},
        requires=[["D", "B"]],
        discount_rate=0.1,
        theme_share={"cloud": {"min": 0.2, "max": 0.7}},
        run_cost_past_horizon={"years": 3, "budget": 12, "penalty": 0.5},
    ),
}


def _highs_optimum(path: str) -> float:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(path) == highspy.HighsStatus.kOk
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return h.getInfo().objective_function_value


def _cbc_optimum(path: str) -> float:
    done = subprocess.run(
        [cbc_path(), path, "-solve"], capture_output=True, text=True, timeout=60, check=True
    )
    assert "Optimal solution found" in done.stdout, done.stdout
    return float(re.search(r"Objective value:\s+(\S+)", done.stdout).group(1))


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_mps_alone_gives_the_optimum(tmp_path, name, backend):
    path = str(tmp_path / "model.mps")
    result = optimizer.solve(PROBLEMS[name], backend=backend, explain=False, write_mps=path)
    assert result.status == "optimal" and result.objective > 0
    text = Path(path).read_text()
    assert "NEGATED" in text.splitlines()[1]  # the sense travels in the file
    # any reader minimizes; the portfolio value is minus that optimum
    assert -_highs_optimum(path) == pytest.approx(result.objective, abs=1e-6)
    assert -_cbc_optimum(path) == pytest.approx(result.objective, abs=1e-6)


def test_model_mps_is_the_same_model(tmp_path):
    problem = optimizer.Problem.from_dict(PROBLEMS["time"])
    path = tmp_path / "public.mps"
    path.write_bytes(optimizer.model_mps(problem))
    result = optimizer.solve(problem, explain=False)
    assert -_highs_optimum(str(path)) == pytest.approx(result.objective, abs=1e-6)
    assert -_cbc_optimum(str(path)) == pytest.approx(result.objective, abs=1e-6)


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_cli_write_mps_alone_gives_the_optimum(tmp_path, capsys, name):
    """`python -m optimizer solve P.json --write-mps F`: the file, read by HiGHS and by CBC
    with nothing else, minimizes to minus the objective the CLI reports."""
    problem, mps = tmp_path / "problem.json", tmp_path / "cli.mps"
    problem.write_text(json.dumps(PROBLEMS[name]))
    assert main(["solve", str(problem), "--write-mps", str(mps), "--no-explain"]) == 0
    objective = json.loads(capsys.readouterr().out)["objective"]
    assert objective > 0
    assert -_highs_optimum(str(mps)) == pytest.approx(objective, abs=1e-6)
    assert -_cbc_optimum(str(mps)) == pytest.approx(objective, abs=1e-6)
