"""Writing messages to .eml files and delivering them over SMTP, one failure never stopping the others."""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from roundup.errors import Problem
from roundup.fsutil import atomic_write
from roundup.model import MailConfig, Post


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message for one contributor and the file it is kept in."""

    contributor_id: str
    message: EmailMessage
    path: Path
    """Where the message is kept: <previews>/<contributor>/<name>.eml."""
    page: Path | None = None
    """The preview page written beside the message (attached to it), if any."""
    post: Post | None = None
    """The post it is about: once delivered, it is the latest message of their conversation about it."""
    note: str | None = None
    """The editor's private note it carries: once delivered, later messages leave it out until it changes."""


PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
"""The previews folder holds every contributor's approval codes: only its owner may read it, or list it."""


def private_folder(folder: Path) -> Path:
    """Make a contributor's `folder` inside the previews folder, and the previews folder itself, PRIVATE_FOLDER;
    either one found with wider permissions (made by an older roundup, or by hand) is tightened."""
    for each in (folder.parent, folder):
        each.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
        mode = each.stat().st_mode & 0o777
        if mode & ~PRIVATE_FOLDER:
            each.chmod(mode & PRIVATE_FOLDER)
    return folder


def write(outgoing: list[Outgoing]) -> None:
    """Write each message to its file, PRIVATE_FILE in a private folder."""
    for item in outgoing:
        private_folder(item.path.parent)
        atomic_write(item.path, item.message.as_bytes(), PRIVATE_FILE)


@dataclass(frozen=True, slots=True)
class Delivery:
    """What `--send` could not do: a line per contributor not reached, and the site.yml setting to fix."""

    failures: tuple[str, ...] = ()
    setting: Problem | None = None
    """A problem with the server itself, located at its `mail:` setting in site.yml."""


def send(config: MailConfig, outgoing: list[Outgoing]) -> Delivery:
    """Deliver every message; one failure never stops the others."""
    failures = [f"{o.contributor_id}: no `email` in contributors/{o.contributor_id}.yml, so nothing was sent; "
                "add `email:` there" for o in outgoing if not o.message["To"]]
    ready = [o for o in outgoing if o.message["To"]]
    if not ready:
        return Delivery(tuple(failures))
    password, setting = os.environ.get(config.password_env), None
    if config.username and not (config.tls or config.starttls or config.allow_plain_password):
        return Delivery((*failures, *(f"{o.contributor_id}: the password would travel unencrypted" for o in ready)),
                        _in_the_clear(config))
    if config.username and password is None:
        setting = Problem("site.yml", config.line("password_env", "username"), f"`mail: username` is set but "
                          f"${config.password_env} is empty; export the SMTP password there (`mail: password_env`)")
        return Delivery((*failures, *(f"{o.contributor_id}: no SMTP password" for o in ready)), setting)
    done: set[str] = set()  # delivered or already reported
    try:
        with _connect(config) as smtp:
            if config.username:
                smtp.login(config.username, password or "")
            for item in ready:
                try:
                    smtp.send_message(item.message)
                except (smtplib.SMTPException, OSError) as exc:
                    failures.append(f"{item.contributor_id}: {_reason(exc)}")
                    setting = setting or _refused(config, exc)
                done.add(item.contributor_id)
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        failures += [f"{o.contributor_id}: {_reason(exc)} ({config.host}:{config.port})"
                     for o in ready if o.contributor_id not in done]
        setting = setting or _refused(config, exc) or _unusable(config, exc)
    return Delivery(tuple(failures), setting)


def _connect(config: MailConfig) -> smtplib.SMTP:
    """A connection to the server: TLS from the first byte with `tls`, upgraded by STARTTLS with `starttls`;
    the certificate is checked against the system's authorities (SSL_CERT_FILE names another bundle)."""
    if config.tls:
        return smtplib.SMTP_SSL(config.host, config.port, timeout=30, context=ssl.create_default_context())
    smtp = smtplib.SMTP(config.host, config.port, timeout=30)
    if config.starttls:
        try:
            smtp.starttls(context=ssl.create_default_context())
        except BaseException:
            smtp.close()
            raise
    return smtp


