"""A run's per-idea explanations, worked out in parts after its selection is stored.

Explaining a candidate takes one re-solve of the whole model, so at thousands of candidates
the explanations take far longer than the solve. The run stores its selection as soon as the
solve ends, with the reasons that need no re-solve (`prepare`: forced out, a required idea
missing, an exclusive partner selected); the candidates that need one are split into parts
of PORTFOLIO_EXPLAIN_PART candidates, one `ExplanationPart` row each, added in the same
commit as the result. `runs` hands the parts over:
- each as its own RQ job when REDIS_URL is set, so more workers finish sooner;
- one after another in the run's background thread, or inline (RUNS_INLINE) otherwise.

A part's job (`runs.explain_part`: `start`, `explain`, `store`) writes only its own row.
When no part is left to work, the job that finished last merges the parts into the run's
result (`merge`, under a lock on the run's row; a merged part is flagged and its entries
dropped). Until then readers lay the parts
over the stored placeholders (`known`), and the run page shows how many ideas are explained
(`progress`). A part whose job stopped (`part_stopped`) shows its ideas as not computed at
once (derived on read, like a stopped run); the sweep in `runs` records it and merges.
"""

from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import undefer

from portal.extensions import db
from portal.models import ExplanationPart, Run, RunStatus, utcnow
from portal.portfolio import jobs
from portal.portfolio import problem as bridge

ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
BEING_WORKED_OUT = "the value at stake is being worked out."
STOPPED = "the worker stopped before it finished"
FAILED = "the re-solves stopped with an error"


def _solver_settings(settings: dict) -> dict:
    """The run's backend and gap, as every re-solve of it uses them."""
    config = current_app.config
    return {
        "backend": settings.get("backend", "cbc"),
        "gap": float(settings.get("gap", config.get("PORTFOLIO_GAP", 1e-4))),
    }


def prepare(problem: dict, result: dict, settings: dict) -> list[list[str]]:
    """Give a solved `result` the explanations that need no re-solve (in place) and return
    the ids of the candidates that need one, in parts, the most visible first.

    The others get a placeholder saying their value at stake is being worked out. Nothing
    is re-solved when the solve was not proven optimal (the entries say so), nor above
    PORTFOLIO_EXPLAIN_MAX_CANDIDATES candidates when an operator set it (they say that).
    """
    config = current_app.config
    result["explanations"] = bridge.explain(
        problem, result, None, time_limit=0.0, **_solver_settings(settings)
    )
    waiting = [e for e in result["explanations"] if e.get("computed") is False]
    if not waiting or result["status"] != "optimal":
        return []
    limit = int(config.get("PORTFOLIO_EXPLAIN_MAX_CANDIDATES") or 0)
    if limit and len(problem["candidates"]) > limit:
        result["solver"]["explain_skipped"] = limit
        why = f"not computed: above {limit:,} candidates the value at stake is"
        for entry in waiting:
            entry["text"] = f"{entry['id']}: {why} not worked out per idea."
        return []
    for entry in waiting:
        entry["text"] = f"{entry['id']}: {BEING_WORKED_OUT}"
    # The run page lists the ideas left out, most valuable first: those come first.
    waiting.sort(key=lambda e: (e["selected"], e["value"] if e["selected"] else -e["value"]))
    ids = [e["id"] for e in waiting]
    size = max(1, int(config["PORTFOLIO_EXPLAIN_PART"]))
    return [ids[k : k + size] for k in range(0, len(ids), size)]


def add_parts(run_id: int, parts: list[list[str]], job_ids: list[str]) -> None:
    """Add the run's parts, each with the job that will work it (the caller commits, with
    the result whose placeholders they fill)."""
    db.session.add_all(
        ExplanationPart(
            run_id=run_id, number=k, ids=ids, size=len(ids), job_id=job_id, beat_at=utcnow()
        )
        for k, (ids, job_id) in enumerate(zip(parts, job_ids, strict=True))
    )


def parts_of(run_id: int, *statuses: RunStatus) -> list[ExplanationPart]:
    """The run's parts in the order they are worked (with those statuses when given)."""
    query = sa.select(ExplanationPart).where(ExplanationPart.run_id == run_id)
    if statuses:
        query = query.where(ExplanationPart.status.in_(statuses))
    return list(db.session.scalars(query.order_by(ExplanationPart.number)))


def beat(job_id: str) -> None:
    """Note that the job working the parts `job_id` names is alive (the caller commits);
    parts waiting behind the one at work in the same thread beat with it."""
    db.session.execute(
        sa.update(ExplanationPart)
        .where(ExplanationPart.job_id == job_id, ExplanationPart.status.in_(ACTIVE))
        .values(beat_at=utcnow())
    )


