"""The mail stage: each department's PDF to its addresses and the board pack to the board, once.

One report set (``DIR/<workbook>/<report date>/``) is sent from its ``results.json``: every
address is checked again, each message goes to one recipient, and ``sent.json`` in the folder
records what went, so a second run sends only what has not gone yet. Built on the standard
library only (``email``, ``smtplib``): headers are made from ``Address`` objects under the SMTP
policy, which cannot produce a header with a line break in it.

The modules: ``addresses`` (checking addresses, text made safe for a header), ``compose`` (the
message), ``conversation`` (one SMTP conversation under a deadline, its replies read with a size
limit), ``delivery`` (SMTP, retries, the outbox of a dry run, ``sent.json``) and ``sending``
(which file to whom within the limits of ``[smtp]``, one report set or an output folder of
them); ``records`` holds what they pass to each other.
"""

from kpireport.mail.addresses import check_address, has_line_break, one_line, printable
from kpireport.mail.compose import MailTemplates, compose
from kpireport.mail.delivery import DRY_RUN_SENDER, SENT_LOG
from kpireport.mail.records import (
    RETRY_DELAYS,
    Delivery,
    Log,
    MailError,
    MailText,
    Outgoing,
    Refusal,
    SendOptions,
    SendReport,
)
from kpireport.mail.sending import (
    BOARD_PACK,
    NO_SMTP,
    OUTBOX,
    RESULTS,
    read_results,
    report_sets,
    send,
    send_report_set,
)

__all__ = [
    "BOARD_PACK",
    "DRY_RUN_SENDER",
    "NO_SMTP",
    "OUTBOX",
    "RESULTS",
    "RETRY_DELAYS",
    "SENT_LOG",
    "Delivery",
    "Log",
    "MailError",
    "MailTemplates",
    "MailText",
    "Outgoing",
    "Refusal",
    "SendOptions",
    "SendReport",
    "check_address",
    "compose",
    "has_line_break",
    "one_line",
    "printable",
    "read_results",
    "report_sets",
    "send",
    "send_report_set",
]
