"""Composing: the email for one file of a report set and one recipient. The subject and body come
from the templates in ``templates/mail/`` (a user's folder is searched first), in the workbook's
language; the PDF is attached."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import jinja2

from kpireport import __version__
from kpireport.engine import Results
from kpireport.errors import TemplateError
from kpireport.i18n import get_locale
from kpireport.mail.addresses import one_line, visible
from kpireport.mail.records import MailText, Outgoing


@dataclass(frozen=True)
class Worse:
    """A KPI whose status worsened since the previous report, as the body lists it."""

    id: str
    name: str
    before: str  # the statuses in the mail's language
    after: str
    department: str | None  # its department, in the board pack's message; None in a department's


@dataclass(frozen=True)
class Behind:
    """A KPI that needs attention, as the body lists it."""

    id: str
    name: str
    status: str  # the status in the mail's language
    stale: bool  # no recent data (docs/metrics.md, "Stale")
    department: str | None  # its department, in the board pack's message; None in a department's


class MailTemplates:
    """``subject.txt`` and ``body.txt``: from ``user_dir`` when it has them, else the defaults."""

    def __init__(self, user_dir: Path | None = None) -> None:
        from kpireport.render import MAIL_TEMPLATE_NAMES, environment

        env = environment(user_dir, "mail")
        self.subject, self.body = (_load(env, name) for name in MAIL_TEMPLATE_NAMES)

    def write(self, results: Results, message: Outgoing) -> MailText:
        """The words of ``message``, in the language of ``results``."""
        context = _context(results, message)
        subject = _render(self.subject, context)
        # whatever a template makes of it, the subject is one line
        body = _render(self.body, context)
        return MailText(one_line(subject), body, context["lang"], attachment_name(results, message))


# In an attachment's name: letters and digits of any script, and these; any other run of
# characters (a path separator, a control or bidi character, a quote) becomes one hyphen.
_NAME_PUNCTUATION = frozenset(" .,&()+-_'")
_NAME_PART_LENGTH = 60


def attachment_name(results: Results, message: Outgoing) -> str:
    """``Fjordsol ApS - Salg - 2026-10-31.pdf``: the company, the report (a department, or the
    board pack in the results' language) and the report date, so that the PDF saved from a mail
    says what it is. Safe as a file name on any system whatever the cells hold."""
    dept = message.department
    report = dept.name if dept is not None else get_locale(results.language).gettext("Board pack")
    parts = (_name_part(results.company), _name_part(report), results.report_date.isoformat())
    return " - ".join(part for part in parts if part) + ".pdf"


def _name_part(text: str) -> str:
    """``text`` with only letters, digits and _NAME_PUNCTUATION, trimmed, at most
    _NAME_PART_LENGTH characters; empty when nothing is left."""
    kept = []
    for char in unicodedata.normalize("NFC", text):
        if char.isalnum() or char in _NAME_PUNCTUATION:
            kept.append(char)
        elif kept and kept[-1] != "-":
            kept.append("-")
    # no leading dot (a hidden file), no trailing dot or space (Windows drops them)
    part = re.sub(r"\s+", " ", "".join(kept))
    part = re.sub(r"[\s.]*-[\s.-]*", "-", part).strip(" .-")  # "passwd-..-x": "passwd-x"
    return part[:_NAME_PART_LENGTH].strip(" .-")


def _load(env: jinja2.Environment, name: str) -> jinja2.Template:
    try:
        return env.get_template(name)
    except jinja2.TemplateError as exc:
        raise _template_error(exc, name) from None


def _render(template: jinja2.Template, context: dict[str, Any]) -> str:
    try:
        return template.render(context)
    except jinja2.TemplateError as exc:
        raise _template_error(exc, str(template.name)) from None


def _template_error(exc: jinja2.TemplateError, template: str) -> TemplateError:
    from kpireport.render import describe_template_error

    return TemplateError(describe_template_error(exc, template, "mail"))


def _context(results: Results, message: Outgoing) -> dict[str, Any]:
    """What the mail templates can use. Text from the workbook has its control and bidi
    characters shown as escapes (``\\x1b``, ``\\n``, ``\\u202e``): whatever a cell holds, it cannot
    break a header, drive a terminal or reorder the subject around it."""
    from kpireport import fmt, labels
    from kpireport.headlines import headlines

    locale = get_locale(results.language)
    dept = message.department
    tally: fmt.Tally
    if dept is not None:
        report = visible(dept.name)
        tally, attention, changes, kpis = dept, dept.attention, dept.changes, dept.kpis
    else:
        report = locale.gettext("Board pack")
        tally, attention = results.summary, results.summary.attention
        changes, kpis = results.summary.changes, [k for d in results.departments for k in d.kpis]
    said = headlines(kpis, changes, attention, results.compared_with, locale)
    worse = [
        Worse(
            id=visible(c.id),
            name=visible(c.name),
            before=labels.status(c.before, locale) if c.before else "",
            after=labels.status(c.after, locale) if c.after else "",
            department=visible(c.department) if dept is None else None,
        )
        for c in changes
        if c.move == "worsened"
    ]
    behind = [
        Behind(
            id=visible(entry.id),
            name=visible(entry.name),
            status=labels.status(entry.status, locale),
            # whatever its status (a stale KPI is at best at risk): the reason to say
            stale=entry.stale,
            department=visible(entry.department) if dept is None else None,
        )
        for entry in attention
    ]
    return {
        "locale": locale,
        "lang": locale.code,
        "title": visible(results.title),
        "company": visible(results.company),
        "workbook": visible(results.workbook),
        "date": fmt.date(results.report_date, locale),
        "report": report,
        "department": report if dept is not None else None,
        "status": fmt.status_summary(tally, locale),
        "behind": behind,
        # the headline sentences (issue 15), workbook text in them shown as in the rest
        "headlines": [visible(line) for line in said],
        "since": fmt.date(results.compared_with.report_date, locale)
        if results.compared_with
        else None,
        "worsened": worse,
    }


def compose(text: MailText, message: Outgoing, sender: str, pdf: bytes) -> EmailMessage:
    """The email for ``message`` with the words ``text``, the PDF attached. Addresses go in as
    ``Address`` objects, which refuse anything but one plain address; an internationalized
    domain in punycode, as in the envelope."""
    from kpireport.workbook.addresses import wire_address

    msg = EmailMessage(policy=SMTP)
    sender_address = Address(addr_spec=wire_address(sender))
    msg["From"] = sender_address
    msg["To"] = Address(addr_spec=wire_address(message.recipient))
    msg["Subject"] = text.subject
    msg["Date"] = formatdate(localtime=True)
    # the sender's domain, not this machine's name: getfqdn() can stall on a badly set up host
    msg["Message-ID"] = make_msgid("kpireport", domain=sender_address.domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to it
    msg["X-Mailer"] = f"kpireport {__version__}"
    msg.set_content(text.body, cte="quoted-printable")
    # Non-ASCII letters go as RFC 2231 (filename*=utf-8''...), which mail programs read.
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=text.attachment)
    # after the attachment: set_content and add_attachment move or drop Content-* headers
    msg["Content-Language"] = text.lang
    return msg
