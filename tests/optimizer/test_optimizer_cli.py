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
    # The HiGHS banner is printed once per process, so this needs a process of its own.
    path = _write(tmp_path, FEASIBLE)
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