def start(part_id: int) -> ExplanationPart | None:
    """Mark a waiting part at work and return it; None when it is not waiting (its run
    was deleted, or another job took it). The caller commits."""
    part = db.session.get(ExplanationPart, part_id)
    if part is None or part.status != RunStatus.QUEUED:
        return None
    part.status = RunStatus.RUNNING
    part.started_at = part.beat_at = utcnow()
    return part


def explain(ids: list[str], problem: dict, result: dict, settings: dict) -> list[dict]:
    """The explanations of a part's candidates `ids`, in PORTFOLIO_EXPLAIN_SECONDS (no
    transaction is needed)."""
    seconds = current_app.config["PORTFOLIO_EXPLAIN_SECONDS"]
    return bridge.explain(problem, result, ids, time_limit=seconds, **_solver_settings(settings))


def store(part_id: int, entries: list[dict] | None, seconds: float) -> int | None:
    """Keep what a part's job found (`entries`; None when its re-solves failed) in the
    part's own row; returns the run's id (None if the run was deleted meanwhile). The
    caller commits, then merges."""
    part = db.session.get(ExplanationPart, part_id)
    if part is None:
        return None
    # Stored even if the sweep called it stopped meanwhile (it was only slow): the entries
    # are better than "not computed", and merging again puts them in.
    part.status = RunStatus.FAILED if entries is None else RunStatus.DONE
    part.entries, part.merged = entries, False
    part.error = FAILED if entries is None else None
    part.computed = sum(1 for e in entries or [] if e.get("computed"))
    part.finished_at = utcnow()
    part.seconds = round(seconds, 3)
    return part.run_id


def solved(run_id: int) -> tuple[dict, dict]:
    """The run's frozen problem and what `optimizer.explain` needs of its result (the
    result itself runs to megabytes; the selection is a fraction of it)."""
    problem, status, objective, selected = db.session.execute(
        sa.select(
            Run.problem,
            Run.result["status"].as_string(),
            Run.result["objective"].as_float(),
            Run.result["selected"],
        ).where(Run.id == run_id)
    ).one()
    return problem, {"status": status, "objective": objective, "selected": selected}


def merge(run_id: int) -> Run | None:
    """Put the finished parts not merged yet into the run's result once no part is left to
    work; returns the run if it did (the caller commits). Holds the run's row locked, so
    two parts finishing together merge once."""
    run = jobs.lock(run_id)
    parts = list(
        db.session.scalars(
            sa.select(ExplanationPart)
            .where(ExplanationPart.run_id == run_id)
            .options(undefer(ExplanationPart.entries), undefer(ExplanationPart.ids))
        )
    )
    if run is None or any(p.status in ACTIVE for p in parts):
        return None
    owed = [p for p in parts if not p.merged]
    if not owed or not run.result:
        return None
    result = dict(run.result)
    result["explanations"] = _overlay(result.get("explanations") or [], owed, {})
    solver = dict(result.get("solver") or {})
    solver["explain_seconds"] = round(sum(p.seconds or 0.0 for p in parts), 3)
    solver["explain_parts"] = len(parts)
    result["solver"] = solver
    run.result = result
    for part in owed:
        part.merged, part.entries = True, None
    return run


def known(run: Run, result: dict | None = None, *, merged: bool = False) -> list[dict]:
    """The run's explanations as known now: the stored ones with the parts not merged yet
    laid over them (a part being worked says so; one whose job stopped says not computed).
    `merged`: the caller has just read that every part is merged (`progress`), so the
    stored ones are all there is and the parts are not read again. Reads only."""
    result = run.result if result is None else result
    stored = (result or {}).get("explanations") or []
    if merged:
        return stored
    query = (
        sa.select(ExplanationPart)
        .where(ExplanationPart.run_id == run.id, ExplanationPart.merged.is_(False))
        .options(undefer(ExplanationPart.entries), undefer(ExplanationPart.ids))
        .order_by(ExplanationPart.number)
    )
    parts = list(db.session.scalars(query))
    if not parts:
        return stored
    return _overlay(stored, parts, _stopped(run, parts))


