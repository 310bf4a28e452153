"""Scenario runs in the background: on an RQ worker when REDIS_URL is set, else in a thread.

A run is created with its problem frozen and status `queued`; `enqueue` hands it to
- an RQ queue (`flask --app wsgi run-worker` executes it) when REDIS_URL is set,
- a daemon thread of the web process otherwise (the embedded default),
- or, with RUNS_INLINE (tests, the benchmark), the calling request itself.
`perform` is the job: it marks the run running, solves the frozen problem, stores the result
(the selection, with the per-idea reasons that need no re-solve) and timings and marks it
done, or failed with the reason. Then come, with the page already showing the selection: the
run's charts (drawn from the result in memory, with no transaction open, and kept on the
run); the per-idea explanations, in parts (`portfolio/explanations.py`): each part its own
RQ job in RQ mode, so that more workers finish sooner, else one after another in this job;
and the efficient frontier and the robustness analysis. While it works it keeps a heartbeat
on the run (`settings["heartbeat"]`, every RUN_HEARTBEAT_SECONDS); a part's job beats on its
part.

`stale_reason` says (without writing) why a queued or running run's job can no longer finish
(its RQ job failed or vanished, or no heartbeat for a minute and no live thread here),
`analysis_stopped` why a finished run's pending analysis will never come and `part_stopped`
whether a part of its explanations will: pages show such a run as failed, or finished
without analysis, and such a part's ideas as not computed. `sweep` records them, on write
paths only: at worker start, at the web process's first request (in a thread), in `flask
sweep-runs`, and when a run is started or retried. `explain_again` works the failed parts
of a run's explanations again.
The RQ worker finds the job by name in `portal.worker`, which builds the app it needs.
"""

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from portal.background import job_queue, redis_connection
from portal.errors import PortalError
from portal.extensions import db, writing
from portal.models import Run, RunStatus, utcnow
from portal.portfolio import explanations, jobs, outcomes, run_charts
from portal.portfolio import problem as bridge

_threads = jobs.threads  # job id -> thread, for the runs of this process
worker_pid: int | None = None  # set in the `run-worker` process; its forked children differ

HEARTBEAT = "heartbeat"  # the key of the run's settings that holds its job's last beat
WORKER_STOPPED = "The worker stopped before the run finished; run it again."
ANALYSIS_STOPPED = "the worker stopped before it finished; run the scenario again to get it."
ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
SWEEP_FINISHED_WITHIN = timedelta(days=7)  # how far back the sweep ends pending analyses


class QueueError(PortalError):
    """The run could not be handed to the queue (Redis unreachable)."""

    status_code = 503


def mode(app: Flask) -> str:
    """How runs are executed: inline, rq or thread."""
    if app.config.get("RUNS_INLINE"):
        return "inline"
    return "rq" if app.config.get("REDIS_URL") else "thread"


def hard_deadline(run: Run) -> timedelta:
    """How long a run may stay running, even with a live heartbeat, before we call it stuck."""
    limit = float((run.settings or {}).get("time_limit") or 60)
    # solve + conflict search (at least 10 s, at most the time limit) + margin; the
    # explanations and the analysis come after the run is done
    return timedelta(seconds=2 * limit + 120)


def enqueue(run: Run) -> None:
    """Start the committed run in the configured way (the caller has committed it)."""
    app = current_app._get_current_object()
    how = mode(app)
    if how == "inline":
        run.job_id = "inline"
        db.session.commit()
        perform(run.id)
        return
    if how == "rq":
        run.job_id = f"rq:run-{run.id}-{uuid.uuid4().hex[:8]}"
        db.session.commit()
        timeout = int(hard_deadline(run).total_seconds()) + _analysis_budget(app, run)
        try:
            job_queue(app).enqueue(
                "portal.worker.perform_job",
                run.id,
                job_id=run.job_id[3:],
                job_timeout=timeout,
                result_ttl=24 * 3600,
                failure_ttl=7 * 24 * 3600,
            )
        except Exception as exc:  # Redis down or misconfigured: say so on the run
            fail(run, f"The run could not be queued: {exc}")
            raise QueueError(f"The run could not be queued ({exc}).") from exc
        return
    run.job_id = f"thread:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    db.session.commit()
    thread = threading.Thread(
        target=_thread_main, args=(app, run.id), name=f"run-{run.id}", daemon=True
    )
    _threads[run.job_id] = thread
    thread.start()


