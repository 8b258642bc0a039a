"""Delivery: the SMTP connection with its retries, the dry run's outbox, and ``sent.json``, the log
of what went."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
import smtplib
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpireport.config import ConfigError, SmtpConfig
from kpireport.errors import OutputError
from kpireport.mail.addresses import check_address, one_line, printable
from kpireport.mail.compose import compose
from kpireport.mail.conversation import Conversation, TooLong, TooSlow
from kpireport.mail.records import Delivery, Log, MailError, Ready, SendReport

SENT_LOG = "sent.json"
# The From of a dry run when no mail server is configured: the .eml files still open.
DRY_RUN_SENDER = "kpireport@localhost"


# --- the log of what went ------------------------------------------------------------------------


class SentLog:
    """``sent.json``: one entry per (file, recipient), rewritten atomically after each message."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / SENT_LOG
        self.entries: dict[tuple[str, str], dict[str, Any]] = {}
        if not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            for entry in data["messages"]:
                self.entries[(entry["file"], entry["recipient"].casefold())] = entry
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            # Without the log there is no telling what went: refuse rather than send twice.
            raise MailError(
                f"{self.path} cannot be read ({exc}), so what was sent is unknown. Fix it, or "
                "delete it to send every message again"
            ) from None

    def get(self, file: str, recipient: str) -> dict[str, Any] | None:
        return self.entries.get((file, recipient.casefold()))

    def add(
        self, file: str, recipient: str, sha256: str, message_id: str, unconfirmed: bool = False
    ) -> None:
        """Record a message that went; ``unconfirmed``: that may have gone (the server did not
        answer after it), which no later run sends again unless asked to."""
        from kpireport.fsutil import write_atomic

        entry: dict[str, Any] = {
            "file": file,
            "recipient": recipient,
            "sha256": sha256,
            "message_id": message_id,
            "sent_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        if unconfirmed:
            entry["unconfirmed"] = True
        self.entries[(file, recipient.casefold())] = entry
        data = {"messages": [self.entries[k] for k in sorted(self.entries)]}
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        for attempt in range(3):
            try:
                write_atomic(self.path, text)
                return
            except OutputError:
                # a build of the same report date removes stray temporary files: try again
                if attempt == 2:
                    raise


class _Temporary(Exception):
    """Worth another try: a 4xx reply, a dropped or refused connection."""


class _InDoubt(_Temporary):
    """The message went (its final dot) and the server's answer did not come: it may have it.
    Worth one more try, no more."""


class _Permanent(Exception):
    """Not worth another try for this message: a 5xx reply."""


class _Fatal(Exception):
    """No message can go: login refused, TLS failed, the server cannot be reached, or it missed
    its deadline or flooded a reply."""


class Server:
    """One SMTP connection, opened when the first message is due and again after a failure.
    Each message's exchange (with the opening of the connection, when one is opened for it)
    must finish within ``smtp.timeout`` seconds, the server's answer to its DATA included."""

    def __init__(self, smtp: SmtpConfig, context: ssl.SSLContext | None) -> None:
        self.smtp = smtp
        self.context = context or ssl.create_default_context()
        self.conn: Conversation | None = None

    def deliver(self, sender: str, recipient: str, payload: bytes) -> None:
        """Send one message; :class:`_Temporary`, :class:`_InDoubt`, :class:`_Permanent` or
        :class:`_Fatal` when it is not confirmed."""
        from kpireport.workbook.addresses import wire_address

        try:
            if self.conn is None:
                self.conn = self._connect()
            else:
                self.conn.restart()
            self.conn.sendmail(wire_address(sender), [wire_address(recipient)], payload)
        except OSError as exc:  # smtplib's errors and ssl's are OSErrors too
            unanswered = self.conn is not None and self.conn.unanswered
            raise self._failure(exc, unanswered) from None

    def _failure(self, exc: OSError, unanswered: bool) -> Exception:
        """What ``exc`` means for the message, and for the ones after it."""
        if isinstance(exc, TimeoutError):  # every socket timeout here is the deadline's
            exc = TooSlow(self.smtp.timeout)
        reply: tuple[int, bytes | str] | None = None  # a reply the connection survives
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            reply = next(iter(exc.recipients.values()), (550, b""))
        elif isinstance(exc, smtplib.SMTPResponseException):
            reply = (exc.smtp_code, exc.smtp_error)
        if (
            reply is None
            or not 200 <= reply[0] < 600  # not a reply at all
            or reply[0] == 421  # the server is closing the connection
            or isinstance(exc, smtplib.SMTPAuthenticationError)  # not logged in
        ):
            self.reset()
        if unanswered:
            return _InDoubt(f"the server did not answer after the message ({_why(exc)})")
        if isinstance(exc, smtplib.SMTPAuthenticationError) and not 400 <= exc.smtp_code < 500:
            return _Fatal(
                f"the server refused the login of {self.smtp.user}: "
                f"{_reply(exc.smtp_code, exc.smtp_error)}"
            )
        if isinstance(exc, TooSlow | TooLong | smtplib.SMTPNotSupportedError):
            return _Fatal(f"{self.smtp.describe()}: {exc}")
        if isinstance(exc, ssl.SSLError):
            return _Fatal(f"TLS with {self.smtp.describe()} failed: {exc}")
        if reply is not None and 200 <= reply[0] < 600:  # recipient, sender or data refused
            code, text = reply
            temporary = 400 <= code < 500
            return (_Temporary if temporary else _Permanent)(_reply(code, text))
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            return _Temporary(f"the server closed the connection ({exc or 'no reason given'})")
        return _Temporary(f"{self.smtp.describe()}: {_why(exc)}")  # refused, unreachable, ...

    def _connect(self) -> Conversation:
        smtp = self.smtp
        implicit = self.context if smtp.tls == "ssl" else None
        conn = Conversation(smtp.host, smtp.port, smtp.timeout, implicit)
        try:
            conn.ehlo()
            if smtp.tls == "starttls":
                conn.starttls(context=self.context)
                conn.ehlo()
            if smtp.user:
                conn.login(smtp.user, smtp.password or "")
        except BaseException:
            with contextlib.suppress(Exception):
                conn.close()
            raise
        return conn

    def reset(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.close()
        self.conn = None

    def close(self) -> None:
        """QUIT, within what is left of the last message's deadline."""
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.quit()
        self.reset()


def _why(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    return str(exc) or type(exc).__name__


def _reply(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {one_line(text)}".strip()


def sender_address(smtp: SmtpConfig | None) -> str:
    """The From address: [smtp] from, else the login name when it is an address."""
    if smtp is None:
        return DRY_RUN_SENDER
    value = smtp.sender or smtp.user
    if not value:
        raise ConfigError(
            "no From address: set KPIREPORT_SMTP_FROM or from in the [smtp] table of kpireport.toml"
        )
    address, reason = check_address(value)
    if address is None:
        raise ConfigError(
            f"the From address {printable(value)} {reason}: set KPIREPORT_SMTP_FROM or from "
            "in the [smtp] table of kpireport.toml"
        )
    return address


def check_server(smtp: SmtpConfig) -> None:
    """Refuse a login without a password, or with a password over an unencrypted connection."""
    if smtp.user and not smtp.password:
        raise ConfigError(
            f"SMTP user {smtp.user} has no password: set KPIREPORT_SMTP_PASSWORD "
            "(or password in the [smtp] table of kpireport.toml)"
        )
    if smtp.user and smtp.tls == "none":
        raise ConfigError(
            "kpireport does not send an SMTP password unencrypted: set KPIREPORT_SMTP_TLS "
            "(or tls in [smtp]) to starttls or ssl"
        )


def write_outbox(
    todo: list[Ready],
    sender: str,
    outbox: Path,
    report: SendReport,
    say: Log,
) -> None:
    """A dry run: each message written as ``<outbox>/<file>--<recipient>.eml``, nothing sent."""
    from kpireport.fsutil import write_atomic

    for ready in todo:
        message = ready.message
        msg = compose(ready.text, message, sender, ready.pdf)
        stem = message.file.rsplit(".", 1)[0]
        # addresses may hold / and other characters a file name must not
        safe = re.sub(r"[^A-Za-z0-9@._+-]", "_", message.recipient)
        path = write_atomic(Path(outbox) / f"{stem}--{safe}.eml", msg.as_bytes())
        delivery = Delivery(message.file, message.recipient, str(msg["Message-ID"]), eml=path)
        report.outbox.append(delivery)
        say(f"wrote       {path}")


def deliver_all(
    todo: list[Ready],
    sender: str,
    server: Server,
    sent_log: SentLog,
    delays: Sequence[float],
    report: SendReport,
    say: Log,
) -> None:
    """Send each message, retrying after a temporary failure, and record each one that went in
    ``sent.json`` at once; after a fatal failure the rest are failed without a try. A message
    the server may have (it went, the answer did not come) is tried once more at most, and if
    that is not confirmed either it is recorded as unconfirmed, so that no later run sends it a
    third time unasked."""
    fatal: str | None = None
    for ready in todo:
        message = ready.message
        if fatal is not None:
            failure = Delivery(message.file, message.recipient, error=f"not sent: {fatal}")
            report.failed.append(failure)
            say(f"failed      {failure}")
            continue
        msg = compose(ready.text, message, sender, ready.pdf)
        message_id = str(msg["Message-ID"])
        outcome = _attempts(server, sender, ready, msg.as_bytes(), delays, say)
        if outcome.fatal:
            fatal = outcome.error
        if outcome.error is not None:
            error = outcome.error
            if outcome.doubt:
                error += (
                    f"; it may have arrived, so it is not sent again ({SENT_LOG} has it as "
                    "unconfirmed; --resend sends it again)"
                )
            failure = Delivery(message.file, message.recipient, error=error)
            report.failed.append(failure)
            say(f"failed      {failure}")
            if not outcome.doubt:
                continue
        else:
            delivery = Delivery(message.file, message.recipient, message_id)
            report.sent.append(delivery)
            say(f"sent        {delivery}")
        try:
            sent_log.add(message.file, message.recipient, ready.digest, message_id, outcome.doubt)
        except OutputError as exc:
            # It went, but a next run would not know: stop rather than risk sending twice.
            fatal = f"{SENT_LOG} cannot be written ({exc})"
            what = f"{message.file} to {message.recipient}"
            say(f"failed      {SENT_LOG} does not record {what}: {exc}")


@dataclass
class _Outcome:
    """How the tries of one message ended."""

    error: str | None = None  # None: the server confirmed it
    doubt: bool = False  # not confirmed, and a try ended after it went: it may have arrived
    fatal: bool = False  # the rest are not tried in this run


def _attempts(
    server: Server, sender: str, ready: Ready, payload: bytes, delays: Sequence[float], say: Log
) -> _Outcome:
    """Send one message, trying again after a temporary failure: ``len(delays)`` more tries,
    but only one more once the server may have it."""
    message = ready.message
    doubt = False
    tries = len(delays) + 1
    attempt = 0
    while True:
        try:
            server.deliver(sender, message.recipient, payload)
            return _Outcome()  # confirmed, on the second try after a doubtful one too
        except _InDoubt as exc:
            if doubt:  # its one more try ended the same way: the server takes but never answers
                return _Outcome(str(exc), doubt=True, fatal=True)
            doubt = True
            tries = min(tries, attempt + 2)
            error = str(exc)
        except _Temporary as exc:
            error = str(exc)
        except _Permanent as exc:
            return _Outcome(str(exc), doubt)
        except _Fatal as exc:
            return _Outcome(str(exc), doubt, fatal=True)
        attempt += 1
        if attempt >= tries:
            # a server that stayed unreachable: the rest would only wait the same way
            return _Outcome(error, doubt, fatal=server.conn is None)
        wait = delays[attempt - 1]
        say(f"retrying    {message.file} to {message.recipient} in {wait:g} s: {error}")
        time.sleep(wait)
