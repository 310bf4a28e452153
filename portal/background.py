"""The RQ queue that background work waits on: scenario runs and notification e-mail.

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