def _thread_main(app: Flask, run_id: int) -> None:
    """A background thread's body: perform the run in its own app context and session."""
    _in_thread(app, perform, run_id)


def _in_thread(app: Flask, job: Callable[[int], None], run_id: int) -> None:
    """Do a run's job in this thread, in an app context and session of its own."""
    with app.app_context():
        try:
            job(run_id)
        finally:
            db.session.remove()


def fail(run: Run, reason: str) -> None:
    """Mark a run failed with a reason a portfolio manager can act on (commits: the job's
    and the enqueuing request's own transaction)."""
    _mark_failed(run, reason)
    db.session.commit()


def _mark_failed(run: Run, reason: str) -> None:
    """Set a run failed with the reason (the caller commits)."""
    run.status = RunStatus.FAILED
    run.error = reason
    run.finished_at = utcnow()


def perform(run_id: int) -> None:
    """The job: solve the run's frozen problem and store what came out.

    No transaction stays open while the solver works (each write begins its own, taking
    SQLite's write lock up front), so other writers are neither blocked nor able to make
    the result's commit fail.
    """
    with writing():
        run = db.session.get(Run, run_id)
        if run is None or run.status != RunStatus.QUEUED:
            db.session.rollback()
            return
        run.status = RunStatus.RUNNING
        run.started_at = utcnow()
        problem, settings = run.problem, dict(run.settings or {})
        settings.pop(HEARTBEAT, None)
        _beat(run)
        db.session.commit()
    with _heartbeat(run_id):
        _solve(run_id, problem, settings)


def _solve(run_id: int, problem: dict, settings: dict) -> None:
    """Solve the frozen problem and store the result with the parts of its explanations
    still to work out; then the charts, the explanations and the analysis."""
    app = current_app._get_current_object()
    config = app.config
    try:
        t0 = time.perf_counter()
        result = bridge.solve(
            problem,
            backend=settings.get("backend", "cbc"),
            time_limit=float(settings.get("time_limit", 60)),
            gap=float(settings.get("gap", config.get("PORTFOLIO_GAP", 1e-4))),
        )
        solver_wall = time.perf_counter() - t0
        # When the solve ended, for the benchmark of how soon the selection is shown.
        result["portal"] = {"solver_wall_seconds": round(solver_wall, 4)}
        result["portal"]["solved_at"] = utcnow().isoformat()
        solver = result.get("solver", {})
        solved = result["status"] in ("optimal", "feasible")
        parts = explanations.prepare(problem, result, settings) if solved else []
        if solved:
            result["analysis"] = {"state": "pending"}
        with writing():
            run = db.session.get(Run, run_id)
            run.result = result
            run.result_status = result["status"]
            run.objective_value = result.get("objective")
            run.build_seconds = solver.get("build_seconds")
            run.solve_seconds = solver.get("solve_seconds")
            run.status = RunStatus.DONE
            run.finished_at = utcnow()
            job_ids = [_part_job_id(app, run, k) for k in range(len(parts))]
            explanations.add_parts(run_id, parts, job_ids)
            db.session.commit()
    except Exception as exc:
        db.session.rollback()
        current_app.logger.exception("run %s failed", run_id)
        with writing():
            fail(
                db.session.get(Run, run_id),
                f"The solver stopped with an error: {type(exc).__name__}: {exc}",
            )
        return
    if not solved:
        return
    if parts and mode(app) == "rq":
        _enqueue_parts(app, run_id)  # other workers start on them now
    # The results page is up now; its charts follow (drawn once, kept on the run).
    charts = _draw(run_id, settings=settings, problem=problem, result=result)
    if charts is not None:
        with writing():
            db.session.get(Run, run_id).charts = charts
            db.session.commit()
    if parts and mode(app) != "rq":
        work_parts(run_id, problem=problem, result=result)
    analyse(run_id, problem=problem, result=result, settings=settings)