def _in_the_clear(config: MailConfig) -> Problem:
    """Why nothing was sent: a login over a connection that is neither TLS nor STARTTLS."""
    return Problem("site.yml", config.line("username"), f"`mail: username` is set, but the connection to "
                   f"{config.host}:{config.port} is not encrypted, so the password would travel in the clear; "
                   "nothing was sent: set `mail: tls: true` (TLS from the first byte, port 465) or `mail: starttls: "
                   "true` (port 587) as your mail provider says, or `mail: allow_plain_password: true` to log in "
                   "unencrypted anyway (only for a server on this machine or a network you trust)")


def _refused(config: MailConfig, exc: BaseException) -> Problem | None:
    """The setting behind a refusal that is the server's rules, not one address: TLS or a login first."""
    where = f"{config.host}:{config.port}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return Problem("site.yml", config.line("username", "password_env"), f"the server at {where} refused the "
                       f"login of {config.username!r} ({_reason(exc)}): check `mail: username`, and the password "
                       f"in ${config.password_env} (`mail: password_env`)")
    if isinstance(exc, smtplib.SMTPNotSupportedError) and "STARTTLS" in str(exc):
        return Problem("site.yml", config.line("starttls"), f"the server at {where} does not offer STARTTLS: "
                       "set `mail: starttls` to false, or check that `mail: host` and `mail: port` name the right "
                       "server")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return Problem("site.yml", config.line("username"), f"the server at {where} offers no login: remove "
                       "`mail: username`, or set `mail: starttls` (or `mail: tls`) to true if it asks for TLS first")
    code = getattr(exc, "smtp_code", None)
    if code == 530 and "starttls" in _reason(exc).lower():
        return Problem("site.yml", config.line("starttls"), f"the server at {where} asks for STARTTLS first: "
                       "set `mail: starttls` to true")
    if code == 530:
        return Problem("site.yml", config.line("username"), f"the server at {where} asks for a login first: set "
                       "`mail: username`, and its password in the variable `mail: password_env` names")
    return None


def _unusable(config: MailConfig, exc: BaseException) -> Problem:
    """The setting to fix when the server could not be reached or spoken to at all."""
    where = f"{config.host}:{config.port}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return Problem("site.yml", config.line("tls", "starttls", "host"), f"the TLS handshake with {where} failed: "
                       f"its certificate is not trusted ({_reason(exc)}): check that `mail: host` is the name on the "
                       "server's certificate; if the server has its own certificate (self-signed, or from your "
                       "organisation's own authority), set the environment variable SSL_CERT_FILE to a CA bundle file "
                       "that includes it, as in `SSL_CERT_FILE=~/smtp-ca.pem roundup preview … --send`. `mail: tls` "
                       "(TLS from the first byte, port 465) and `mail: starttls` (port 587 or 25) stay as they are")
    if isinstance(exc, ssl.SSLError):
        return Problem("site.yml", config.line("tls", "starttls", "host"), f"the TLS handshake with {where} failed "
                       f"({_reason(exc)}): check that `mail: host` is the name on the server's certificate, and "
                       "`mail: tls` (TLS from the first byte, port 465) or `mail: starttls` (port 587 or 25)")
    if isinstance(exc, socket.gaierror):
        return Problem("site.yml", config.line("host"), f"no mail server named {config.host!r} can be found "
                       f"({exc.strerror or exc}): fix `mail: host`")
    return Problem("site.yml", config.line("port", "host"), f"no mail server answers at {where} "
                   f"({_reason(exc)}): set `mail: host` and `mail: port` to your mail server's")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "the server refused the address: " + "; ".join(
            f"{addr} ({code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg})"
            for addr, (code, msg) in exc.recipients.items())
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"the server answered {exc.smtp_code} {text}"
    return str(exc) or type(exc).__name__
