"""Scenario runs in the background: on an RQ worker when REDIS_URL is set, else in a thread.

A run is created with its problem frozen and status `queued`; `enqueue` hands it to
- an RQ queue (`flask --app wsgi run-worker` executes it) when REDIS_URL is set,
- a daemon thread of the web process otherwise (the embedded default),
- or, with RUNS_INLINE (tests, the benchmark), the calling request itself.
`perform` is the job: it marks the run running, solves the frozen problem, stores the result
and timings and marks it done, or failed with the reason; it draws the run's charts (from
the result in memory, with no transaction open) and keeps them on the run. After a solved run
it adds the efficient frontier and the robustness analysis to the result. While it works it
keeps a heartbeat on the run (`settings["heartbeat"]`, every RUN_HEARTBEAT_SECONDS).

`stale_reason` says (without writing) why a queued or running run's job can no longer finish
(its RQ job failed or vanished, or no heartbeat for a minute and no live thread here) and
`analysis_stopped` why a finished run's pending analysis will never come: pages show such a
run as failed, or finished without analysis. `sweep` records both, on write paths only: at
worker start, at the web process's first request (in a thread), in `flask sweep-runs`, and
when a run is started or retried.
The RQ worker finds the job by name in `portal.worker`, which builds the app it needs.
"""

import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from portal.background import job_queue, redis_connection
from portal.errors import PortalError
from portal.extensions import db, writing
from portal.models import Run, RunStatus, utcnow
from portal.portfolio import problem as bridge
from portal.portfolio import run_charts

_threads: dict[str, threading.Thread] = {}  # job id -> thread, for runs of this process
worker_pid: int | None = None  # set in the `run-worker` process; its forked children differ

HEARTBEAT = "heartbeat"  # the key of the run's settings that holds its job's last beat
# A job beats every RUN_HEARTBEAT_SECONDS (15 s); one silent this long has stopped.
SILENT_FOR = timedelta(seconds=60)
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
    explain = float(current_app.config.get("PORTFOLIO_EXPLAIN_SECONDS", 20))
    # solve + conflict search (at least 10 s, at most the time limit) + explanations + margin
    return timedelta(seconds=2 * limit + explain + 120)


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
    with app.app_context():
        try:
            perform(run_id)
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
    """Solve the frozen problem, store the result, then the charts and the analysis."""
    config = current_app.config
    backend = settings.get("backend", "cbc")
    time_limit = float(settings.get("time_limit", 60))
    gap = float(settings.get("gap", config.get("PORTFOLIO_GAP", 1e-4)))
    try:
        t0 = time.perf_counter()
        result = bridge.solve(
            problem,
            backend=backend,
            time_limit=time_limit,
            gap=gap,
            explain_time=float(config.get("PORTFOLIO_EXPLAIN_SECONDS", 20)),
            explain_max_candidates=int(config.get("PORTFOLIO_EXPLAIN_MAX_CANDIDATES", 5000)),
        )
        solver_wall = time.perf_counter() - t0
        solver = result.get("solver", {})
        result["portal"] = {"solver_wall_seconds": round(solver_wall, 4)}
        solved = result["status"] in ("optimal", "feasible")
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
    if solved:
        # The results page is up now; its charts follow (drawn once, kept on the run).
        charts = _draw(run_id, settings=settings, problem=problem, result=result)
        if charts is not None:
            with writing():
                db.session.get(Run, run_id).charts = charts
                db.session.commit()
        analyse(run_id, problem=problem, result=result, settings=settings)


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
    result = {**result, "analysis": analysis}
    charts = _draw(run_id, settings=settings, problem=problem, result=result)
    with writing():
        run = db.session.get(Run, run_id)
        run.result = result
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


@contextmanager
def _heartbeat(run_id: int) -> Iterator[None]:
    """Beat for the run every RUN_HEARTBEAT_SECONDS from a thread of its own while the block
    runs (the solver blocks the job's thread for minutes)."""
    app = current_app._get_current_object()
    interval = float(app.config.get("RUN_HEARTBEAT_SECONDS", 15))
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(interval):
            try:
                with app.app_context(), writing():
                    run = db.session.get(Run, run_id)
                    if run is not None:
                        _beat(run)
                    db.session.commit()
            except Exception:  # a missed beat is not the run's failure
                app.logger.warning("heartbeat of run %s failed", run_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"run-{run_id}-heartbeat", daemon=True)
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
        reason = _rq_failure(job_id[3:])
        if reason is not None or run.status == RunStatus.QUEUED:
            return reason
    thread = _threads.get(job_id)
    if thread is not None:
        if thread.is_alive():
            return None
        db.session.refresh(run)  # the thread ended: see what it stored last
        return "The background thread stopped before the run finished; run it again."
    if utcnow() - last_sign_of_life(run) <= SILENT_FOR:
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
    pending analysis of a finished one whose job stopped; True if it did.

    The caller commits (a POST that touches the run, such as a retry, or `sweep`)."""
    reason = stale_reason(run)
    if reason is not None:
        _mark_failed(run, reason)
        return True
    reason = analysis_stopped(run)
    if reason is not None:
        result = dict(run.result or {})
        result["analysis"] = {"state": "failed", "error": reason}
        run.result = result
        return True
    return False


def sweep() -> int:
    """Record every run whose job stopped: failed, or finished without its analysis
    (the caller commits). Returns how many runs it changed.

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
    candidates = db.session.scalars(
        sa.select(Run).where(sa.or_(Run.status.in_(ACTIVE), pending)).order_by(Run.id)
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


def _rq_failure(job_id: str) -> str | None:
    """Why the RQ job stopped (failed, stopped, cancelled, gone), or None if it may still run."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus

    try:
        job = Job.fetch(job_id, connection=redis_connection(current_app.config["REDIS_URL"]))
    except NoSuchJobError:
        return "The queued job is no longer in Redis (expired or deleted)."
    except Exception:  # Redis unreachable: we cannot tell, so say nothing yet
        return None
    status = job.get_status(refresh=True)
    if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
        detail = ""
        latest = job.latest_result()
        if latest is not None and latest.exc_string:
            detail = ": " + latest.exc_string.strip().splitlines()[-1]
        return f"The worker {status.value} the job{detail}"
    return None


def run_worker(app: Flask, burst: bool = False) -> None:
    """Work the run queue (the `run-worker` command)."""
    from rq import Worker

    global worker_pid
    if not app.config.get("REDIS_URL"):
        raise RuntimeError("REDIS_URL is not set: runs execute in the web process.")
    worker_pid = os.getpid()
    sweep_now(app)
    Worker([job_queue(app)], connection=redis_connection(app.config["REDIS_URL"])).work(burst=burst)
