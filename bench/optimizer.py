"""Optimizer benchmarks: OR-Library knapsacks against known optima, synthetic portfolios at scale.

    python bench/optimizer.py --quick          # mknap1, 3 of mknapcb1, 1,000 candidates
    python bench/optimizer.py                  # the full set named in issue 3
    python bench/optimizer.py --only synthetic --sizes 10000 --backends highs
    python bench/optimizer.py --only time      # issue 13: value over time against plain value
    python bench/optimizer.py --only goals     # issue 15: 10k / 50k solve, peak memory, CLI cost

Every solve has a time limit; each synthetic case runs in its own process (peak memory is that
process's maximum resident set) under a hard timeout.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# This file is named like the package it measures: put the repository root first instead.
sys.path[0] = str(ROOT)

from bench import orlib  # noqa: E402
from optimizer import solvers  # noqa: E402
from optimizer.model import build_model  # noqa: E402
from optimizer.problem import Problem  # noqa: E402
from optimizer.timing import Timing  # noqa: E402


def greedy(inst: orlib.Knapsack) -> float:
    """Value/cost ranking: cost is the weight summed over rows, each row scaled by its capacity."""
    m = len(inst.capacities)
    scaled = [
        sum(inst.weights[i][j] / inst.capacities[i] for i in range(m))
        for j in range(len(inst.profits))
    ]
    order = sorted(range(len(inst.profits)), key=lambda j: -inst.profits[j] / (scaled[j] or 1e-12))
    load = [0.0] * m
    total = 0.0
    for j in order:
        if all(load[i] + inst.weights[i][j] <= inst.capacities[i] for i in range(m)):
            for i in range(m):
                load[i] += inst.weights[i][j]
            total += inst.profits[j]
    return total


def solve_knapsack(inst: orlib.Knapsack, backend: str, time_limit: float) -> dict:
    """Solve one knapsack through the optimizer's model and solver layer (gap 0)."""
    problem = Problem.from_dict(orlib.to_problem(inst))
    t0 = time.perf_counter()
    model = build_model(problem)
    run = solvers.solve(model.matrix, backend, time_limit, 0.0)
    return {
        "objective": run.objective,
        "status": run.status,
        "seconds": time.perf_counter() - t0,
    }


def orlib_rows(args: argparse.Namespace) -> list[dict]:
    """Solve the OR-Library sets with each backend and with the greedy baseline."""
    data = Path(args.orlib)
    best = orlib.best_known(data / "best-feasible-slns.txt")
    sets = [("mknap1", orlib.load(data / "mknap1.txt", "mknap1"), None)]
    n_cb1, n_cb4 = (3, 0) if args.quick else (10, 5)
    cb1 = orlib.load(data / "mknapcb1.txt", "5.100")[:n_cb1]
    cb4 = orlib.load(data / "mknapcb4.txt", "10.100")[:n_cb4]
    sets += [("mknapcb1", cb1, best), ("mknapcb4", cb4, best)]
    rows = []
    for set_name, instances, table in sets:
        if not instances:
            continue
        for backend in [*args.backends, "greedy"]:
            total, proven, worst_gap, objs = 0.0, 0, 0.0, []
            for inst in instances:
                known = table[inst.name] if table else inst.known
                if backend == "greedy":
                    t0 = time.perf_counter()
                    obj, status = greedy(inst), "heuristic"
                    secs = time.perf_counter() - t0
                else:
                    out = solve_knapsack(inst, backend, args.orlib_time_limit)
                    obj, status, secs = out["objective"] or 0.0, out["status"], out["seconds"]
                gap = (known - obj) / known if known else 0.0
                worst_gap = max(worst_gap, gap)
                total += secs
                proven += status == "optimal"
                objs.append(obj)
                rows.append(
                    {
                        "set": set_name,
                        "instance": inst.name,
                        "backend": backend,
                        "known": known,
                        "objective": round(obj, 4),
                        "status": status,
                        "gap_to_known_%": round(max(100 * gap, 0.0), 3),
                        "seconds": round(secs, 3),
                    }
                )
            rows.append(
                {
                    "set": set_name,
                    "instance": f"TOTAL ({len(instances)})",
                    "backend": backend,
                    "known": "",
                    "objective": "",
                    "status": f"{proven}/{len(instances)} proven",
                    "gap_to_known_%": round(100 * worst_gap, 3),
                    "seconds": round(total, 3),
                }
            )
    return rows


