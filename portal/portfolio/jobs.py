"""What the portfolio's background jobs share: which of them are alive, and the lock on a
run's row.

A job is alive while its thread in this process is, while RQ has not failed, stopped,
cancelled or lost it, or while it beats (`runs.beating`: a row's time of last sign of life,
written every RUN_HEARTBEAT_SECONDS from a thread of its own). `runs` applies these to a
run's job, `explanations` to the jobs that work the parts of a run's explanations.
"""

import threading
from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from portal.background import redis_connection
from portal.extensions import db
from portal.models import Run

threads: dict[str, threading.Thread] = {}  # job id -> thread, for the jobs of this process
# A job beats every RUN_HEARTBEAT_SECONDS (15 s); one silent this long has stopped.
SILENT_FOR = timedelta(seconds=60)


def rq_failure(job_id: str) -> str | None:
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


def rq_jobs_stopped(job_ids: Iterable[str]) -> set[str]:
    """Those of `job_ids` ("rq:…") whose RQ job failed, was stopped or cancelled, or left
    Redis, in one round trip (reads only). Other job ids, or Redis unreachable: none."""
    from rq.job import Job, JobStatus

    ids = sorted({j[3:] for j in job_ids if j.startswith("rq:")})
    if not ids or not current_app.config.get("REDIS_URL"):
        return set()
    try:
        jobs = Job.fetch_many(ids, connection=redis_connection(current_app.config["REDIS_URL"]))
    except Exception:  # we cannot tell, so say nothing yet
        return set()
    ended = (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)
    return {
        f"rq:{job_id}"
        for job_id, job in zip(ids, jobs, strict=True)
        if job is None or job.get_status(refresh=False) in ended
    }


def lock(run_id: int) -> Run | None:
    """The run, its row locked until the caller commits, with its result read afresh: for
    a change to part of the result that another job may change too (PostgreSQL: SELECT …
    FOR UPDATE; SQLite: a job's transaction already holds the write lock)."""
    db.session.execute(sa.select(Run.id).where(Run.id == run_id).with_for_update())
    run = db.session.get(Run, run_id)
    if run is not None:
        db.session.refresh(run, ["result"])
    return run
