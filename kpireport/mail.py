"""The mail stage: each department's PDF to its addresses and the board pack to the board, once.

One report set (``DIR/<workbook>/<report date>/``) is sent from its ``results.json``: every
address is checked again, each message goes to one recipient, and ``sent.json`` in the folder
records what went, so a second run sends only what has not gone yet. Built on the standard
library only (``email``, ``smtplib``): headers are made from ``Address`` objects under the SMTP
policy, which cannot produce a header with a line break in it.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import hashlib
import html
import json
import quopri
import re
import smtplib
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.header import decode_header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from kpireport import __version__
from kpireport.config import ConfigError, SmtpConfig
from kpireport.errors import KpiReportError, OutputError, UsageError

SENT_LOG = "sent.json"
OUTBOX = "outbox"
RESULTS = "results.json"
BOARD_PACK = "board-pack.pdf"
# Waits between tries after a temporary failure (4xx, connection refused or dropped, timeout):
# four tries in all, about 3.5 s. Tests pass shorter ones.
RETRY_DELAYS = (0.5, 1.0, 2.0)
TIMEOUT = 30.0
# The From of a dry run when no mail server is configured: the .eml files still open.
DRY_RUN_SENDER = "kpireport@localhost"
_DATE_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")

NO_SMTP = (
    "no mail server is set. Set KPIREPORT_SMTP_HOST (and KPIREPORT_SMTP_PORT, KPIREPORT_SMTP_USER, "
    "KPIREPORT_SMTP_PASSWORD, KPIREPORT_SMTP_FROM, KPIREPORT_SMTP_TLS as needed), or an [smtp] "
    "table in kpireport.toml in the working folder (see docs/configuration.md); "
    "or use --dry-run to write the messages to files"
)

Log = Callable[[str], None]


class MailError(KpiReportError):
    """A report set cannot be sent: its results.json or sent.json is missing or unreadable."""


@dataclass(frozen=True)
class Delivery:
    """One message: a file of the report set to one recipient, and what became of it."""

    file: str  # e.g. "sales.pdf"
    recipient: str
    message_id: str | None = None
    error: str | None = None  # why it was not sent
    eml: Path | None = None  # the file a dry run wrote
    note: str | None = None  # e.g. when it was sent before

    def __str__(self) -> str:
        text = f"{self.file} to {self.recipient}"
        if self.error:
            text += f": {self.error}"
        if self.note:
            text += f" ({self.note})"
        return text


@dataclass(frozen=True)
class Refusal:
    """An address (or header value) that was not used, and the cell it was typed in."""

    file: str  # the message it was for
    value: str
    cell: str | None  # e.g. "Departments!C3"
    reason: str

    def __str__(self) -> str:
        where = self.cell or "results.json"
        return f"{where}: {printable(self.value)} {self.reason}; nothing is sent to it"


@dataclass
class SendReport:
    """What happened to one report set."""

    folder: Path
    sent: list[Delivery] = field(default_factory=list)
    skipped: list[Delivery] = field(default_factory=list)  # sent by an earlier run
    failed: list[Delivery] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    no_address: list[str] = field(default_factory=list)  # department names
    outbox: list[Delivery] = field(default_factory=list)  # written as .eml by a dry run
    error: str | None = None  # the set could not be sent at all (set by send())

    @property
    def ok(self) -> bool:
        """Nothing failed and no address was refused."""
        return self.error is None and not self.failed and not self.refused

    def summary(self) -> str:
        """One line: ``reports/acme/2026-09-30: 3 sent, 1 already sent, 1 not sent; ...``."""
        if self.error:
            return f"{self.folder}: {self.error}"
        parts = [
            f"{len(items)} {word}"
            for items, word in (
                (self.outbox, "written to the outbox"),
                (self.sent, "sent"),
                (self.skipped, "already sent"),
                (self.failed, "not sent"),
                (self.refused, "refused"),
            )
            if items
        ]
        if self.no_address:
            n = len(self.no_address)
            parts.append(f"{n} department{'' if n == 1 else 's'} without addresses")
        text = f"{self.folder}: {', '.join(parts) or 'nothing to send'}"
        if self.failed:
            text += "; run kpireport send again to send the rest"
        return text


# --- checking addresses --------------------------------------------------------------------------

# Control characters, NEL and the Unicode line and paragraph separators: anything that could end
# a header line in some reader.
_BREAK = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def has_line_break(text: str) -> bool:
    """A line break or NUL in ``text``, or in a form of it decoded once or twice: percent
    (``%0d%0a``), backslash (``\\r\\n``), HTML (``&#13;``), quoted-printable (``=0D=0A``) or
    an RFC 2047 encoded word (``=?utf-8?q?...?=``)."""
    seen = {text}
    frontier = [text]
    for _ in range(2):  # doubly encoded (%250d, an encoded word holding %0d) too
        frontier = [d for t in frontier for d in _decodings(t) if d not in seen]
        seen.update(frontier)
    return any(_BREAK.search(t) for t in seen)


def _decodings(text: str) -> list[str]:
    out = [unquote(text), html.unescape(text)]
    with contextlib.suppress(UnicodeError, ValueError):
        out.append(codecs.decode(text.encode("ascii", "backslashreplace"), "unicode_escape"))
    with contextlib.suppress(UnicodeError, ValueError):
        out.append(quopri.decodestring(text.encode("utf-8")).decode("utf-8", "replace"))
    with contextlib.suppress(UnicodeError, ValueError, LookupError):
        out.append(
            "".join(
                part.decode(charset or "ascii", "replace") if isinstance(part, bytes) else part
                for part, charset in decode_header(text)
            )
        )
    return out


def check_address(value: Any) -> tuple[str | None, str | None]:
    """``(address, None)`` for a usable email address, ``(None, reason)`` otherwise. The same
    rule as the workbook reader, and no line break in any encoding."""
    from kpireport.workbook import email_address

    if not isinstance(value, str):
        return None, "is not an email address"
    if has_line_break(value):
        return None, "has a line break in it (perhaps encoded): a header injection attempt"
    address = email_address(value)
    if address is None or address != value.strip():
        return None, "is not an email address"
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError, HeaderParseError):  # the email package disagrees: refuse
        return None, "is not an email address"
    return address, None


def printable(text: str) -> str:
    """``text`` quoted, its control characters escaped, so a log line stays one line."""
    return repr(text) if _BREAK.search(text) else f"'{text}'"


# --- the plan: which file to whom ----------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """A message to make: a file of the report set for one recipient."""

    file: str
    recipient: str
    department: dict[str, Any] | None  # None: the board pack


def _plan(
    data: dict[str, Any], only: tuple[str, ...], report: SendReport, log: Log
) -> list[Outgoing]:
    """Every (file, recipient) to send; refused addresses and address-less departments go into
    ``report``."""
    wanted = {name.casefold() for name in only}
    messages: list[Outgoing] = []
    for dept in data.get("departments", []):
        if wanted and str(dept.get("name", "")).casefold() not in wanted:
            continue
        file = f"{dept['slug']}.pdf"
        emails = dept.get("emails") or []
        if not emails:
            report.no_address.append(dept["name"])
            where = f" ({dept['email_cell']} is empty)" if dept.get("email_cell") else ""
            log(f"no address  {dept['name']}{where}")
            continue
        messages += _recipients(file, emails, dept.get("email_cell"), dept, report, log)
    if not wanted:
        board = data.get("board_recipients") or []
        if board:
            cell = data.get("board_recipients_cell")
            messages += _recipients(BOARD_PACK, board, cell, None, report, log)
        else:
            log("no address  the board pack (Settings has no board_recipients)")
    return messages


def _recipients(
    file: str,
    values: Any,
    cell: str | None,
    dept: dict[str, Any] | None,
    report: SendReport,
    log: Log,
) -> list[Outgoing]:
    out: list[Outgoing] = []
    seen: set[str] = set()
    for value in values if isinstance(values, list) else [values]:
        address, reason = check_address(value)
        if address is None:
            refusal = Refusal(file, str(value), cell, reason or "")
            report.refused.append(refusal)
            log(f"refused     {refusal}")
        elif address.casefold() not in seen:
            seen.add(address.casefold())
            out.append(Outgoing(file, address, dept))
    return out


# --- the messages --------------------------------------------------------------------------------


def one_line(text: Any) -> str:
    """Free text from the workbook (a company, a title, a department name) on one line: a line
    break typed in a cell (Alt+Enter) becomes a space, so it can never start a new header."""
    return " ".join(_BREAK.sub(" ", str(text)).split())


def compose(data: dict[str, Any], message: Outgoing, sender: str, pdf: bytes) -> EmailMessage:
    """The email for ``message``: subject and body in the workbook's language, the PDF attached.
    Addresses go in as ``Address`` objects, which refuse anything but one plain address."""
    from kpireport import fmt, labels

    lang = data.get("language") or "en"
    words = labels.mail(lang)
    date = fmt.date(dt.date.fromisoformat(data["report_date"]), lang)
    company = one_line(data.get("company", ""))
    dept = message.department
    if dept is not None:
        report_name = one_line(dept["name"])
        intro = words["intro_department"].format(department=report_name, company=company, date=date)
        summary = {
            "counts": dept["counts"],
            "score": dept.get("score"),
            "kpi_count": len(dept.get("kpis", [])),
        }
        attention = dept.get("attention", [])
    else:
        report_name = labels.text(lang)["board_pack"]
        intro = words["intro_board"].format(company=company, date=date)
        summary = data["summary"]
        attention = data["summary"].get("attention", [])
    lines = [
        words["greeting"],
        "",
        intro,
        "",
        words["status"].format(summary=fmt.status_summary(summary, lang)),
        "",
    ]
    if attention:
        lines.append(words["behind"])
        for entry in attention[:3]:
            status = labels.status(entry["status"], lang)
            if entry.get("stale") and entry["status"] in ("achieved", "on_track"):
                status += f", {words['stale']}"
            owner = f" ({one_line(entry['department'])})" if dept is None else ""
            lines.append(f"- {one_line(entry['id'])} {one_line(entry['name'])}{owner}: {status}")
    else:
        lines.append(words["nothing_behind"])
    lines += ["", "-- ", words["footer"].format(workbook=one_line(data.get("workbook", "")))]

    msg = EmailMessage(policy=SMTP)
    sender_address = Address(addr_spec=sender)
    msg["From"] = sender_address
    msg["To"] = Address(addr_spec=message.recipient)
    msg["Subject"] = words["subject"].format(
        title=one_line(data.get("title", "")), report=report_name, company=company, date=date
    )
    msg["Date"] = formatdate(localtime=True)
    # the sender's domain, not this machine's name: getfqdn() can stall on a badly set up host
    msg["Message-ID"] = make_msgid("kpireport", domain=sender_address.domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to it
    msg["X-Mailer"] = f"kpireport {__version__}"
    msg.set_content("\n".join(lines) + "\n", cte="quoted-printable")
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=message.file)
    # after the attachment: set_content and add_attachment move or drop Content-* headers
    msg["Content-Language"] = lang
    return msg


# --- the log of what went ------------------------------------------------------------------------


class _SentLog:
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


# --- the server ----------------------------------------------------------------------------------


class _Temporary(Exception):
    """Worth another try: a 4xx reply, a dropped or refused connection, a timeout."""


class _Permanent(Exception):
    """Not worth another try for this message: a 5xx reply."""


class _Fatal(Exception):
    """No message can go: login refused, TLS failed, the server cannot be reached."""


class _Server:
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


def _sender(smtp: SmtpConfig | None) -> str:
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


def _check_server(smtp: SmtpConfig) -> None:
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


# --- sending -------------------------------------------------------------------------------------


def read_results(folder: Path) -> dict[str, Any]:
    """The ``results.json`` of a report set."""
    path = Path(folder) / RESULTS
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MailError(
            f"{folder} has no {RESULTS}: build it with kpireport build (the json format)"
        ) from None
    except (OSError, ValueError) as exc:
        raise MailError(f"{path} cannot be read: {exc}") from None
    if not isinstance(data, dict) or "departments" not in data or "report_date" not in data:
        raise MailError(f"{path} is not a kpireport results.json")
    return data


def send_report_set(
    folder: Path,
    smtp: SmtpConfig | None,
    *,
    dry_run: bool = False,
    outbox: Path | None = None,
    resend: bool = False,
    only: tuple[str, ...] = (),
    log: Log | None = None,
    ssl_context: ssl.SSLContext | None = None,
    retry_delays: Sequence[float] = RETRY_DELAYS,
    timeout: float = TIMEOUT,
) -> SendReport:
    """Send one report set: each department's PDF to its addresses, the board pack to the board.

    A message recorded in ``sent.json`` is not sent again unless ``resend``. ``dry_run`` writes
    each message as ``<outbox>/<file>--<recipient>.eml`` (default outbox: ``folder/outbox``)
    instead, and leaves ``sent.json`` alone. ``only``: these departments (no board pack).
    ``ssl_context``: how to check the server's certificate (default: the system's CAs; tests
    pass one that trusts their own certificate). ``log`` hears a line per message.
    """
    folder = Path(folder)
    say: Log = log or (lambda _line: None)
    if smtp is None and not dry_run:
        raise UsageError(NO_SMTP)
    data = read_results(folder)
    _check_only(data, only)
    sender = _sender(smtp)
    if smtp is not None and not dry_run:
        _check_server(smtp)
    report = SendReport(folder)
    from kpireport.fsutil import locked

    # One sender per report set at a time: a cron run and a watcher must not both send.
    with locked(folder):
        sent_log = _SentLog(folder)
        messages = _plan(data, only, report, say)
        todo: list[tuple[Outgoing, bytes, str]] = []
        for message in messages:
            path = folder / message.file
            try:
                # a slug like "../x" in a tampered results.json must not attach another file
                if path.parent != folder or message.file.startswith("."):
                    raise FileNotFoundError(path)
                pdf = path.read_bytes()
            except OSError:
                failure = Delivery(
                    message.file,
                    message.recipient,
                    error=f"{message.file} is not in the report set (build it with the pdf format)",
                )
                report.failed.append(failure)
                say(f"failed      {failure}")
                continue
            digest = hashlib.sha256(pdf).hexdigest()
            before = sent_log.get(message.file, message.recipient)
            if before is not None and not resend:
                changed = "; the PDF has changed since, --resend sends it again"
                note = f"sent {before.get('sent_at')}" + (
                    changed if before.get("sha256") != digest else ""
                )
                skipped = Delivery(
                    message.file, message.recipient, before.get("message_id"), note=note
                )
                report.skipped.append(skipped)
                say(f"skipped     {skipped}")
                continue
            todo.append((message, pdf, digest))
        if dry_run:
            _write_outbox(data, todo, sender, outbox or folder / OUTBOX, report, say)
        elif todo:
            assert smtp is not None
            server = _Server(smtp, ssl_context, timeout)
            try:
                _deliver_all(data, todo, sender, server, sent_log, retry_delays, report, say)
            finally:
                server.close()
    return report


def _check_only(data: dict[str, Any], only: tuple[str, ...]) -> None:
    names = [str(d.get("name", "")) for d in data.get("departments", [])]
    unknown = [n for n in only if n.casefold() not in {m.casefold() for m in names}]
    if unknown:
        raise UsageError(
            f"{data.get('workbook', 'the workbook')} has no department {', '.join(unknown)}; "
            f"it has: {', '.join(names)}"
        )


def _write_outbox(
    data: dict[str, Any],
    todo: list[tuple[Outgoing, bytes, str]],
    sender: str,
    outbox: Path,
    report: SendReport,
    say: Log,
) -> None:
    from kpireport.fsutil import write_atomic

    for message, pdf, _digest in todo:
        msg = compose(data, message, sender, pdf)
        stem = message.file.rsplit(".", 1)[0]
        # addresses may hold / and other characters a file name must not
        safe = re.sub(r"[^A-Za-z0-9@._+-]", "_", message.recipient)
        path = write_atomic(Path(outbox) / f"{stem}--{safe}.eml", msg.as_bytes())
        delivery = Delivery(message.file, message.recipient, str(msg["Message-ID"]), eml=path)
        report.outbox.append(delivery)
        say(f"wrote       {path}")


def _deliver_all(
    data: dict[str, Any],
    todo: list[tuple[Outgoing, bytes, str]],
    sender: str,
    server: _Server,
    sent_log: _SentLog,
    delays: Sequence[float],
    report: SendReport,
    say: Log,
) -> None:
    fatal: str | None = None
    for message, pdf, digest in todo:
        if fatal is not None:
            failure = Delivery(message.file, message.recipient, error=f"not sent: {fatal}")
            report.failed.append(failure)
            say(f"failed      {failure}")
            continue
        msg = compose(data, message, sender, pdf)
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
            sent_log.add(message.file, message.recipient, digest, message_id)
        except OutputError as exc:
            # It went, but a next run would not know: stop rather than risk sending twice.
            fatal = f"{SENT_LOG} cannot be written ({exc})"
            say(f"failed      {SENT_LOG} does not record {delivery}: {exc}")


def report_sets(out_dir: Path) -> list[Path]:
    """The report sets to send in ``out_dir``: each workbook's latest (by its date folder's
    name). ``out_dir`` may also be one workbook's folder, or one report set."""
    out_dir = Path(out_dir)
    if (out_dir / RESULTS).is_file():
        return [out_dir]
    if _dated(out_dir):
        return [max(_dated(out_dir), key=lambda p: p.name)]
    sets = []
    for workbook in sorted(p for p in out_dir.iterdir() if p.is_dir() and not _hidden(p)):
        dated = _dated(workbook)
        if dated:
            sets.append(max(dated, key=lambda p: p.name))
    return sets