def synthetic_problem(n: int, seed: int = 7) -> dict:
    """A portfolio with every constraint type: 5 periods, 3 pools, 10 departments, 6 themes."""
    rng = random.Random(seed)
    periods = [str(2027 + k) for k in range(5)]
    pools = ["engineering", "data", "change"]
    departments = [f"D{k}" for k in range(10)]
    themes = [f"T{k}" for k in range(6)]
    candidates = []
    totals = dict.fromkeys(periods, 0.0)
    effort_totals = {pool: dict.fromkeys(periods, 0.0) for pool in pools}
    for i in range(n):
        length = rng.randint(1, 3)
        first = rng.randint(0, len(periods) - length)
        size = rng.lognormvariate(12, 0.8)
        cost = {periods[first + k]: round(size * rng.uniform(0.5, 1.5), -2) for k in range(length)}
        effort = {}
        for pool in rng.sample(pools, rng.randint(1, 2)):
            effort[pool] = {p: round(v / 50000, 1) for p, v in cost.items()}
            for p, v in effort[pool].items():
                effort_totals[pool][p] += v
        for p, v in cost.items():
            totals[p] += v
        value = round(sum(cost.values()) / 10000 * rng.lognormvariate(0, 0.5), 1)
        cand = {
            "id": f"IDEA-{i}",
            "value": value,
            "value_low": round(value * 0.6, 1),
            "value_high": round(value * 1.5, 1),
            "cost": cost,
            "effort": effort,
            "department": rng.choice(departments),
            "themes": rng.sample(themes, rng.randint(0, 2)),
        }
        if rng.random() < 0.2 and first + length < len(periods):
            cand["may_start_later_by"] = rng.randint(1, len(periods) - first - length)
        candidates.append(cand)
    ids = [c["id"] for c in candidates]
    force_in = ids[:10]
    force_out = ids[10:20]
    free = ids[20:]
    rng.shuffle(free)
    pos = 0

    def take(k: int) -> list[str]:
        nonlocal pos
        out = free[pos : pos + k]
        pos += k
        return out

    requires = []
    for _ in range(min(300, len(free) // 6)):
        a, b = take(2)
        requires.append([a, b])
    exclusive = [take(rng.randint(2, 3)) for _ in range(min(100, len(free) // 12))]
    together = [take(2) for _ in range(min(50, len(free) // 20))]
    return {
        "schema": "converge.problem/1",
        "periods": periods,
        "budget": {p: round(0.3 * v, -3) for p, v in totals.items()},
        "capacity": {
            pool: {p: round(0.35 * v + 1, 0) for p, v in per.items()}
            for pool, per in effort_totals.items()
        },
        "candidates": candidates,
        "requires": requires,
        "exclusive": exclusive,
        "together": together,
        "force_in": force_in,
        "force_out": force_out,
        "department_share": {d: {"min": 0.03, "max": 0.25} for d in departments},
        "theme_min_share": {"T0": 0.1, "T1": 0.1},
        "count": {"min": 10, "max": max(20, int(0.4 * n))},
    }


VARIANTS = ("plain", "flat", "time", "all")


def timed_variant(doc: dict, variant: str) -> dict:
    """The synthetic portfolio with issue 13's fields (same candidates, same rules).

    `flat`: the control, `time`'s values at each planned start as plain `value` (the same
    instance but for the later starts, which lose value under `time`).
    `time`: each candidate's value becomes a stream over the periods after its cost ends
    (the last period when it ends there), split evenly, undiscounted sum = the plain value,
    and a discount rate of 8%. `all`: also a run cost (a tenth of its yearly cost) for a
    lifetime of 3-8 years, counted 5 years past the horizon as a budget line and a penalty,
    negative impacts on 10% of candidates, and theme shares with both bounds.
    """
    if variant == "plain":
        return doc
    if variant == "flat":
        # the control: `time`'s values at the planned start, given as plain `value`
        timed = Problem.from_dict(timed_variant(copy.deepcopy(doc), "time"))
        timing = Timing(timed)
        for c, t in zip(doc["candidates"], timed.candidates, strict=True):
            c["value"] = round(timing.counted_value(t, 0), 6)
            c.pop("value_low", None)
            c.pop("value_high", None)
        return doc
    rng = random.Random(13)
    periods = doc["periods"]
    index = {p: k for k, p in enumerate(periods)}
    for c in doc["candidates"]:
        end = max(index[p] for p in c["cost"])
        live = periods[end + 1 :] or periods[-1:]
        value = c.pop("value")
        c.pop("value_low", None)
        c.pop("value_high", None)
        c["value_by_period"] = {p: round(value / len(live), 3) for p in live}
        if variant == "all":
            c["run_cost"] = round(sum(c["cost"].values()) / len(c["cost"]) / 10, -2)
            c["lifetime"] = rng.randint(3, 8)
            if rng.random() < 0.1:
                c["value"] = -round(value * 0.2, 1)
                c["negative_impact"] = round(value * 0.2, 1)
    doc["discount_rate"] = 0.08
    if variant == "all":
        tail = sum(c["run_cost"] for c in doc["candidates"]) * 5
        doc["run_cost_past_horizon"] = {"years": 5, "budget": round(0.3 * tail), "penalty": 1e-5}
        doc.pop("theme_min_share")
        doc["theme_share"] = {"T0": {"min": 0.1, "max": 0.4}, "T1": {"min": 0.1, "max": 0.4}}
    return doc


def synthetic_case(
    n: int, backend: str, gap: float, time_limit: float, variant: str = "plain"
) -> dict:
    """Build and solve one synthetic portfolio; runs inside its own process."""
    doc = timed_variant(synthetic_problem(n), variant)
    t0, c0 = time.perf_counter(), time.process_time()
    problem = Problem.from_dict(doc)
    validate_s, c1 = time.perf_counter() - t0, time.process_time()
    model = build_model(problem)
    # CPU seconds too: on a loaded machine wall time of a sub-second step is mostly waiting
    validate_cpu, build_cpu = c1 - c0, time.process_time() - c1
    run = solvers.solve(model.matrix, backend, time_limit, gap)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_mb = max(peak_mb, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    solver_s = run.solver_seconds or 0.0
    overhead = model.build_seconds + max(run.seconds - solver_s, 0.0)
    return {
        "n": n,
        "variant": variant,
        "backend": backend,
        "gap_limit": gap,
        "validate_s": round(validate_s, 3),
        "build_s": round(model.build_seconds, 3),
        "validate_cpu_s": round(validate_cpu, 3),
        "build_cpu_s": round(build_cpu, 3),
        "solve_s": round(run.seconds, 3),
        "solver_s": round(solver_s, 3),
        "pulp_overhead_%": round(100 * overhead / solver_s, 1) if solver_s else None,
        "status": run.status,
        "objective": None if run.objective is None else round(run.objective, 1),
        "gap_%": None if run.gap is None else round(100 * run.gap, 4),
        "peak_mb": round(peak_mb),
    }


def synthetic_rows(args: argparse.Namespace, variants=("plain",)) -> list[dict]:
    """Run each (size, backend, gap, variant) case in a subprocess with a hard timeout."""
    rows = []
    for n in args.sizes:
        for backend in args.backends:
            for gap in args.gaps:
                for variant in variants:
                    rows.append(_case_row(args, n, backend, gap, variant))
    return rows


def _case_row(args: argparse.Namespace, n: int, backend: str, gap: float, variant: str) -> dict:
    """One synthetic case in its own process under a hard timeout."""
    cmd = [sys.executable, __file__, "--case", str(n), backend, str(gap)]
    cmd += ["--time-limit", str(args.time_limit), "--variant", variant]
    failed = {"n": n, "variant": variant, "backend": backend, "gap_limit": gap}
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=args.time_limit * 2 + 120, check=False
        )
    except subprocess.TimeoutExpired:
        return {**failed, "status": "killed"}
    line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if line.startswith("{"):
        return json.loads(line)
    return {**failed, "status": f"error: {done.stderr.strip()[-200:]}"}


def _total(row: dict) -> float:
    return row["validate_s"] + row["build_s"] + row["solve_s"]


def time_rows(rows: list[dict]) -> list[dict]:
    """Each time variant against the plain case of the same size, backend and gap, and
    against the `flat` control (the same values as plain `value`): `total x flat` is what
    the new fields themselves cost, apart from the values they lead to."""
    plain = {(r["n"], r["backend"], r["gap_limit"]): r for r in rows if r.get("variant") == "plain"}
    flat = {(r["n"], r["backend"], r["gap_limit"]): r for r in rows if r.get("variant") == "flat"}
    out = []
    for r in rows:
        base = plain.get((r["n"], r["backend"], r["gap_limit"]))
        control = flat.get((r["n"], r["backend"], r["gap_limit"]))
        if r.get("variant") in (None, "plain") or base is None or "build_s" not in r:
            continue

        def ratio(key: str, r=r, base=base) -> float | None:
            return round(r[key] / base[key], 2) if base.get(key) else None

        total, base_total = _total(r), _total(base)
        out.append(
            {
                "n": r["n"],
                "backend": r["backend"],
                "gap_limit": r["gap_limit"],
                "variant": r["variant"],
                "validate x": ratio("validate_s"),
                "build x": ratio("build_s"),
                "validate cpu x": ratio("validate_cpu_s"),
                "build cpu x": ratio("build_cpu_s"),
                "solve x": ratio("solve_s"),
                "total x": round(total / base_total, 2) if base_total else None,
                "total x flat": (
                    round(total / _total(control), 2)
                    if r["variant"] != "flat" and control and "build_s" in control
                    else None
                ),
                "status": f"{base['status']} / {r['status']}",
            }
        )
    return out


def explain_problem(n: int = 300, seed: int = 11) -> dict:
    """A portfolio whose explanations all need a re-solve: 3 budgets, 20 requires pairs,
    20 exclusive pairs and a count limit."""
    rng = random.Random(seed)
    periods = ["2027", "2028", "2029"]
    candidates = [
        {
            "id": f"IDEA-{i}",
            "value": rng.randint(10, 100),
            "cost": {p: rng.randint(0, 60) for p in periods},
        }
        for i in range(n)
    ]
    ids = [c["id"] for c in candidates]
    rng.shuffle(ids)
    return {
        "schema": "converge.problem/1",
        "periods": periods,
        "budget": {p: 30.0 * n / 3 for p in periods},
        "candidates": candidates,
        "requires": [ids[k : k + 2] for k in range(0, 40, 2)],
        "exclusive": [ids[k : k + 2] for k in range(40, 80, 2)],
        "count": {"max": n // 3},
    }


EXPLAIN_SIZES = (100, 300, 2000, 10000)
# At this size and above the explanations are split over two worker processes, each
# explaining half of the candidates with `optimizer.explain` (as the portal's job queue does).
SPLIT_FROM = 10000
# The explanation budget per worker that, with starting a process and building the model,
# keeps two workers within issue 15's 60 s at 10,000 candidates.
SPLIT_BUDGET = 50.0


def explain_cases(args: argparse.Namespace) -> list[tuple[str, dict, float]]:
    """(name, problem, gap) of each portfolio to explain: `explain_problem` at each size
    (100 and 300 with --quick) and, without --quick, the first mknapcb1 knapsack when the
    OR-Library files are there (hard: every forced optimum is an exact knapsack proof) and
    the synthetic portfolio with every constraint type at the sizes from SPLIT_FROM, at the
    portal's gap of 1e-4."""
    sizes = args.explain_sizes or ((100, 300) if args.quick else EXPLAIN_SIZES)
    cases = [(f"explain {n:,}", explain_problem(n), 0.0) for n in sizes]
    knapsacks = Path(args.orlib) / "mknapcb1.txt"
    if knapsacks.exists() and not args.quick:
        cases.append(("mknapcb1-00", orlib.to_problem(orlib.load(knapsacks, "5.100")[0]), 0.0))
    if not args.quick:
        cases += [
            (f"synthetic {n:,}", synthetic_problem(n), 1e-4) for n in sizes if n >= SPLIT_FROM
        ]
    return cases


def explain_rows(args: argparse.Namespace) -> list[dict]:
    """Solve each case once, then explain every candidate in fresh worker processes (one, or
    two from SPLIT_FROM candidates, each explaining half) with the default budget (20 s per
    worker; split, also SPLIT_BUDGET) and count what they computed."""
    import optimizer

    rows = []
    for name, doc, gap in explain_cases(args):
        n = len(doc["candidates"])
        workers = 2 if n >= SPLIT_FROM else 1
        # split, also the budget that keeps the workers within the 60 s of issue 15's goal
        limits = [args.explain_time_limit] if args.explain_time_limit else [20.0]
        if workers > 1 and not args.explain_time_limit:
            limits.append(SPLIT_BUDGET)
        for backend in args.backends:
            with solvers.stdout_to_stderr():
                solved = optimizer.solve(doc, backend, 60.0, gap, explain=False).to_dict()
            for limit in limits:
                entries, wall, parts = _explain_in_workers(
                    doc, solved, backend, gap, limit, workers
                )
                rows.append(
                    _explain_row(name, n, backend, solved, entries, wall, parts, workers, limit)
                )
    return rows


def _explain_in_workers(doc, solved, backend, gap, limit, workers):
    """Every candidate explained by `workers` fresh processes at once, each its share."""
    import tempfile

    ids = [c["id"] for c in doc["candidates"]]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "case.json"
        path.write_text(json.dumps({"problem": doc, "result": solved}))
        t0 = time.perf_counter()
        procs = [
            subprocess.Popen(
                [sys.executable, __file__, "--explain-part", str(path)]
                + [str(k), str(workers), backend, str(gap), str(limit)],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            for k in range(workers)
        ]
        parts = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
        wall = time.perf_counter() - t0
    entries = [e for part in parts for e in part["entries"]]
    assert sorted(e["id"] for e in entries) == sorted(ids)
    return entries, wall, parts


GOAL_SIZES = (10000, 50000)
GOAL_GAP = 1e-4


def goal_case(path: str, backend: str, time_limit: float) -> dict:
    """Read one problem file and solve it as the CLI does (no explanations); runs in its own
    process, so the peaks are this solve's alone (Python, and the largest solver child)."""
    import optimizer

    t0 = time.perf_counter()
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    t1 = time.perf_counter()
    result = optimizer.solve(doc, backend, time_limit, GOAL_GAP, explain=False).to_dict()
    t2 = time.perf_counter()
    info = result["solver"]
    solve_s, solver_s = info.get("solve_seconds") or 0.0, info.get("solver_seconds") or 0.0
    build_s = info.get("build_seconds") or 0.0
    check_s = info.get("check_seconds")  # the exact check after the solve (issue 15)
    py_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "n": len(doc["candidates"]),
        "backend": backend,
        "status": result["status"],
        "repaired": ", ".join(info.get("repaired", [])),
        "gap_%": None if result["gap"] is None else round(100 * result["gap"], 4),
        "json_s": round(t1 - t0, 2),
        "outside_solver_s": round(t2 - t1 - solver_s, 2),
        "build_s": round(build_s, 2),
        "hand_over_s": round(max(solve_s - solver_s, 0.0), 2),
        "build+hand_over_s": round(build_s + max(solve_s - solver_s, 0.0), 2),
        "solver_s": round(solver_s, 2),
        "check_s": None if check_s is None else round(check_s, 2),
        "solve_s": round(t2 - t1, 2),
        "python_mb": round(py_mb),
        "solver_mb": round(child_mb),
    }


def goal_rows(args: argparse.Namespace) -> list[dict]:
    """Issue 15's goals: solve at 10k / 50k (gap 1e-4, every constraint type) with time and
    peak memory, each case in its own process; then the CLI's fixed cost on 1 candidate."""
    import tempfile

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path = Path(tmp) / f"p{n}.json"
            path.write_text(json.dumps(synthetic_problem(n)))
            for backend in args.backends:
                cmd = [sys.executable, __file__, "--goal-case", str(path), backend]
                cmd += ["--time-limit", str(args.time_limit)]
                failed = {"n": n, "backend": backend}
                try:
                    done = subprocess.run(
                        cmd, capture_output=True, text=True, timeout=args.time_limit * 2 + 120
                    )
                except subprocess.TimeoutExpired:
                    rows.append({**failed, "status": "killed"})
                    continue
                line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
                if line.startswith("{"):
                    rows.append(json.loads(line))
                else:
                    rows.append({**failed, "status": f"error: {done.stderr.strip()[-200:]}"})
        rows += cli_rows(Path(tmp), args.cli_runs)
    return rows


def cli_rows(tmp: Path, runs: int) -> list[dict]:
    """`python -m optimizer solve` on a 1-candidate problem: median and best wall time of
    `runs` calls, with and without explanations (a fresh interpreter each time)."""
    path = tmp / "one.json"
    one = {
        "schema": "converge.problem/1",
        "periods": ["2027"],
        "budget": {"2027": 10},
        "candidates": [{"id": "A", "value": 3, "cost": {"2027": 5}}],
    }
    path.write_text(json.dumps(one))
    rows = []
    for extra in ([], ["--no-explain"]):
        times, cpu = [], []
        for _ in range(runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "optimizer", "solve", str(path), *extra],
                cwd=ROOT,
                capture_output=True,
                check=False,
            )
            times.append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            # CPU seconds of the call and its children (a CBC process): on a loaded machine
            # the wall time of a 0.2 s call is mostly waiting for a core
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        times.sort()
        cpu.sort()
        rows.append(
            {
                "n": 1,
                "backend": "cli " + (" ".join(extra) or "(default)"),
                "solve_s": round(times[len(times) // 2], 3),
                "status": f"best of {runs}: {times[0]:.3f} s; CPU {cpu[len(cpu) // 2]:.3f} s",
            }
        )
    return rows


def _explain_row(name, n, backend, solved, entries, wall, parts, workers, limit) -> dict:
    """Counts of one case: explained (an exact value or infeasibility; a value within the
    gap asked for, `computed` but not exact; or a proven range narrower than 1% of the
    objective), how (by bounds alone or with a MIP re-solve; main's code re-solves all) and
    how long it took."""
    objective = abs(solved.get("objective") or 0.0)
    valued = [e for e in entries if "computed" in e]
    exact = [e for e in valued if e.get("exact")]
    within_gap = [e for e in valued if e["computed"] and not e.get("exact")]
    ranges = [
        e
        for e in valued
        if not e["computed"]
        and e.get("value_lost_range")
        and e["value_lost_range"][1] - e["value_lost_range"][0] <= 0.01 * max(objective, 1e-9)
    ]
    answered = exact + within_gap
    return {
        "case": name,
        "backend": backend,
        "status": solved["status"],
        "solve_s": solved["solver"]["solve_seconds"],
        "needing_a_value": len(valued),
        "explained": f"{len(answered) + len(ranges)}/{len(valued)}",
        "exact": len(exact),
        "within_gap": len(within_gap),
        "ranges_<1%": len(ranges),
        "by_bounds": sum(e.get("method") == "bounds" for e in answered),
        "by_re_solve": sum(e.get("method", "resolve") == "resolve" for e in answered),
        "wall_s": round(wall, 2),
        "slowest_worker_s": round(max(p["seconds"] for p in parts), 2),
        "budget_s": limit,
        "workers": workers,
        "threads": max(p.get("threads", 1) for p in parts),
    }


def explain_part(path: str, k: int, of: int, backend: str, gap: float, limit: float) -> dict:
    """One worker's share: candidates k, k + of, k + 2 of, ... of the case in `path`."""
    import optimizer

    t0 = time.perf_counter()
    case = json.loads(Path(path).read_text())
    ids = [c["id"] for c in case["problem"]["candidates"]][k::of]
    entries = optimizer.explain(
        case["problem"], case["result"], ids, backend=backend, gap=gap, time_limit=limit
    )
    return {"entries": entries, "seconds": time.perf_counter() - t0}


def load_note() -> str:
    """The machine's load average (1, 5, 15 minutes) and core count, to read timings by."""
    try:
        one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    except OSError:
        return "load average: unknown"
    return f"load average {one} {five} {fifteen} on {os.cpu_count()} cores"


def table(rows: list[dict]) -> str:
    """Rows as a Markdown table."""
    if not rows:
        return ""
    cols = list(dict.fromkeys(k for row in rows for k in row))
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in rows:
        lines.append("| " + " | ".join(str(row.get(c, "")) for c in cols) + " |")
    return "\n".join(lines)


def main() -> None:
    """Parse flags, run the chosen benchmarks and print their tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small subset (under a minute)")
    parser.add_argument(
        "--only", choices=["orlib", "synthetic", "explain", "time", "goals"], help="run one part"
    )
    parser.add_argument("--variant", choices=VARIANTS, default="plain", help=argparse.SUPPRESS)
    parser.add_argument("--backends", nargs="+", default=list(solvers.BACKENDS))
    parser.add_argument("--sizes", nargs="+", type=int, help="synthetic candidate counts")
    parser.add_argument("--gaps", nargs="+", type=float, default=[0.0, 1e-4])
    parser.add_argument("--time-limit", type=float, default=60.0, help="per synthetic solve")
    parser.add_argument("--orlib-time-limit", type=float, default=30.0, help="per knapsack")
    parser.add_argument("--orlib", default=str(orlib.DEFAULT_ORLIB_DIR))
    parser.add_argument("--explain-sizes", nargs="+", type=int, help="explain table sizes")
    parser.add_argument("--explain-time-limit", type=float, help="per worker (default 20 s)")
    parser.add_argument("--case", nargs=3, metavar=("N", "BACKEND", "GAP"), help=argparse.SUPPRESS)
    parser.add_argument("--goal-case", nargs=2, metavar=("FILE", "BACKEND"), help=argparse.SUPPRESS)
    parser.add_argument("--cli-runs", type=int, default=7, help="CLI calls timed (goals)")
    parser.add_argument("--explain-part", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.explain_part:
        path, k, of, backend, gap, limit = args.explain_part
        with solvers.stdout_to_stderr():
            out = explain_part(path, int(k), int(of), backend, float(gap), float(limit))
        print(json.dumps(out))
        return
    if args.case:
        n, backend, gap = args.case
        with solvers.stdout_to_stderr():
            out = synthetic_case(int(n), backend, float(gap), args.time_limit, args.variant)
        print(json.dumps(out))
        return
    if args.goal_case:
        with solvers.stdout_to_stderr():
            out = goal_case(*args.goal_case, args.time_limit)
        print(json.dumps(out))
        return
    if args.only == "goals":
        args.sizes = args.sizes or list(GOAL_SIZES)
        print(f"## Goals (issue 15; gap {GOAL_GAP}; {load_note()})\n")
        print(table(goal_rows(args)) + "\n", flush=True)
        return
    if args.sizes is None:
        args.sizes = [1000] if args.quick else [1000, 10000, 50000]
    if args.quick:
        args.time_limit = min(args.time_limit, 20.0)
        args.orlib_time_limit = min(args.orlib_time_limit, 10.0)
    if args.only in (None, "orlib"):
        with solvers.stdout_to_stderr():
            rows = orlib_rows(args)
        print("## OR-Library (gap 0; gap_to_known = (known - objective) / known)\n")
        print(table(rows) + "\n", flush=True)
    if args.only in (None, "synthetic"):
        rows = synthetic_rows(args)
        print("## Synthetic portfolios (every constraint type)\n")
        print(table(rows) + "\n", flush=True)
    if args.only == "time":
        if args.sizes is None or args.sizes == [1000, 10000, 50000]:
            args.sizes = [10000]
        rows = synthetic_rows(args, VARIANTS)
        print("## Value over time (issue 13) against plain value\n")
        print(table(rows) + "\n")
        print("Ratios to the plain case (goal: no more than 1.5x):\n")
        print(table(time_rows(rows)) + "\n", flush=True)
        return
    if args.only in (None, "explain"):
        print(f"Before the explanations: {load_note()}\n", flush=True)
        with solvers.stdout_to_stderr():
            rows = explain_rows(args)
        print(
            "## Explanations (every candidate; one worker process, or two from "
            f"{SPLIT_FROM:,} candidates, each explaining half)\n"
        )
        print(table(rows) + "\n")
        print(f"After: {load_note()}", flush=True)


if __name__ == "__main__":
    main()
