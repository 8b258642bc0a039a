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
from pathlib import Path
from typing import Any

from kpireport.config import ConfigError, SmtpConfig
from kpireport.errors import OutputError
from kpireport.mail.addresses import check_address, one_line, printable
from kpireport.mail.compose import compose
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

    def add(self, file: str, recipient: str, sha256: str, message_id: str) -> None:
        from kpireport.fsutil import write_atomic

        self.entries[(file, recipient.casefold())] = {
            "file": file,
            "recipient": recipient,
            "sha256": sha256,
            "message_id": message_id,
            "sent_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
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
    """Worth another try: a 4xx reply, a dropped or refused connection, a timeout."""


class _Permanent(Exception):
    """Not worth another try for this message: a 5xx reply."""


class _Fatal(Exception):
    """No message can go: login refused, TLS failed, the server cannot be reached."""


class Server:
    """One SMTP connection, opened when the first message is due and again after a failure."""

    def __init__(self, smtp: SmtpConfig, context: ssl.SSLContext | None, timeout: float) -> None:
        self.smtp = smtp
        self.context = context or ssl.create_default_context()
        self.timeout = timeout
        self.conn: smtplib.SMTP | None = None

    def deliver(self, sender: str, recipient: str, payload: bytes) -> None:
        try:
            if self.conn is None:
                self.conn = self._connect()
            self.conn.sendmail(sender, [recipient], payload)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()), (550, b""))
            self._fail(code, reply)
        except smtplib.SMTPAuthenticationError as exc:
            self.reset()
            if 400 <= exc.smtp_code < 500:
                raise _Temporary(_reply(exc.smtp_code, exc.smtp_error)) from None
            raise _Fatal(
                f"the server refused the login of {self.smtp.user}: "
                f"{_reply(exc.smtp_code, exc.smtp_error)}"
            ) from None
        except smtplib.SMTPServerDisconnected as exc:
            self.reset()
            raise _Temporary(
                f"the server closed the connection ({exc or 'no reason given'})"
            ) from None
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, ...
            if exc.smtp_code == -1 or not 200 <= exc.smtp_code < 600:
                self.reset()
                raise _Temporary(str(exc)) from None
            self._fail(exc.smtp_code, exc.smtp_error)
        except smtplib.SMTPNotSupportedError as exc:
            self.reset()
            raise _Fatal(f"{self.smtp.describe()}: {exc}") from None
        except ssl.SSLError as exc:
            self.reset()
            raise _Fatal(f"TLS with {self.smtp.describe()} failed: {exc}") from None
        except (OSError, smtplib.SMTPException) as exc:  # refused, timed out, unreachable
            self.reset()
            raise _Temporary(f"{self.smtp.describe()}: {exc}") from None

    def _fail(self, code: int, reply: bytes | str) -> None:
        if code == 421:  # the server is closing the connection (smtplib has closed its end)
            self.reset()
        if 400 <= code < 500:
            raise _Temporary(_reply(code, reply))
        raise _Permanent(_reply(code, reply))

    def _connect(self) -> smtplib.SMTP:
        smtp = self.smtp
        conn: smtplib.SMTP
        if smtp.tls == "ssl":
            conn = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=self.timeout, context=self.context
            )
        else:
            conn = smtplib.SMTP(smtp.host, smtp.port, timeout=self.timeout)
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
        if self.conn is not None:
            with contextlib.suppress(Exception):
                self.conn.quit()
        self.reset()


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
    ``sent.json`` at once; after a fatal failure the rest are failed without a try."""
    fatal: str | None = None
    for ready in todo:
        message = ready.message
        if fatal is not None:
            failure = Delivery(message.file, message.recipient, error=f"not sent: {fatal}")
            report.failed.append(failure)
            say(f"failed      {failure}")
            continue
        msg = compose(ready.text, message, sender, ready.pdf)
        payload = msg.as_bytes()
        message_id = str(msg["Message-ID"])
        error: str | None = None
        for attempt in range(len(delays) + 1):
            try:
                server.deliver(sender, message.recipient, payload)
                error = None
                break
            except _Temporary as exc:
                error = str(exc)
                if attempt < len(delays):
                    wait = delays[attempt]
                    say(f"retrying    {message.file} to {message.recipient} in {wait:g} s: {error}")
                    time.sleep(delays[attempt])
                elif server.conn is None:
                    # the server stayed unreachable: the rest would only wait the same way
                    fatal = error
            except _Permanent as exc:
                error = str(exc)
                break
            except _Fatal as exc:
                error = fatal = str(exc)
                break
        if error is not None:
            failure = Delivery(message.file, message.recipient, error=error)
            report.failed.append(failure)
            say(f"failed      {failure}")
            continue
        delivery = Delivery(message.file, message.recipient, message_id)
        report.sent.append(delivery)
        say(f"sent        {delivery}")
        try:
            sent_log.add(message.file, message.recipient, ready.digest, message_id)
        except OutputError as exc:
            # It went, but a next run would not know: stop rather than risk sending twice.
            fatal = f"{SENT_LOG} cannot be written ({exc})"
            say(f"failed      {SENT_LOG} does not record {delivery}: {exc}")
