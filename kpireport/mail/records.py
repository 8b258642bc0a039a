"""The records of the mail stage: a message to make, and what became of each one."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kpireport.engine import DepartmentResult
from kpireport.errors import KpiReportError
from kpireport.mail.addresses import printable

Log = Callable[[str], None]

# Waits between tries after a temporary failure (4xx, connection refused or dropped): four tries
# in all, about 3.5 s. Tests pass shorter ones. A message the server may have received (its DATA
# went, the answer did not come) is tried once more at most.
RETRY_DELAYS = (0.5, 1.0, 2.0)


class MailError(KpiReportError):
    """A report set cannot be sent: its results.json or sent.json is missing or unreadable."""


@dataclass(frozen=True)
class SendOptions:
    """How report sets are sent: the same for every set of one run."""

    dry_run: bool = False  # write each message as an .eml file instead of sending it
    outbox: Path | None = None  # the dry run's folder (default: outbox/ in the report set)
    resend: bool = False  # send again what sent.json says was sent
    only: tuple[str, ...] = ()  # these departments only, and no board pack
    templates: Path | None = None  # a folder of mail templates searched before the defaults
    # how to check the server's certificate (default: the system's CAs; tests pass one that
    # trusts their own certificate)
    ssl_context: ssl.SSLContext | None = None
    retry_delays: tuple[float, ...] = RETRY_DELAYS


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
    """An address (or header value) that was not used, and the cell it was typed in; or a whole
    cell of ``many`` addresses, more than one report may go to."""

    file: str  # the message it was for
    value: str
    cell: str | None  # e.g. "Departments!C3"
    reason: str
    many: int = 0  # the number of addresses refused together

    def __str__(self) -> str:
        where = self.cell or "results.json"
        if self.many:
            return f"{where}: {self.many} addresses {self.reason}; nothing is sent to any of them"
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


@dataclass(frozen=True)
class Outgoing:
    """A message to make: a file of the report set for one recipient."""

    file: str
    recipient: str
    department: DepartmentResult | None  # None: the board pack


@dataclass(frozen=True)
class MailText:
    """A message's words, from the mail templates: its subject, its body and their language;
    and the attachment's file name."""

    subject: str
    body: str
    lang: str
    attachment: str  # "Fjordsol ApS - Salg - 2026-10-31.pdf" (compose.attachment_name)


@dataclass(frozen=True)
class Ready:
    """A message about to go: its PDF read, its words written."""

    message: Outgoing
    pdf: bytes
    digest: str  # the PDF's SHA-256, for sent.json
    text: MailText
