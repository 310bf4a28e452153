"""The RQ queue that background work waits on: scenario runs, notification e-mail and the
reminders that RQ's cron scheduler enqueues.

One queue, so the one `flask --app wsgi run-worker` process works both. The job functions
RQ calls by name live in `portal.worker`, which builds the app when it has to.
"""

from flask import Flask

QUEUE_NAME = "converge-runs"


def redis_connection(url: str):
    """A Redis client for the queue (imported late: Redis is optional)."""
    from redis import Redis

    return Redis.from_url(url)


def job_queue(app: Flask):
    """The RQ queue on the app's REDIS_URL."""
    from rq import Queue

    return Queue(QUEUE_NAME, connection=redis_connection(app.config["REDIS_URL"]))


def reminders_cron(app: Flask):
    """RQ's cron scheduler with the reminders job registered on the queue."""
    from rq.cron import CronJob, CronScheduler

    cron = CronScheduler(connection=redis_connection(app.config["REDIS_URL"]))
    # By name, as every job here (`register` wants the function, which lives in the worker
    # module that nothing in the portal imports).
    cron.get_jobs().append(
        CronJob(
            QUEUE_NAME,
            func_name="portal.worker.reminders_job",
            interval=app.config["REMINDERS_EVERY_SECONDS"],
            name="send-reminders",
        )
    )
    return cron


def run_scheduler(app: Flask) -> None:
    """Run RQ's cron scheduler in this process (the `run-scheduler` command)."""
    if not app.config.get("REDIS_URL"):
        raise RuntimeError("REDIS_URL is not set: run `flask --app wsgi send-reminders` from cron.")
    reminders_cron(app).start()
