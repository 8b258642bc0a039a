"""Sending a report set: which file goes to whom, what was sent before, and each workbook's
latest report set in an output folder."""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from kpireport.config import MAX_RECIPIENTS, SmtpConfig
from kpireport.engine import DepartmentResult, Results, load_results
from kpireport.errors import ResultsFileError, UsageError
from kpireport.mail.addresses import check_address, visible
from kpireport.mail.compose import MailTemplates
from kpireport.mail.delivery import (
    SentLog,
    Server,
    check_server,
    deliver_all,
    sender_address,
    write_outbox,
)
from kpireport.mail.records import (
    Delivery,
    Log,
    MailError,
    Outgoing,
    Ready,
    Refusal,
    SendOptions,
    SendReport,
)
from kpireport.workbook.addresses import wire_address

OUTBOX = "outbox"
RESULTS = "results.json"
BOARD_PACK = "board-pack.pdf"
_DATE_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")

NO_SMTP = (
    "no mail server is set. Set KPIREPORT_SMTP_HOST (and KPIREPORT_SMTP_PORT, KPIREPORT_SMTP_USER, "
    "KPIREPORT_SMTP_PASSWORD, KPIREPORT_SMTP_FROM, KPIREPORT_SMTP_TLS as needed), or an [smtp] "
    "table in kpireport.toml in the working folder (see docs/configuration.md); "
    "or use --dry-run to write the messages to files"
)


def read_results(folder: Path) -> Results:
    """The ``results.json`` of a report set, read by the typed loader every stage uses."""
    try:
        return load_results(folder)
    except ResultsFileError as exc:
        raise MailError(str(exc)) from None


def send_report_set(
    folder: Path,
    smtp: SmtpConfig | None,
    options: SendOptions | None = None,
    *,
    log: Log | None = None,
) -> SendReport:
    """Send one report set: each department's PDF to its addresses, the board pack to the board.

    A message recorded in ``sent.json`` is not sent again unless ``options.resend``. A dry run
    writes each message as ``<outbox>/<file>--<recipient>.eml`` (default outbox:
    ``folder/outbox``) instead, and leaves ``sent.json`` alone. ``log`` hears a line per message,
    with any control or bidi character from the workbook or the server shown as an escape.

    Every address is checked before the first message goes: each must be one, at a domain of
    ``smtp.allowed_domains`` when that is set, and a cell with more than ``smtp.max_recipients``
    addresses is refused as a whole (a dry run without a server: the default limit).
    """
    folder = Path(folder)
    options = options or SendOptions()
    say = _visible(log)
    if smtp is None and not options.dry_run:
        raise UsageError(NO_SMTP)
    results = read_results(folder)
    _check_only(results, options.only)
    sender = sender_address(smtp)
    if smtp is not None and not options.dry_run:
        check_server(smtp)
    templates = MailTemplates(options.templates)
    report = SendReport(folder)
    from kpireport.fsutil import locked

    # One sender per report set at a time: a cron run and a watcher must not both send.
    with locked(folder):
        sent_log = SentLog(folder)
        messages = _plan(results, options.only, smtp, report, say)
        todo: list[Ready] = []
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
            if before is not None and not options.resend:
                note = _sent_before(before, digest)
                skipped = Delivery(
                    message.file, message.recipient, before.get("message_id"), note=note
                )
                report.skipped.append(skipped)
                say(f"skipped     {skipped}")
                continue
            # every message written before the first goes: a template that fails, fails first
            todo.append(Ready(message, pdf, digest, templates.write(results, message)))
        if options.dry_run:
            write_outbox(todo, sender, options.outbox or folder / OUTBOX, report, say)
        elif todo:
            assert smtp is not None
            server = Server(smtp, options.ssl_context)
            try:
                deliver_all(todo, sender, server, sent_log, options.retry_delays, report, say)
            finally:
                server.close()
    return report


def _visible(log: Log | None) -> Log:
    """``log`` with every line made :func:`visible`: kpireport's own words never hold a control
    character, so whatever is escaped came from a cell or the server."""
    return (lambda line: log(visible(line))) if log is not None else (lambda _line: None)


def _sent_before(before: Mapping[str, object], digest: str) -> str:
    """The note on a message ``sent.json`` has."""
    if before.get("unconfirmed"):
        note = f"may have arrived {before.get('sent_at')}: the server did not confirm it"
    else:
        note = f"sent {before.get('sent_at')}"
    if before.get("sha256") != digest:
        note += "; the PDF has changed since"
    if before.get("unconfirmed") or before.get("sha256") != digest:
        note += ", --resend sends it again"
    return note


