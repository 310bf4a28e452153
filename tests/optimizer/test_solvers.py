"""The hand-over to both solvers on a model with every kind of column and row PuLP can hold."""

from __future__ import annotations

import pulp
import pytest

from optimizer import solvers


def _mixed_model() -> pulp.LpProblem:
    lp = pulp.LpProblem("mixed", pulp.LpMaximize)
    x = lp.add_variable("x", 0, 1, pulp.LpBinary)
    y = lp.add_variable("y", 0, 1, pulp.LpBinary)
    w = lp.add_variable("w", 0, 3, pulp.LpInteger)  # general integer, bounded
    n = lp.add_variable("n", -2, 4, pulp.LpInteger)  # negative lower bound
    z = lp.add_variable("z", None, 5)  # free below, bounded above
    f = lp.add_variable("f", 1.5, 1.5)  # fixed
    lp.setObjective(3 * x + 2 * y + w + z - n + f + 10)  # with a constant
    lp.addConstraint(x + y <= 1, "pick_one")
    lp.addConstraint(z - x >= -2.5, "z_floor")
    lp.addConstraint(w + z <= 6.5, "w_and_z")
    lp.addConstraint(n + w == 1, "n_and_w")
    lp.addConstraint(f + z <= 6, "f_and_z")
    return lp


@pytest.mark.parametrize("backend", solvers.BACKENDS)
def test_every_column_and_row_kind_reaches_the_solver(backend):
    lp = _mixed_model()
    run = solvers.run(lp, backend, time_limit=10, gap=0)
    values = {v.name: v.varValue for v in lp.variables()}
    # n = 1 - w, so the objective is 3x + 2y + 2w + z + 10.5 with x + y <= 1, w + z <= 6.5,
    # z <= 6 - f = 4.5 and w <= 3: w = 3 (n at its lower bound -2) beats z = 4.5 (w = 2)
    assert run.status == "optimal"
    assert values == pytest.approx({"x": 1, "y": 0, "w": 3, "n": -2, "z": 3.5, "f": 1.5})
    assert run.objective == pytest.approx(3 + 3 + 3.5 + 2 + 1.5 + 10)


@pytest.mark.parametrize("backend", solvers.BACKENDS)
def test_infeasible_rows_are_reported_infeasible(backend):
    lp = _mixed_model()
    fixed = next(v for v in lp.variables() if v.name == "f")
    lp.addConstraint(fixed >= 2, "f_above_its_fixed_value")
    assert solvers.run(lp, backend, time_limit=10, gap=0).status == "infeasible"


@pytest.mark.parametrize("backend", solvers.BACKENDS)
def test_a_start_is_handed_over(backend):
    from optimizer import Problem
    from optimizer.model import build_model
    from tests.optimizer.conftest import cand, make_problem

    doc = make_problem(
        [cand(f"C{k}", k + 1, {"2027": k + 2}, department=f"D{k % 2}") for k in range(6)],
        budget={"2027": 9},
        department_share={"D0": {"min": 0.2}},
    )
    model = build_model(Problem.from_dict(doc))
    first = solvers.solve(model.matrix, backend, 10, 0)
    start = model.point(model.selection(first.values))
    again = solvers.solve(model.matrix, backend, 10, 0, start=start)
    assert again.status == "optimal" and again.objective == first.objective
