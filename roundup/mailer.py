"""Writing messages to .eml files and delivering them over SMTP, one failure never stopping the others."""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from roundup.errors import Problem, RoundupError
from roundup.fsutil import atomic_write
from roundup.model import MailConfig


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message for one contributor and the file it is kept in."""

    contributor_id: str
    message: EmailMessage
    path: Path


def write(outgoing: list[Outgoing]) -> None:
    for item in outgoing:
        item.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(item.path, item.message.as_bytes())


def send(config: MailConfig, outgoing: list[Outgoing]) -> list[str]:
    """Deliver every message; returns one line per contributor whose message could not be sent."""
    failures = [f"{o.contributor_id}: no `email` in contributors/{o.contributor_id}.yml, so nothing was sent"
                for o in outgoing if not o.message["To"]]
    ready = [o for o in outgoing if o.message["To"]]
    if not ready:
        return failures
    password = None
    if config.username:
        password = os.environ.get(config.password_env)
        if password is None:
            raise RoundupError([Problem("site.yml", None, f"mail: username is set but ${config.password_env} "
                                                          "is empty; export the SMTP password there")])
    done: set[str] = set()  # delivered or already reported
    try:
        with smtplib.SMTP(config.host, config.port, timeout=30) as smtp:
            if config.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.username:
                smtp.login(config.username, password or "")
            for item in ready:
                try:
                    smtp.send_message(item.message)
                except (smtplib.SMTPException, OSError) as exc:
                    failures.append(f"{item.contributor_id}: {_reason(exc)}")
                done.add(item.contributor_id)
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        failures += [f"{o.contributor_id}: {_reason(exc)} ({config.host}:{config.port})"
                     for o in ready if o.contributor_id not in done]
    return failures


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "the server refused the address: " + "; ".join(
            f"{addr} ({code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg})"
            for addr, (code, msg) in exc.recipients.items())
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"the server answered {exc.smtp_code} {text}"
    return str(exc) or type(exc).__name__