def _check_only(results: Results, only: tuple[str, ...]) -> None:
    names = [d.name for d in results.departments]
    unknown = [n for n in only if n.casefold() not in {m.casefold() for m in names}]
    if unknown:
        # printed on a terminal: the names from the workbook, and the file's, with escapes
        raise UsageError(
            visible(
                f"{results.workbook} has no department {', '.join(unknown)}; "
                f"it has: {', '.join(names)}"
            )
        )


def _plan(
    results: Results,
    only: tuple[str, ...],
    smtp: SmtpConfig | None,
    report: SendReport,
    log: Log,
) -> list[Outgoing]:
    """Every (file, recipient) to send; refused addresses and address-less departments go into
    ``report``."""
    limits = _Limits(smtp.max_recipients, smtp.allowed_domains) if smtp else _Limits()
    wanted = {name.casefold() for name in only}
    messages: list[Outgoing] = []
    for dept in results.departments:
        if wanted and dept.name.casefold() not in wanted:
            continue
        file = f"{dept.slug}.pdf"
        if not dept.emails:
            report.no_address.append(dept.name)
            where = f" ({dept.email_cell} is empty)" if dept.email_cell else ""
            log(f"no address  {dept.name}{where}")
            continue
        messages += limits.recipients(file, dept.emails, dept.email_cell, dept, report, log)
    if not wanted:
        board = results.board_recipients
        if board:
            cell = results.board_recipients_cell
            messages += limits.recipients(BOARD_PACK, board, cell, None, report, log)
        else:
            log("no address  the board pack (Settings has no board_recipients)")
    return messages


@dataclass(frozen=True)
class _Limits:
    """Who one report may go to: at most ``most`` addresses, at ``domains`` when there are any
    (``[smtp] max_recipients`` and ``allowed_domains``)."""

    most: int = MAX_RECIPIENTS
    domains: tuple[str, ...] = ()

    def recipients(
        self,
        file: str,
        values: list[str],
        cell: str | None,
        dept: DepartmentResult | None,
        report: SendReport,
        log: Log,
    ) -> list[Outgoing]:
        """The messages of ``file`` to the addresses of ``cell``; the rest refused, in
        ``report`` and ``log``."""
        many = len({str(value).strip().casefold() for value in values})
        if many > self.most:
            # a cell that makes kpireport a mass mailer: none of it, and one line, not one each
            too_many = f"for {file}, more than max_recipients ({self.most}) in [smtp] allows"
            self._refuse(Refusal(file, "", cell, too_many, many=many), report, log)
            return []
        outside = (
            f"is not at an allowed domain ({', '.join(self.domains)}: allowed_domains in [smtp])"
        )
        out: list[Outgoing] = []
        seen: set[str] = set()
        for value in values:
            address, reason = check_address(value)
            if address is None or not self._allowed(address):
                self._refuse(Refusal(file, str(value), cell, reason or outside), report, log)
            elif address.casefold() not in seen:
                seen.add(address.casefold())
                out.append(Outgoing(file, address, dept))
        return out

    def _allowed(self, address: str) -> bool:
        """At one of the domains, or below one (``sales.example.com`` for ``example.com``)."""
        if not self.domains:
            return True
        domain = wire_address(address).rpartition("@")[2].lower()
        return any(domain == d or domain.endswith(f".{d}") for d in self.domains)

    @staticmethod
    def _refuse(refusal: Refusal, report: SendReport, log: Log) -> None:
        report.refused.append(refusal)
        log(f"refused     {refusal}")


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
    options: SendOptions | None = None,
    *,
    log: Log | None = None,
) -> list[SendReport]:
    """Send each workbook's latest report set in ``out_dir`` (see :func:`send_report_set`).
    A set that cannot be read does not stop the others: its report has ``error`` set. With an
    outbox and several sets, each set's messages go into ``outbox/<workbook>/``."""
    options = options or SendOptions()
    only, outbox = options.only, options.outbox
    if smtp is None and not options.dry_run:
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
            names[folder] = {d.name.casefold() for d in read_results(folder).departments}
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
                send_report_set(folder, smtp, replace(options, outbox=box, only=mine), log=log)
            )
        except MailError as exc:
            _visible(log)(f"failed      {exc}")
            reports.append(SendReport(folder, error=str(exc)))
    return reports