def _part_job_id(app: Flask, run: Run, number: int) -> str:
    """The job that works a part: its own RQ job in RQ mode, else the run's own job."""
    if mode(app) == "rq":
        return f"rq:explain-{run.id}-{number}-{uuid.uuid4().hex[:8]}"
    return run.job_id or "inline"


def work_parts(run_id: int, *, problem: dict | None = None, result: dict | None = None) -> None:
    """Work the run's waiting parts one after another in this job (thread or inline mode)."""
    waiting = [p.id for p in explanations.parts_of(run_id, RunStatus.QUEUED)]
    db.session.rollback()
    for part_id in waiting:
        explain_part(part_id, problem=problem, result=result)


def explain_part(part_id: int, *, problem: dict | None = None, result: dict | None = None) -> None:
    """The job of one part of a run's explanations (in RQ mode `portal.worker.explain_job`):
    explain its candidates, store them in the part's row, then merge the run's parts into
    its result if none is left (commits). `problem` and `result` are the run's when the
    caller holds them (the run's own job); otherwise they are read."""
    with writing():
        part = explanations.start(part_id)
        if part is None:
            db.session.rollback()
            return
        run_id, job_id, ids = part.run_id, part.job_id, list(part.ids)
        settings = db.session.scalar(sa.select(Run.settings).where(Run.id == run_id)) or {}
        if problem is None or result is None:
            problem, result = explanations.solved(run_id)
        db.session.commit()
    t0 = time.perf_counter()
    entries = None
    try:
        with beating(f"explain-{part_id}", lambda: explanations.beat(job_id)):
            entries = explanations.explain(ids, problem, result, settings)
    except Exception:
        db.session.rollback()
        current_app.logger.exception("explanations part %s of run %s failed", part_id, run_id)
    with writing():
        stored = explanations.store(part_id, entries, time.perf_counter() - t0)
        db.session.commit()
    if stored is not None:  # a transaction of its own: the part is kept whatever happens
        with writing():
            _merge(run_id)
            db.session.commit()


def _merge(run_id: int) -> None:
    """Merge the run's parts into its result if none is left to work, and reword the stored
    outcomes of a run adopted meanwhile (the caller commits)."""
    run = explanations.merge(run_id)
    if run is not None and run.adopted_at is not None:
        outcomes.restate(run)


def _enqueue_parts(app: Flask, run_id: int) -> None:
    """Put each waiting part of the run's explanations on the queue as a job of its own
    (the parts are committed). Redis unreachable: the parts fail, saying so (commits)."""
    from rq import Queue

    parts = [
        (p.id, p.number, p.job_id[3:])
        for p in explanations.parts_of(run_id, RunStatus.QUEUED)
        if (p.job_id or "").startswith("rq:")
    ]
    db.session.rollback()
    seconds = app.config["PORTFOLIO_EXPLAIN_SECONDS"]
    jobs = [
        Queue.prepare_data(
            "portal.worker.explain_job",
            (part_id,),
            job_id=job_id,
            timeout=int(2 * seconds) + 120,  # its re-solves, the model's build, a margin
            result_ttl=24 * 3600,
            failure_ttl=7 * 24 * 3600,
            description=f"explain run {run_id} part {number}",
        )
        for part_id, number, job_id in parts
    ]
    try:
        job_queue(app).enqueue_many(jobs)
    except Exception as exc:  # Redis down: the ideas say so rather than wait for ever
        app.logger.warning("parts of run %s could not be queued", run_id, exc_info=True)
        with writing():
            for part in explanations.parts_of(run_id, RunStatus.QUEUED):
                part.status, part.finished_at = RunStatus.FAILED, utcnow()
                part.error = f"it could not be queued ({type(exc).__name__})"
            _merge(run_id)
            db.session.commit()