def _dated(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.is_dir() and _DATE_FOLDER.match(p.name)]


def _hidden(path: Path) -> bool:
    return path.name.startswith(".")


def send(
    out_dir: Path,
    smtp: SmtpConfig | None,
    *,
    dry_run: bool = False,
    outbox: Path | None = None,
    resend: bool = False,
    only: tuple[str, ...] = (),
    log: Log | None = None,
    ssl_context: ssl.SSLContext | None = None,
    retry_delays: Sequence[float] = RETRY_DELAYS,
    timeout: float = TIMEOUT,
) -> list[SendReport]:
    """Send each workbook's latest report set in ``out_dir`` (see :func:`send_report_set`).
    A set that cannot be read does not stop the others: its report has ``error`` set. With
    ``outbox`` and several sets, each set's messages go into ``outbox/<workbook>/``."""
    if smtp is None and not dry_run:
        raise UsageError(NO_SMTP)
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise UsageError(f"{out_dir} is not a folder")
    sets = report_sets(out_dir)
    if not sets:
        raise UsageError(
            f"no report sets in {out_dir}: build them first (kpireport build WORKBOOK -o {out_dir})"
        )
    names: dict[Path, set[str]] = {}
    for folder in sets:
        with contextlib.suppress(MailError):
            data = read_results(folder)
            names[folder] = {str(d.get("name", "")).casefold() for d in data["departments"]}
    if only:
        every = set().union(*names.values()) if names else set()
        unknown = [n for n in only if n.casefold() not in every]
        if unknown:
            raise UsageError(f"no report set in {out_dir} has a department {', '.join(unknown)}")
    reports = []
    for folder in sets:
        mine = tuple(n for n in only if n.casefold() in names.get(folder, set()))
        if only and not mine:
            continue  # none of the departments asked for is in this workbook
        box = outbox / folder.parent.name if outbox is not None and len(sets) > 1 else outbox
        try:
            reports.append(
                send_report_set(
                    folder,
                    smtp,
                    dry_run=dry_run,
                    outbox=box,
                    resend=resend,
                    only=mine,
                    log=log,
                    ssl_context=ssl_context,
                    retry_delays=retry_delays,
                    timeout=timeout,
                )
            )
        except MailError as exc:
            if log is not None:
                log(f"failed      {exc}")
            reports.append(SendReport(folder, error=str(exc)))
    return reports


__all__ = [
    "Delivery",
    "MailError",
    "Outgoing",
    "Refusal",
    "SendReport",
    "check_address",
    "compose",
    "has_line_break",
    "report_sets",
    "send",
    "send_report_set",
]
