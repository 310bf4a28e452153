"""E-mail for notifications, sent over SMTP only when MAIL_SERVER is configured."""

import smtplib
from email.message import EmailMessage

from flask import Flask, current_app, request


class SmtpMailer:
    def __init__(self, app: Flask):
        self.app = app

    def send(self, recipients: list[str], text: str, link: str | None) -> None:
        """Send one plain-text message per recipient; failures are logged, not raised."""
        cfg = self.app.config
        body = text
        if link:
            base = request.host_url.rstrip("/") if request else ""
            body += f"\n\n{base}{link}"
        try:
            with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=10) as smtp:
                if cfg["MAIL_USE_TLS"]:
                    smtp.starttls()
                if cfg["MAIL_USERNAME"]:
                    smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
                for address in recipients:
                    msg = EmailMessage()
                    msg["From"] = cfg["MAIL_SENDER"]
                    msg["To"] = address
                    msg["Subject"] = "Converge: " + (text if len(text) < 70 else text[:67] + "…")
                    msg.set_content(body)
                    smtp.send_message(msg)
        except (OSError, smtplib.SMTPException):
            current_app.logger.exception("could not send notification e-mail")


def init_mail(app: Flask) -> None:
    if app.config.get("MAIL_SERVER"):
        app.extensions["converge_mailer"] = SmtpMailer(app)