def explain_again(run: Run) -> int:
    """Work again the parts of a run's explanations that failed or whose job stopped;
    returns how many (commits, handing them over as a run is: queue, thread or inline)."""
    app = current_app._get_current_object()
    explanations.record_stopped(run)
    parts = explanations.reopen_failed(run)
    if not parts:
        return 0
    how = mode(app)
    job_id = "inline" if how == "inline" else f"thread:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    for part in parts:
        part.job_id = _part_job_id(app, run, part.number) if how == "rq" else job_id
    db.session.commit()
    if how == "rq":
        _enqueue_parts(app, run.id)
    elif how == "inline":
        work_parts(run.id)
    else:
        thread = threading.Thread(
            target=_in_thread, args=(app, work_parts, run.id), name=f"explain-{run.id}", daemon=True
        )
        _threads[job_id] = thread
        thread.start()
    return len(parts)


def _draw(run_id: int, *, settings: dict, problem: dict, result: dict) -> dict | None:
    """The run's charts drawn from what the job holds in memory, or None if drawing failed.

    Drawing takes a second or more: no transaction is open meanwhile, so on SQLite other
    writers are not kept waiting for the write lock while matplotlib works.
    """
    held = Run(id=run_id, settings=settings, problem=problem, result=result)  # never added
    try:
        return run_charts.draw_charts(held, result=result, problem=problem)
    except Exception:
        current_app.logger.exception("charts of run %s failed", run_id)
        return None
    finally:
        # Drawing reads idea titles: end that read before the caller's write begins (on
        # SQLite a read cannot become a write once someone else has committed).
        db.session.rollback()


def _analysis_budget(app: Flask, run: Run) -> int:
    """Seconds the RQ job may take beyond the solve: every frontier and robustness solve."""
    per_solve = _analysis_time_limit(app, run.settings or {})
    solves = app.config.get("PORTFOLIO_FRONTIER_POINTS", 9) + app.config.get(
        "PORTFOLIO_ROBUSTNESS_SAMPLES", 25
    )
    return int(per_solve * (solves + 1)) + 60


def _analysis_time_limit(app: Flask, settings: dict) -> float:
    """Time limit of each analysis solve: the run's, at most 10 s."""
    return min(float(settings.get("time_limit", 60)), 10.0)


def analyse(run_id: int, *, problem: dict, result: dict, settings: dict) -> None:
    """Add the efficient frontier and the robustness analysis to a solved run (commits).

    `problem`, `result` and `settings` are the run's, as the job already holds them. The
    charts that show the analysis are drawn first and stored in the same commit.
    """
    app = current_app._get_current_object()
    common = {
        "backend": settings.get("backend", "cbc"),
        "time_limit": _analysis_time_limit(app, settings),
        "gap": float(settings.get("gap", app.config.get("PORTFOLIO_GAP", 1e-4))),
    }
    analysis: dict = {"state": "done"}
    t0 = time.perf_counter()
    try:
        points = int(app.config.get("PORTFOLIO_FRONTIER_POINTS", 9))
        samples = int(app.config.get("PORTFOLIO_ROBUSTNESS_SAMPLES", 25))
        if points >= 2 and problem.get("budget"):
            analysis["frontier"] = bridge.frontier(problem, points=points, **common)
        if samples >= 1:
            analysis["robustness"] = bridge.robustness(
                problem, samples=samples, seed=run_id, **common
            )
    except Exception as exc:
        db.session.rollback()
        current_app.logger.exception("analysis of run %s failed", run_id)
        analysis = {"state": "failed", "error": f"{type(exc).__name__}: {exc}"}
    analysis["seconds"] = round(time.perf_counter() - t0, 3)
    charts = _draw(
        run_id, settings=settings, problem=problem, result={**result, "analysis": analysis}
    )
    with writing():
        # Only the analysis is written: the explanations may have been merged meanwhile.
        run = jobs.lock(run_id)
        run.result = {**(run.result or {}), "analysis": analysis}
        if charts is not None:
            run.charts = charts
        db.session.commit()


