"""Composing: the email for one file of a report set and one recipient, in the workbook's
language, the PDF attached."""

from __future__ import annotations

import datetime as dt
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from typing import Any

from kpireport import __version__
from kpireport.mail.addresses import one_line
from kpireport.mail.records import Outgoing


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
