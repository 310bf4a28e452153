"""E-mail for notifications, through Flask-Mailman, only when MAIL_SERVER is configured.

Telling people (`portal.audit.people_told`) queues one letter per recipient on the database
session. The letters go out only after that session commits, and never from the request:
on an RQ worker when REDIS_URL is set, in a background thread otherwise, or right away
when MAIL_SEND_INLINE is set (tests). A rollback drops them. Links point at
PORTAL_BASE_URL, never at the Host header of the request that happened to cause the mail.
"""

import logging
import smtplib
import threading
from dataclasses import asdict, dataclass

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from flask_mailman import EmailMessage, Mail

from portal.audit import people_told
from portal.background import job_queue
from portal.extensions import db
from portal.models import Frequency, Idea, User

OUTBOX = "converge.outbox"  # key of the letters waiting for the commit in Session.info

mail = Mail()
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Letter:
    """One plain-text e-mail to one person (plain values: it may travel through Redis)."""

    to: str
    subject: str
    body: str


def _letters(users: list[User], message: str, link: str | None, base_url: str) -> list[Letter]:
    body = message + (f"\n\n{base_url.rstrip('/')}{link}" if link else "")
    subject = "Converge: " + (message if len(message) < 70 else message[:67] + "…")
    return [Letter(user.email, subject, body) for user in users]


@people_told.connect
def _queue(
    app: Flask, *, users: list[User], message: str, idea: Idea | None, link: str | None, kind: str
):
    """Queue the letters to those who want this kind of news at once; `_send_after_commit`
    hands them on (the others read it in their inbox or their digest)."""
    if "converge_mailer" not in app.extensions or not users:
        return
    now = [user for user in users if user.frequency(kind) == Frequency.IMMEDIATE]
    if not now:
        return
    letters = _letters(now, message, link, app.config["PORTAL_BASE_URL"])
    db.session.info.setdefault(OUTBOX, []).extend(letters)


def send_after_commit(to: str, subject: str, body: str) -> None:
    """Queue one letter to `to` that goes when the session commits (nothing without SMTP)."""
    if "converge_mailer" in current_app.extensions:
        db.session.info.setdefault(OUTBOX, []).append(Letter(to, subject, body))


def _send_after_commit(session) -> None:
    """The outermost transaction committed: the queued letters may go."""
    if session.in_nested_transaction():  # a savepoint was released, not the transaction
        return
    letters = session.info.pop(OUTBOX, None)
    if letters and has_app_context():
        current_app.extensions["converge_mailer"].dispatch(letters)


def _drop_unsent(session, transaction) -> None:
    """The outermost transaction ended without a commit (rollback, close): nothing is sent."""
    if transaction.parent is None:
        session.info.pop(OUTBOX, None)


class Postman:
    """Hands committed letters to whichever way of sending the app is configured for."""

    def __init__(self, app: Flask):
        self.app = app

    def dispatch(self, letters: list[Letter]) -> None:
        config = self.app.config
        if config["MAIL_SEND_INLINE"]:
            deliver(letters)
            return
        if config.get("REDIS_URL"):
            try:
                job_queue(self.app).enqueue(
                    "portal.worker.deliver_job", [asdict(letter) for letter in letters]
                )
                return
            except Exception:  # Redis down: the mail still goes, from this process
                log.exception("could not queue notification e-mail; sending it from a thread")
        threading.Thread(
            target=_deliver_in, args=(self.app, letters), name="notification-mail", daemon=True
        ).start()


def _deliver_in(app: Flask, letters: list[Letter]) -> None:
    with app.app_context():
        deliver(letters)


def deliver(letters: list[Letter]) -> None:
    """Send the letters over one SMTP connection; failures are logged, not raised."""
    config = current_app.config
    try:
        with mail.get_connection() as connection:
            connection.send_messages(
                [
                    EmailMessage(
                        letter.subject, letter.body, config["MAIL_DEFAULT_SENDER"], [letter.to]
                    )
                    for letter in letters
                ]
            )
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception("could not send notification e-mail")


def init_mail(app: Flask) -> None:
    """Configure Flask-Mailman from the MAIL_* settings when MAIL_SERVER is set."""
    app.config.setdefault("MAIL_SEND_INLINE", bool(app.config.get("TESTING")))
    app.config.setdefault("PORTAL_BASE_URL", "http://127.0.0.1:5000")
    if not sa.event.contains(db.session, "after_commit", _send_after_commit):
        sa.event.listen(db.session, "after_commit", _send_after_commit)
        sa.event.listen(db.session, "after_transaction_end", _drop_unsent)
    if not app.config.get("MAIL_SERVER"):
        return
    # Flask-Mailman's names for the settings Converge has always read.
    app.config.setdefault("MAIL_DEFAULT_SENDER", app.config.get("MAIL_SENDER"))
    app.config.setdefault("MAIL_BACKEND", "smtp")  # Flask-Mailman picks 'locmem' in tests
    app.config.setdefault("MAIL_TIMEOUT", 10)
    mail.init_app(app)
    app.extensions["converge_mailer"] = Postman(app)
