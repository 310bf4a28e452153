"""The RQ worker's entry points: the job functions RQ finds by name.

`flask --app wsgi run-worker` works the queue inside the app it built; any other RQ worker
gets an app built here. Nothing in the portal imports this module (the queue names its
functions, e.g. `portal.worker.perform_job`), so building the app here closes no import cycle.
"""

import os

from flask import has_app_context

from portal import mail
from portal.extensions import db
from portal.portfolio import runs


def perform_job(run_id: int) -> None:
    """Run one queued scenario run inside the worker's app context, or build one."""
    _in_app(runs.perform, run_id)


def explain_job(part_id: int) -> None:
    """Explain one part of a run's candidates (`portfolio/explanations.py`)."""
    _in_app(runs.explain_part, part_id)


def _in_app(job, *args) -> None:
    """Do a job inside the worker's app context, or one built here."""
    if has_app_context():
        if runs.worker_pid is not None and os.getpid() != runs.worker_pid:
            # A forked work horse must not reuse the parent's pooled connections.
            db.engine.dispose(close=False)
        job(*args)
        return
    from portal import create_app

    with create_app().app_context():
        job(*args)


def deliver_job(letters: list[dict]) -> None:
    """Send notification e-mail inside the worker's app context, or build one."""
    if has_app_context():
        mail.deliver([mail.Letter(**letter) for letter in letters])
        return
    from portal import create_app

    with create_app().app_context():
        mail.deliver([mail.Letter(**letter) for letter in letters])


def reminders_job() -> str:
    """Send the reminders and digests that are due (enqueued by `run-scheduler`)."""
    if not has_app_context():
        from portal import create_app

        with create_app().app_context():
            return reminders_job()
    from portal.reminders import send_reminders

    sent = send_reminders()
    db.session.commit()
    return str(sent)