def keep_charts(run_id: int) -> None:
    """Draw a finished run's charts and keep them on the run (commits), for runs that have
    none for their analysis state (from before charts were kept, or whose job died)."""
    with writing():
        run = db.session.get(Run, run_id)
        run.charts = run_charts.draw_charts(run, problem=run.problem, result=run.result or {})
        db.session.commit()


def _beat(run: Run) -> None:
    """Note on the run that its job is alive now (the caller commits)."""
    run.settings = {**(run.settings or {}), HEARTBEAT: utcnow().isoformat()}


def _heartbeat(run_id: int):
    """Beat for the run while the block runs (see `beating`)."""

    def beat() -> None:
        run = db.session.get(Run, run_id)
        if run is not None:
            _beat(run)

    return beating(f"run-{run_id}", beat)


@contextmanager
def beating(name: str, beat: Callable[[], None]) -> Iterator[None]:
    """Call `beat` every RUN_HEARTBEAT_SECONDS, each time in a short transaction of its own,
    from a thread of its own while the block runs (the solver blocks the job's thread for
    minutes)."""
    app = current_app._get_current_object()
    interval = float(app.config.get("RUN_HEARTBEAT_SECONDS", 15))
    stop = threading.Event()

    def beat_until_stopped() -> None:
        while not stop.wait(interval):
            try:
                with app.app_context(), writing():
                    beat()
                    db.session.commit()
            except Exception:  # a missed beat is not the job's failure
                app.logger.warning("heartbeat of %s failed", name, exc_info=True)

    thread = threading.Thread(target=beat_until_stopped, name=f"{name}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def last_sign_of_life(run: Run) -> datetime:
    """When the run's job last showed it was alive: its latest heartbeat, start or end of
    solving; when it was created if it has none of those yet."""
    moments = [run.started_at, run.finished_at]
    beat = (run.settings or {}).get(HEARTBEAT)
    if beat:
        with suppress(TypeError, ValueError):
            moments.append(datetime.fromisoformat(beat))
    return max((m for m in moments if m is not None), default=run.created_at)


def _job_stopped(run: Run) -> str | None:
    """Why the run's job is no longer working on it, or None if it may be (reads only).

    An RQ job that failed, was stopped or cancelled, or left Redis has stopped; an RQ run
    still waiting in the queue has not. Otherwise a job that has not beaten for SILENT_FOR
    has stopped, unless its thread is alive in this process.
    """
    job_id = run.job_id or ""
    if job_id.startswith("rq:") and current_app.config.get("REDIS_URL"):
        reason = jobs.rq_failure(job_id[3:])
        if reason is not None or run.status == RunStatus.QUEUED:
            return reason
    thread = _threads.get(job_id)
    if thread is not None:
        if thread.is_alive():
            return None
        db.session.refresh(run)  # the thread ended: see what it stored last
        return "The background thread stopped before the run finished; run it again."
    if utcnow() - last_sign_of_life(run) <= jobs.SILENT_FOR:
        return None
    if job_id.startswith("thread:") and job_id.split(":")[1] == str(os.getpid()):
        return "The web process restarted while the run was waiting or running; run it again."
    return WORKER_STOPPED


def stale_reason(run: Run) -> str | None:
    """Why a queued or running run's job can no longer finish, or None (reads only)."""
    if run.status not in ACTIVE:
        return None
    reason = _job_stopped(run)
    if run.status not in ACTIVE:  # it finished while we looked
        return None
    overdue = run.started_at is not None and utcnow() - run.started_at > hard_deadline(run)
    if reason is None and run.status == RunStatus.RUNNING and overdue:
        reason = (
            f"No answer after {int(hard_deadline(run).total_seconds())} s: the process "
            "running it stopped or is stuck."
        )
    return reason


def _analysis_state_of_result():
    """The SQL expression of a run's analysis state inside its stored result."""
    return Run.result[("analysis", "state")].as_string()


def analysis_state(run_id: int) -> str | None:
    """The state of a run's frontier and robustness analysis, read from the stored result
    in the database (the result itself runs to megabytes and is not loaded)."""
    return db.session.scalar(sa.select(_analysis_state_of_result()).where(Run.id == run_id))


def analysis_stopped(run: Run) -> str | None:
    """Why a finished run's pending analysis will never come (its job stopped), or None
    (reads only; the result itself is not loaded)."""
    if run.status != RunStatus.DONE or analysis_state(run.id) != "pending":
        return None
    if _job_stopped(run) is None or analysis_state(run.id) != "pending":
        return None
    return ANALYSIS_STOPPED


def mark_stale(run: Run) -> bool:
    """Mark failed a queued or running run whose job can no longer finish, and end the
    pending analysis and the explanations' parts of a finished one whose job stopped; True
    if it did.

    The caller commits (a POST that touches the run, such as a retry, or `sweep`)."""
    reason = stale_reason(run)
    if reason is not None:
        _mark_failed(run, reason)
        return True
    changed = explanations.record_stopped(run)
    if changed:
        _merge(run.id)
    reason = analysis_stopped(run)
    if reason is not None:
        run = jobs.lock(run.id)
        run.result = {**(run.result or {}), "analysis": {"state": "failed", "error": reason}}
        return True
    return changed


def sweep() -> int:
    """Record every run whose job stopped: failed, or finished without its analysis or
    some of its explanations (the caller commits). Returns how many runs it changed.

    First lets RQ move jobs whose worker vanished from its started registry to the failed
    one. Only for write paths: worker and web process start, `flask sweep-runs`, a start or
    retry of a run.
    """
    if current_app.config.get("REDIS_URL"):
        _clean_rq_registries()
    # Results run to megabytes: only recently finished runs are looked into (older ones
    # still show their stopped analysis, derived on read).
    pending = sa.and_(
        Run.status == RunStatus.DONE,
        Run.finished_at > utcnow() - SWEEP_FINISHED_WITHIN,
        _analysis_state_of_result() == "pending",
    )
    unexplained = Run.id.in_(explanations.runs_with_unfinished_parts())
    candidates = db.session.scalars(
        sa.select(Run).where(sa.or_(Run.status.in_(ACTIVE), pending, unexplained)).order_by(Run.id)
    ).all()
    return sum(mark_stale(run) for run in candidates)


def sweep_now(app: Flask) -> int:
    """`sweep` in a short transaction of its own (commits); never raises, so it can run at
    start-up before the database is there."""
    try:
        with app.app_context(), writing():
            changed = sweep()
            db.session.commit()
    except Exception:
        app.logger.warning("sweeping stopped runs failed", exc_info=True)
        return 0
    if changed:
        app.logger.info("marked %s stopped run(s) failed", changed)
    return changed


def init_app(app: Flask) -> None:
    """Sweep stopped runs once, in a thread, when the web process serves its first request
    (a GET must not write, and the database may not exist while the app is only built for
    a command). On by default outside tests: RUNS_SWEEP_AT_START."""
    if not app.config.get("RUNS_SWEEP_AT_START", not app.config.get("TESTING")):
        return
    started = threading.Lock()

    @app.before_request
    def _sweep_once() -> None:
        if started.acquire(blocking=False):
            threading.Thread(target=sweep_now, args=(app,), name="sweep-runs", daemon=True).start()


def _clean_rq_registries() -> None:
    """Let RQ fail the jobs of our queue whose worker stopped heart-beating."""
    from rq.registry import StartedJobRegistry

    try:
        queue = job_queue(current_app._get_current_object())
        StartedJobRegistry(queue=queue).cleanup()
    except Exception:  # Redis unreachable: the heartbeat rule still applies
        current_app.logger.warning("cleaning RQ's registries failed", exc_info=True)


def run_worker(app: Flask, burst: bool = False) -> None:
    """Work the run queue (the `run-worker` command)."""
    from rq import Worker

    global worker_pid
    if not app.config.get("REDIS_URL"):
        raise RuntimeError("REDIS_URL is not set: runs execute in the web process.")
    worker_pid = os.getpid()
    sweep_now(app)
    Worker([job_queue(app)], connection=redis_connection(app.config["REDIS_URL"])).work(burst=burst)