def _overlay(
    stored: list[dict], parts: Iterable[ExplanationPart], stopped: dict[int, str]
) -> list[dict]:
    """`stored` with each part's entries in place of its placeholders: what it found when
    done, "not computed" and why when it failed or stopped, else being worked out."""
    by_id = {e["id"]: e for e in stored}
    for part in parts:
        why = stopped.get(part.id) or (part.error if part.status == RunStatus.FAILED else None)
        if part.status == RunStatus.DONE and part.entries is not None:
            by_id.update((e["id"], e) for e in part.entries)
            continue
        text = f"not computed: {why}." if why else BEING_WORKED_OUT
        for cid in part.ids:
            if cid in by_id:
                by_id[cid] = {**by_id[cid], "computed": False, "text": f"{cid}: {text}"}
    return [by_id[e["id"]] for e in stored]


def _stopped(run: Run, parts: list[ExplanationPart]) -> dict[int, str]:
    """Part id -> why, for the unfinished parts whose job can no longer finish them
    (reads only)."""
    active = [p for p in parts if p.status in ACTIVE]
    if not active:
        return {}
    gone = jobs.rq_jobs_stopped(p.job_id or "" for p in active)
    return {p.id: STOPPED for p in active if part_stopped(p, gone)}


def part_stopped(part: ExplanationPart, stopped_jobs: set[str]) -> bool:
    """Whether an unfinished part's job can no longer finish it (reads only).

    `stopped_jobs` are the RQ jobs that stopped (`jobs.rq_jobs_stopped`). A part waiting in
    the queue has not stopped; one worked in a thread of this process is alive while the
    thread is; otherwise its job must have beaten within SILENT_FOR (a thread beats for
    the parts waiting behind the one at work).
    """
    job_id = part.job_id or ""
    if job_id.startswith("rq:") and current_app.config.get("REDIS_URL"):
        if job_id in stopped_jobs:
            return True
        if part.status == RunStatus.QUEUED:
            return False
    thread = jobs.threads.get(job_id)
    if thread is not None:
        return not thread.is_alive()
    moments = [m for m in (part.beat_at, part.started_at) if m is not None]
    return utcnow() - max(moments, default=part.created_at) > jobs.SILENT_FOR


# A run's parts, built once (building the statement cost about as much as running it).
_PARTS_OF_RUN = sa.select(ExplanationPart).where(ExplanationPart.run_id == sa.bindparam("run_id"))


def progress(run: Run) -> dict:
    """How far the run's explanations are, from the parts' rows (not the result): `state`
    none (no part), pending, done or failed (some part's ideas are not computed), how many
    candidates are `explained` `of` all, how many values were `computed` by re-solves,
    whether every part is `merged` into the result."""
    rows = list(db.session.scalars(_PARTS_OF_RUN, {"run_id": run.id}))
    total = int((run.settings or {}).get("candidates") or 0)
    if not rows:
        return {
            "state": "none",
            "explained": total,
            "of": total,
            "computed": 0,
            "parts": 0,
            "merged": True,
        }
    stopped = _stopped(run, rows)
    working = [p for p in rows if p.status in ACTIVE and p.id not in stopped]
    failed = [p for p in rows if p.status == RunStatus.FAILED or p.id in stopped]
    state = "pending" if working else ("failed" if failed else "done")
    return {
        "state": state,
        "explained": total - sum(p.size for p in working),
        "of": total,
        "computed": sum(p.computed for p in rows if p.status == RunStatus.DONE),
        "needed": sum(p.size for p in rows),
        "parts": len(rows),
        "parts_finished": len(rows) - len(working),
        "not_computed": sum(p.size for p in failed),
        "merged": all(p.merged for p in rows),
    }


def record_stopped(run: Run) -> bool:
    """Record failed the run's unfinished parts whose job stopped; True if any was (the
    caller merges and commits: the sweep, or a retry of the explanations)."""
    parts = parts_of(run.id, *ACTIVE)
    stopped = _stopped(run, parts)
    if not stopped:
        return False
    for part in parts:
        if part.id in stopped:
            part.status, part.error, part.finished_at = RunStatus.FAILED, STOPPED, utcnow()
            part.merged = False
    return True


def runs_with_unfinished_parts() -> sa.Select:
    """The ids of the runs that have a part waiting or at work (for the sweep)."""
    return sa.select(ExplanationPart.run_id).where(ExplanationPart.status.in_(ACTIVE)).distinct()


def reopen_failed(run: Run) -> list[ExplanationPart]:
    """Put the run's failed parts back in the queue, to be worked again (the caller hands
    them over and commits). Their ideas say being worked out again until then."""
    parts = parts_of(run.id, RunStatus.FAILED)
    for part in parts:
        part.status, part.error, part.merged = RunStatus.QUEUED, None, False
        part.started_at = part.finished_at = None
        part.beat_at = utcnow()
    return parts
