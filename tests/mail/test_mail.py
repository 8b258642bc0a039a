"""kpireport send against a real SMTP server (aiosmtpd on 127.0.0.1): plain, STARTTLS with a
certificate made here, implicit TLS, login; the messages parsed back; sent.json across a server
that fails midway; header injection refused by the checks and impossible by construction."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import shutil
import threading
from collections.abc import Callable
from dataclasses import replace
from email.errors import HeaderParseError
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kpireport.cli import main
from kpireport.config import ConfigError, SmtpConfig
from kpireport.engine import from_dict
from kpireport.errors import TemplateError, UsageError
from kpireport.mail import (
    MailError,
    MailTemplates,
    Outgoing,
    SendOptions,
    check_address,
    compose,
    has_line_break,
    report_sets,
    send,
    send_report_set,
)
from tests.mail.conftest import (
    ATTACHED,
    EN_MESSAGES,
    FAST,
    PASSWORD,
    QUICK,
    REPORT_FILE,
    SENDER,
    USER,
    Certificate,
    Handler,
    Server,
    attachment,
    body_text,
    free_port,
    sent_pairs,
)

# --- sending -------------------------------------------------------------------------------------


def test_plain_smtp_sends_each_pdf_to_each_address(en: Path, server: Server) -> None:
    lines: list[str] = []
    report = send_report_set(en, server.config(), QUICK, log=lines.append)

    assert report.ok and not report.failed and not report.refused
    assert {(d.file, d.recipient) for d in report.sent} == EN_MESSAGES
    assert report.no_address == ["HR"]
    assert "no address  HR (Departments!C3 is empty)" in lines
    assert sorted(server.handler.pairs()) == sorted(EN_MESSAGES)
    for mail_from, rcpts, message in server.handler.received:
        name, content_type, data = attachment(message)
        file = REPORT_FILE[name]
        assert mail_from == SENDER and str(message["From"]) == SENDER
        assert rcpts == [str(message["To"])]  # one recipient per message, envelope = To
        assert content_type == "application/pdf"
        assert data == (en / file).read_bytes()
        assert message["Message-ID"].endswith("@example.com>")
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["Content-Language"] == "en"
    sales = next(m for _f, r, m in server.handler.received if r == ["mette@example.com"])
    assert sales["Subject"] == "KPI report: Sales (Test A/S, 30 Jun 2026)"
    body = body_text(sales)
    assert "Attached is the KPI report for Sales at Test A/S, as of 30 Jun 2026." in body
    assert "Status: 1 KPI: 1 on track; score 100%." in body
    board = next(m for _f, r, m in server.handler.received if r == ["chair@example.org"])
    assert board["Subject"] == "KPI report: Board pack (Test A/S, 30 Jun 2026)"
    assert "Status: 2 KPIs: 1 on track, 1 off track; score 50%." in body_text(board)
    assert "Most behind:\n- HR-01 New hires (HR): off track\n" in body_text(board)
    assert sorted(sent_pairs(en)) == sorted(EN_MESSAGES)


def test_danish_workbook_gets_danish_mail(da: Path, server: Server) -> None:
    report = send_report_set(da, server.config(), QUICK)

    assert report.ok and len(report.sent) == 2
    by_rcpt = {rcpts[0]: m for _f, rcpts, m in server.handler.received}
    salg = by_rcpt["mette@example.dk"]
    assert salg["Subject"] == "KPI-rapport: Salg (Fjordsol ApS, 30. jun. 2026)"
    assert salg["Content-Language"] == "da"
    body = body_text(salg)
    assert body.startswith("Hej\n")
    assert "Vedhæftet er KPI-rapporten for Salg i Fjordsol ApS pr. 30. jun. 2026." in body
    assert "Status: 1 KPI: 1 på sporet; score 100\xa0%." in body  # Danish: a no-break space
    assert "Ingen KPI kræver opmærksomhed." in body
    assert attachment(salg)[:2] == ("Fjordsol ApS - Salg - 2026-06-30.pdf", "application/pdf")
    board_name = attachment(by_rcpt["formand@example.dk"])[0]
    assert board_name == "Fjordsol ApS - Bestyrelsespakke - 2026-06-30.pdf"
    board = by_rcpt["formand@example.dk"]
    assert board["Subject"] == "KPI-rapport: Bestyrelsespakke (Fjordsol ApS, 30. jun. 2026)"
    assert "Attached" not in body_text(board) and "bestyrelsespakken" in body_text(board)


def test_a_swedish_report_set_gets_swedish_mail(en: Path, server: Server) -> None:
    """The mail speaks the report set's language: every language has the mail's words."""
    data = json.loads((en / "results.json").read_text())
    data["language"] = "sv"
    (en / "results.json").write_text(json.dumps(data))
    report = send_report_set(en, server.config(), QUICK)
    assert report.ok
    by_rcpt = {rcpts[0]: m for _f, rcpts, m in server.handler.received}
    board = by_rcpt["board@example.org"]
    assert board["Content-Language"] == "sv"
    assert "Styrelsepaket" in board["Subject"]
    body = body_text(board)
    assert body.startswith("Hej,\n") and "Bifogat finns styrelsepaketet" in body
    assert "Attached" not in body and "Vedhæftet" not in body


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_starttls_with_a_self_signed_certificate_and_login(
    en: Path, smtpd: Callable[..., Server], certificate: Certificate, mechanism: str
) -> None:
    other = {"PLAIN": "LOGIN", "LOGIN": "PLAIN"}[mechanism]
    server = smtpd(
        tls_context=certificate.server_context(),
        require_starttls=True,
        authenticator=True,
        auth_required=True,
        auth_require_tls=True,
        auth_exclude_mechanism=[other],  # so the client has to use `mechanism`
    )
    smtp = server.config("starttls", user=USER, password=PASSWORD)

    report = send_report_set(
        en, smtp, SendOptions(ssl_context=certificate.client_context(), retry_delays=FAST)
    )

    assert report.ok and len(report.sent) == 4
    assert sorted(server.handler.pairs()) == sorted(EN_MESSAGES)
    # one connection, one login for all four messages
    assert server.handler.logins == [(mechanism, USER, PASSWORD)]


def test_implicit_tls(en: Path, smtpd: Callable[..., Server], certificate: Certificate) -> None:
    server = smtpd(ssl_context=certificate.server_context())
    report = send_report_set(
        en,
        server.config("ssl"),
        SendOptions(ssl_context=certificate.client_context(), retry_delays=FAST),
    )
    assert report.ok and len(server.handler.received) == 4


def test_a_certificate_that_is_not_trusted_stops_everything(
    en: Path, smtpd: Callable[..., Server], certificate: Certificate
) -> None:
    server = smtpd(tls_context=certificate.server_context(), require_starttls=True)
    attempts: list[str] = []
    # no ssl_context: the system's CAs, which do not know the test's certificate
    report = send_report_set(en, server.config("starttls"), QUICK, log=attempts.append)
    assert not report.ok and not report.sent and len(report.failed) == 4
    assert "CERTIFICATE_VERIFY_FAILED" in report.failed[0].error  # type: ignore[operator]
    assert all("not sent" in (d.error or "") for d in report.failed[1:])
    assert not any(line.startswith("retrying") for line in attempts)  # not worth a retry
    assert server.handler.received == [] and not (en / "sent.json").exists()


def test_a_refused_login_fails_every_message_and_never_shows_the_password(
    en: Path, smtpd: Callable[..., Server], certificate: Certificate
) -> None:
    server = smtpd(
        tls_context=certificate.server_context(),
        authenticator=True,
        auth_required=True,
        auth_exclude_mechanism=["LOGIN"],  # smtplib tries each mechanism offered: one here
    )
    lines: list[str] = []
    smtp = server.config("starttls", user=USER, password="wrong-password")
    report = send_report_set(
        en,
        smtp,
        SendOptions(ssl_context=certificate.client_context(), retry_delays=FAST),
        log=lines.append,
    )
    assert len(report.failed) == 4 and not report.sent
    assert "refused the login of kpi-bot" in report.failed[0].error  # type: ignore[operator]
    assert len(server.handler.logins) == 1  # not retried: the password will not get better
    assert "wrong-password" not in "\n".join(lines) + repr(smtp) + report.summary()
    assert server.handler.received == []


def test_a_password_is_never_sent_unencrypted(en: Path, server: Server) -> None:
    with pytest.raises(ConfigError, match="unencrypted"):
        send_report_set(en, server.config("none", user=USER, password=PASSWORD))
    assert server.handler.received == [] and server.handler.logins == []


# --- exactly once --------------------------------------------------------------------------------


def test_a_second_run_sends_nothing_unless_resend(en: Path, server: Server) -> None:
    first = send_report_set(en, server.config(), QUICK)
    assert len(first.sent) == 4
    log_before = (en / "sent.json").read_text()

    lines: list[str] = []
    second = send_report_set(en, server.config(), QUICK, log=lines.append)
    assert second.ok and second.sent == [] and len(second.skipped) == 4
    assert {d.message_id for d in second.skipped} == {d.message_id for d in first.sent}
    assert len(server.handler.received) == 4  # nothing new reached the server
    assert (en / "sent.json").read_text() == log_before
    assert sum(line.startswith("skipped     sales.pdf to ") for line in lines) == 2

    third = send_report_set(en, server.config(), SendOptions(resend=True, retry_delays=FAST))
    assert len(third.sent) == 4 and len(server.handler.received) == 8
    entries = json.loads((en / "sent.json").read_text())["messages"]
    assert len(entries) == 4  # one entry per (file, recipient): the latest
    assert {e["message_id"] for e in entries} == {d.message_id for d in third.sent}
    for entry in entries:
        assert set(entry) == {"file", "recipient", "sha256", "message_id", "sent_at"}
        assert (
            entry["sha256"]
            == __import__("hashlib").sha256((en / entry["file"]).read_bytes()).hexdigest()
        )
        assert dt.datetime.fromisoformat(entry["sent_at"]).tzinfo is not None


def test_a_changed_pdf_is_not_sent_again_but_said(en: Path, server: Server) -> None:
    send_report_set(en, server.config(), QUICK)
    (en / "sales.pdf").write_bytes((en / "sales.pdf").read_bytes() + b"\n% rebuilt\n")
    lines: list[str] = []
    report = send_report_set(en, server.config(), QUICK, log=lines.append)
    assert report.sent == [] and len(server.handler.received) == 4
    assert any("the PDF has changed since, --resend sends it again" in line for line in lines)


@pytest.mark.parametrize(
    "failure",
    ["451 4.3.0 Try again later", "421 4.3.2 Service shutting down"],
    ids=["451", "421"],
)
def test_a_server_failing_midway_sends_the_rest_next_time(
    en: Path, smtpd: Callable[..., Server], failure: str
) -> None:
    """The 3rd message and every later one fail (after retries); a second run, with the server
    well again, sends only those: every message arrives exactly once."""
    handler = Handler(on_data=lambda n: failure if n >= 3 else None)
    server = smtpd(handler)
    lines: list[str] = []

    first = send_report_set(en, server.config(), QUICK, log=lines.append)

    assert not first.ok and len(first.sent) == 2 and len(first.failed) == 2
    went = {(d.file, d.recipient) for d in first.sent}
    assert set(sent_pairs(en)) == went
    # 451 leaves the connection open, so the 4th message is tried (three times) too; after 421,
    # when the connection cannot be made again, the 4th is not tried
    retries = 2 * len(FAST) if failure.startswith("451") else len(FAST)
    assert sum(line.startswith("retrying") for line in lines) == retries
    assert sum(line.startswith("sent        ") for line in lines) == 2
    assert sum(line.startswith("failed      ") for line in lines) == 2
    assert "run kpireport send again to send the rest" in first.summary()

    handler.on_data = None
    second = send_report_set(en, server.config(), QUICK)

    assert second.ok and len(second.skipped) == 2
    assert {(d.file, d.recipient) for d in second.sent} == EN_MESSAGES - went
    assert sorted(handler.pairs()) == sorted(EN_MESSAGES)  # each exactly once
    assert sorted(sent_pairs(en)) == sorted(EN_MESSAGES)


def test_a_connection_dropped_after_the_message_is_tried_once_more_then_unconfirmed(
    en: Path, smtpd: Callable[..., Server]
) -> None:
    """The server has the 3rd message in full, then drops the connection without an answer (it
    was a parameter of the test above, with four tries, until issue 12): one more try only, the
    message recorded as unconfirmed, the 4th not tried; the next run sends the 4th and not the
    3rd, which --resend sends."""
    handler = Handler(on_data=lambda n: "close" if n >= 3 else None)
    server = smtpd(handler)
    lines: list[str] = []

    first = send_report_set(en, server.config(), QUICK, log=lines.append)

    assert handler.data_count == 4  # two sent, and the 3rd twice
    assert len(first.sent) == 2 and len(first.failed) == 2
    assert sum(line.startswith("retrying") for line in lines) == 1
    third = first.failed[0]
    assert "the server did not answer after the message" in (third.error or "")
    assert "it may have arrived, so it is not sent again" in (third.error or "")
    assert (first.failed[1].error or "").startswith("not sent: the server did not answer")
    logged = json.loads((en / "sent.json").read_text())["messages"]
    assert [e.get("unconfirmed", False) for e in logged].count(True) == 1

    handler.on_data = None
    second = send_report_set(en, server.config(), QUICK)
    assert second.ok and len(second.skipped) == 3 and len(second.sent) == 1
    assert {(d.file, d.recipient) for d in second.sent} == {
        (first.failed[1].file, first.failed[1].recipient)
    }
    (doubtful,) = [d for d in second.skipped if "may have arrived" in (d.note or "")]
    assert doubtful.recipient == third.recipient
    assert "--resend sends it again" in (doubtful.note or "")

    again = send_report_set(en, server.config(), replace(QUICK, resend=True))
    assert len(again.sent) == 4
    assert "unconfirmed" not in (en / "sent.json").read_text()


def test_a_temporary_error_is_retried_with_backoff(en: Path, smtpd: Callable[..., Server]) -> None:
    handler = Handler(on_data=lambda n: "451 4.7.1 Greylisted, try again" if n in (2, 3) else None)
    server = smtpd(handler)
    lines: list[str] = []
    report = send_report_set(
        en, server.config(), SendOptions(retry_delays=(0.01, 0.05)), log=lines.append
    )
    assert report.ok and len(report.sent) == 4
    retries = [line for line in lines if line.startswith("retrying")]
    assert len(retries) == 2
    assert "in 0.01 s: 451 4.7.1 Greylisted, try again" in retries[0]
    assert "in 0.05 s" in retries[1]  # the next, longer wait
    assert sorted(handler.pairs()) == sorted(EN_MESSAGES)


def test_a_refused_recipient_fails_alone_and_is_not_retried(
    en: Path, smtpd: Callable[..., Server]
) -> None:
    handler = Handler(reject={"ole@example.com"})
    server = smtpd(handler)
    report = send_report_set(en, server.config(), QUICK)
    assert [(d.file, d.recipient) for d in report.failed] == [("sales.pdf", "ole@example.com")]
    assert report.failed[0].error == "550 5.1.1 No such user here"
    assert handler.rcpt_attempts.count("ole@example.com") == 1
    assert len(report.sent) == 3

    handler.reject.clear()
    again = send_report_set(en, server.config(), QUICK)
    assert [(d.file, d.recipient) for d in again.sent] == [("sales.pdf", "ole@example.com")]
    assert sorted(handler.pairs()) == sorted(EN_MESSAGES)


def test_no_server_listening_fails_after_the_retries(en: Path) -> None:
    smtp = SmtpConfig(host="127.0.0.1", port=free_port(), sender=SENDER, tls="none")
    lines: list[str] = []
    report = send_report_set(en, smtp, QUICK, log=lines.append)
    assert not report.sent and len(report.failed) == 4
    assert "Connection refused" in (report.failed[0].error or "")
    # the first message is tried three times; the others are not tried against a dead server
    assert sum(line.startswith("retrying") for line in lines) == len(FAST)
    assert not (en / "sent.json").exists()


def test_two_senders_at_once_send_each_message_once(en: Path, server: Server) -> None:
    reports: list[Any] = []
    threads = [
        threading.Thread(target=lambda: reports.append(send_report_set(en, server.config(), QUICK)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(r.sent) for r in reports) == [0, 4]
    assert sorted(server.handler.pairs()) == sorted(EN_MESSAGES)


def test_an_unreadable_sent_log_stops_sending(en: Path, server: Server) -> None:
    (en / "sent.json").write_text("{not json")
    with pytest.raises(MailError, match="what was sent is unknown"):
        send_report_set(en, server.config())
    assert server.handler.received == []


def test_a_missing_pdf_fails_that_message(en: Path, server: Server) -> None:
    (en / "sales.pdf").unlink()
    report = send_report_set(en, server.config(), QUICK)
    assert {d.recipient for d in report.failed} == {"mette@example.com", "ole@example.com"}
    assert "sales.pdf is not in the report set" in (report.failed[0].error or "")
    assert len(report.sent) == 2 and not report.ok


@pytest.mark.tampered_results
def test_a_tampered_slug_cannot_attach_another_file(en: Path, server: Server) -> None:
    (en.parent / "secret.pdf").write_bytes(b"%PDF-1.7 not for mail")
    data = json.loads((en / "results.json").read_text())
    data["departments"][0]["slug"] = "../secret"
    (en / "results.json").write_text(json.dumps(data))
    report = send_report_set(en, server.config(), QUICK)
    assert {d.file for d in report.failed} == {"../secret.pdf"}
    assert all(
        attachment(m)[0] == ATTACHED["board-pack.pdf"] for _f, _r, m in server.handler.received
    )


# --- addresses and header injection --------------------------------------------------------------

# Refused at their cell: a real line break (or NUL, NEL, U+2028, U+2029) ...
LINE_BREAKS = [
    "a@example.com\r\nBcc: x@example.org",
    "a@example.com\nBcc: x@example.org",
    "a@example.com\rBcc: x@example.org",
    "a@example.com\u2028Bcc: x@example.org",
    "a@example.com\u2029Bcc: x@example.org",
    "a@example.com\x85Bcc: x@example.org",
    "a@example.com\x00Bcc: x@example.org",
    "Mallory <a@example.com>\r\nBcc: x@example.org",
]
# ... or not one address (the email package refuses an encoded word in one).
NOT_ADDRESSES = [
    "a@example.com\\r\\nBcc: x@example.org",
    "a%0D%0ABcc:x@example.org",
    "=?utf-8?q?a=0D=0ABcc=3A_x=40example.org?=@example.com",
    "=?utf-8?b?YQ0KQmNjOiB4QGV4YW1wbGUub3Jn?=@example.com",
    "a@example.com&#13;&#10;Bcc: x@example.org",
    "a@example.com, x@example.org",
]
REFUSED = LINE_BREAKS + NOT_ADDRESSES
# Line breaks encoded (percent, doubly percent, quoted-printable) in the local part of what is
# one valid address at example.com: nothing decodes them, so they go to that address, as written.
ENCODED = [
    "a%0d%0aBcc%3a%20x%40example.org@example.com",
    "a%250d%250abcc%3ax%40example.org@example.com",
    "a=0D=0Abcc=3Ax=40example.org@example.com",
]
INJECTIONS = REFUSED + ENCODED


@pytest.mark.parametrize("value", REFUSED)
def test_header_injection_is_refused_naming_the_cell(en: Path, server: Server, value: str) -> None:
    data = json.loads((en / "results.json").read_text())
    data["departments"][0]["emails"] = ["mette@example.com", value]
    data["board_recipients"] = [value]
    (en / "results.json").write_text(json.dumps(data))
    lines: list[str] = []

    report = send_report_set(en, server.config(), QUICK, log=lines.append)

    assert not report.ok
    assert [(r.file, r.cell) for r in report.refused] == [
        ("sales.pdf", "Departments!C2"),
        ("board-pack.pdf", data["board_recipients_cell"]),
    ]
    assert data["board_recipients_cell"].startswith("Settings!B")
    refused = [line for line in lines if line.startswith("refused")]
    assert len(refused) == 2 and refused[0].startswith("refused     Departments!C2: ")
    assert all("nothing is sent to it" in line and "\n" not in line for line in refused)
    # the good address still gets its report; nothing reaches the injected one
    assert server.handler.pairs() == [("sales.pdf", "mette@example.com")]
    for _f, rcpts, message in server.handler.received:
        assert rcpts == ["mette@example.com"]
        assert "x@example.org" not in message.as_string()
        assert message["Bcc"] is None


@pytest.mark.parametrize("value", INJECTIONS)
def test_header_injection_is_impossible_by_construction(en: Path, value: str) -> None:
    """Past the checks, the email package itself refuses: Address objects under the SMTP
    policy cannot produce a second header."""
    data = json.loads((en / "results.json").read_text())
    pdf = (en / "sales.pdf").read_bytes()
    results = from_dict(data)
    outgoing = Outgoing("sales.pdf", value, results.departments[0])
    try:
        message = compose(MailTemplates().write(results, outgoing), outgoing, SENDER, pdf)
    except (ValueError, IndexError, HeaderParseError):
        return  # refused by the email package
    # whatever it made of the value: one To header, no Bcc, the injected address not a recipient
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert parsed["Bcc"] is None and len(parsed.get_all("To") or []) == 1
    assert "x@example.org" not in [a.addr_spec for a in parsed["To"].addresses]


@pytest.mark.parametrize("value", ENCODED)
def test_an_encoded_line_break_stays_text(en: Path, server: Server, value: str) -> None:
    """Sent to the address exactly as typed: every header of the message is one of kpireport's,
    on its own line, and the address in the encoded text gets nothing."""
    data = json.loads((en / "results.json").read_text())
    data["departments"][0]["emails"] = ["mette@example.com", value]
    (en / "results.json").write_text(json.dumps(data))

    report = send_report_set(en, server.config(), QUICK)

    assert report.ok and not report.refused
    by_rcpt = {rcpts[0]: m for _f, rcpts, m in server.handler.received}
    assert sorted(by_rcpt) == sorted(
        ["mette@example.com", value, "chair@example.org", "board@example.org"]
    )
    ordinary, encoded = by_rcpt["mette@example.com"], by_rcpt[value]
    assert encoded.keys() == ordinary.keys()  # no header more, in the same order
    assert [a.addr_spec for a in encoded["To"].addresses] == [value]
    for message in server.handler.received:
        assert message[2]["Bcc"] is None and "x@example.org" not in message[1]
        assert not any("\r" in str(v) or "\n" in str(v) for v in message[2].values())


def test_a_real_line_break_is_refused_an_encoded_one_is_text() -> None:
    for value in LINE_BREAKS:
        assert has_line_break(value)
        assert check_address(value) == (None, "has a line break in it: a header injection attempt")
    for value in NOT_ADDRESSES:
        assert check_address(value) == (None, "is not an email address")
    for value in ENCODED:
        assert not has_line_break(value) and check_address(value) == (value, None)


def test_a_line_break_in_a_name_cannot_start_a_header(en: Path, server: Server) -> None:
    data = json.loads((en / "results.json").read_text())
    data["company"] = "Acme\r\nBcc: x@example.org"
    data["departments"][0]["name"] = "Sales\nBcc: x@example.org"
    (en / "results.json").write_text(json.dumps(data))
    report = send_report_set(en, server.config(), QUICK)
    assert report.ok
    for _f, rcpts, message in server.handler.received:
        assert message["Bcc"] is None and "x@example.org" not in rcpts
    subjects = {str(m["Subject"]).strip() for _f, _r, m in server.handler.received}
    # issue 12: the line breaks are shown as escapes, no longer turned into spaces
    assert "KPI report: Sales\\nBcc: x@example.org (Acme\\r\\nBcc: x@example.org, 30 Jun 2026)" in (
        subjects
    )


@pytest.mark.parametrize(
    "value",
    ["mette@example.com", "first.last+kpi@sub.example.co.uk", "o'brien@example.ie"],
)
def test_ordinary_addresses_pass(value: str) -> None:
    assert check_address(value) == (value, None)
    assert not has_line_break(value)


@pytest.mark.tampered_results
def test_not_an_address_is_refused(en: Path, server: Server) -> None:
    data = json.loads((en / "results.json").read_text())
    data["departments"][0]["emails"] = ["mette(at)example.com"]
    (en / "results.json").write_text(json.dumps(data))
    report = send_report_set(en, server.config(), QUICK)
    assert [str(r) for r in report.refused] == [
        "Departments!C2: 'mette(at)example.com' is not an email address; nothing is sent to it",
    ]
    # not text at all: the typed loader refuses the whole file, naming the value, before
    # anything is sent
    data["departments"][0]["emails"] = ["mette@example.com", 42]
    (en / "results.json").write_text(json.dumps(data))
    with pytest.raises(MailError, match=r"departments\[0\]\.emails\[1\] should be text, not int"):
        send_report_set(en, server.config(), QUICK)
    assert len(server.handler.received) == 2  # the board pack's two, from the first send


def test_a_bad_from_address_is_a_config_error(en: Path, server: Server) -> None:
    smtp = SmtpConfig(host="127.0.0.1", port=server.port, sender="me\r\nBcc: x@example.org")
    with pytest.raises(ConfigError, match="From address"):
        send_report_set(en, smtp)
    assert server.handler.received == []


# --- dry run, --only, finding the report sets -----------------------------------------------------


def test_dry_run_writes_eml_files_and_sends_nothing(en: Path, server: Server) -> None:
    report = send_report_set(en, server.config(), SendOptions(dry_run=True))

    assert report.ok and report.sent == [] and len(report.outbox) == 4
    assert server.handler.received == [] and not (en / "sent.json").exists()
    names = sorted(p.name for p in (en / "outbox").iterdir())
    assert names == [
        "board-pack--board@example.org.eml",
        "board-pack--chair@example.org.eml",
        "sales--mette@example.com.eml",
        "sales--ole@example.com.eml",
    ]
    raw = (en / "outbox" / "sales--ole@example.com.eml").read_bytes()
    assert b"\r\n" in raw  # as it would go on the wire
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert str(message["To"]) == "ole@example.com" and str(message["From"]) == SENDER
    assert message["Subject"] == "KPI report: Sales (Test A/S, 30 Jun 2026)"
    assert message["Date"] and message["Message-ID"] and message["MIME-Version"] == "1.0"
    assert attachment(message) == (
        ATTACHED["sales.pdf"],
        "application/pdf",
        (en / "sales.pdf").read_bytes(),
    )


def test_dry_run_needs_no_server_and_takes_an_outbox(en: Path, tmp_path: Path) -> None:
    report = send_report_set(
        en, None, SendOptions(dry_run=True, outbox=tmp_path / "box", only=("sales",))
    )
    assert sorted(p.name for p in (tmp_path / "box").iterdir()) == [
        "sales--mette@example.com.eml",
        "sales--ole@example.com.eml",
    ]
    assert report.no_address == [] and not (en / "outbox").exists()


def test_sending_without_a_server_is_a_usage_error(en: Path) -> None:
    with pytest.raises(UsageError, match=r"KPIREPORT_SMTP_HOST.*kpireport\.toml"):
        send_report_set(en, None)


def test_only_some_departments_and_no_board_pack(en: Path, server: Server) -> None:
    report = send_report_set(en, server.config(), SendOptions(only=("SALES",), retry_delays=FAST))
    assert {d.file for d in report.sent} == {"sales.pdf"}
    with pytest.raises(UsageError, match="has no department Finance; it has: Sales, HR"):
        send_report_set(en, server.config(), SendOptions(only=("Finance",)))


def test_send_takes_each_workbooks_latest_report_set(out: Path, server: Server) -> None:
    older = out / "acme" / "2026-03-31"
    shutil.copytree(out / "acme" / "2026-06-30", older)
    (out / "acme" / "notes").mkdir()  # not a report date: ignored
    assert report_sets(out) == [out / "acme" / "2026-06-30", out / "fjordsol" / "2026-06-30"]
    assert report_sets(out / "acme") == [out / "acme" / "2026-06-30"]
    assert report_sets(older) == [older]

    reports = send(out, server.config(), QUICK)

    assert [r.folder for r in reports] == report_sets(out)
    assert len(server.handler.received) == 6 and not (older / "sent.json").exists()


@pytest.mark.tampered_results
def test_send_goes_on_after_a_set_that_cannot_be_read(out: Path, server: Server) -> None:
    (out / "acme" / "2026-06-30" / "results.json").write_text("[]")
    reports = send(out, server.config(), QUICK)
    assert reports[0].error and "not a kpireport results.json" in reports[0].error
    assert not reports[0].ok and reports[1].ok and len(reports[1].sent) == 2


def test_send_only_skips_workbooks_without_the_department(out: Path, server: Server) -> None:
    reports = send(out, server.config(), SendOptions(only=("Salg",), retry_delays=FAST))
    assert [r.folder.parent.name for r in reports] == ["fjordsol"]
    with pytest.raises(UsageError, match=r"no report set in .* has a department Finance"):
        send(out, server.config(), SendOptions(only=("Finance",)))


# --- the mail templates --------------------------------------------------------------------------


def _eml(folder: Path, name: str) -> EmailMessage:
    message = email.message_from_bytes((folder / name).read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_your_own_mail_templates_come_first(en: Path, tmp_path: Path) -> None:
    """A subject of your own (one line, whatever the template makes) and a body that keeps the
    default one and adds a line: plain text, so nothing is HTML-escaped."""
    data = json.loads((en / "results.json").read_text())
    data["company"] = "Smith & Co"
    (en / "results.json").write_text(json.dumps(data))
    mine = tmp_path / "my-templates"
    mine.mkdir()
    (mine / "subject.txt").write_text("[KPI] {{ report }}\n<{{ company }}>\n")
    (mine / "body.txt").write_text(
        '{% include "default:body.txt" %}\n\n\nQuestions: {{ company }} <cfo@example.com>\n'
    )
    box = tmp_path / "box"
    report = send_report_set(en, None, SendOptions(dry_run=True, outbox=box, templates=mine))

    assert report.ok and len(report.outbox) == 4
    sales = _eml(box, "sales--ole@example.com.eml")
    assert sales["Subject"] == "[KPI] Sales <Smith & Co>"
    body = body_text(sales)
    assert body.startswith("Hello,\n\nAttached is the KPI report for Sales at Smith & Co, as of")
    assert body.endswith("Replies go to the sender.\n\nQuestions: Smith & Co <cfo@example.com>\n")
    assert "No KPI needs attention.\n\n-- \nThis email was sent by kpireport" in body
    board = _eml(box, "board-pack--chair@example.org.eml")
    assert board["Subject"] == "[KPI] Board pack <Smith & Co>"


def test_a_broken_mail_template_stops_before_anything_is_sent(
    en: Path, server: Server, tmp_path: Path
) -> None:
    mine = tmp_path / "my-templates"
    mine.mkdir()
    (mine / "body.txt").write_text("Hello,\n{% if department %}\n{{ report }}\n")
    with pytest.raises(TemplateError) as broken:
        send_report_set(en, server.config(), SendOptions(templates=mine))
    assert str(broken.value) == (
        f"template {mine / 'body.txt'} cannot be used: Unexpected end of template. Jinja was "
        "looking for the following tags: 'elif' or 'else' or 'endif'. The innermost block that "
        "needs to be closed is 'if' (line 3). The default templates are: subject.txt, body.txt."
    )
    # a name that does not exist, used in the board pack's message only: the departments'
    # messages, which come first, do not go either
    (mine / "body.txt").write_text("{% if department is none %}{{ r.company }}{% endif %}\n")
    with pytest.raises(TemplateError) as undefined:
        send_report_set(en, server.config(), SendOptions(templates=mine))
    assert str(undefined.value) == (
        "template body.txt cannot be used: 'r' is undefined. "
        "The default templates are: subject.txt, body.txt."
    )
    assert server.handler.received == [] and not (en / "sent.json").exists()


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder without kpireport.toml and no KPIREPORT_* variables."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    for name in [
        "HOST",
        "PORT",
        "USER",
        "PASSWORD",
        "FROM",
        "TLS",
    ]:
        monkeypatch.delenv(f"KPIREPORT_SMTP_{name}", raising=False)
    return workdir


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_cli_without_a_mail_server_exits_2(out: Path, cli_env: Path) -> None:
    result = run("send", str(out))
    assert result.exit_code == 2
    assert "KPIREPORT_SMTP_HOST" in result.stderr and "kpireport.toml" in result.stderr
    assert "--dry-run" in result.stderr


def test_cli_sends_then_skips(out: Path, cli_env: Path, server: Server) -> None:
    (cli_env / "kpireport.toml").write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {server.port}\nfrom = "{SENDER}"\ntls = "none"\n'
    )
    result = run("send", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert sum(line.startswith("sent        ") for line in result.stderr.splitlines()) == 6
    assert "sent        sales.pdf to mette@example.com" in result.stderr
    assert "no address  HR (Departments!C3 is empty)" in result.stderr
    assert f"{out / 'acme' / '2026-06-30'}: 4 sent, 1 department without addresses" in result.stderr
    assert len(server.handler.received) == 6

    again = run("send", str(out))
    assert again.exit_code == 0
    assert "skipped     sales.pdf to mette@example.com (sent " in again.stderr
    assert f"{out / 'acme' / '2026-06-30'}: 4 already sent" in again.stderr
    assert len(server.handler.received) == 6


def test_cli_environment_wins_and_failure_exits_1(
    out: Path, cli_env: Path, smtpd: Callable[..., Server]
) -> None:
    (cli_env / "kpireport.toml").write_text('[smtp]\nhost = "mail.invalid"\nport = 1\n')
    handler = Handler(reject={"ole@example.com"})
    server = smtpd(handler)
    env = {
        "KPIREPORT_SMTP_HOST": "127.0.0.1",
        "KPIREPORT_SMTP_PORT": str(server.port),
        "KPIREPORT_SMTP_FROM": SENDER,
        "KPIREPORT_SMTP_TLS": "none",
    }
    result = run("send", str(out / "acme"), env=env)
    assert result.exit_code == 1
    assert "failed      sales.pdf to ole@example.com: 550 5.1.1 No such user here" in result.stderr
    assert "3 sent, 1 not sent" in result.stderr
    assert len(handler.received) == 3


def test_cli_refused_address_exits_1(en: Path, cli_env: Path) -> None:
    data = json.loads((en / "results.json").read_text())
    data["departments"][0]["emails"] = ["a@example.com\r\nBcc: x@example.org"]
    (en / "results.json").write_text(json.dumps(data))
    result = run("send", str(en), "--dry-run")
    assert result.exit_code == 1
    assert (
        "refused     Departments!C2: 'a@example.com\\r\\nBcc: x@example.org' has a line break"
        in result.stderr
    )
    assert not any("a@example.com" in p.name for p in (en / "outbox").iterdir())


def test_cli_dry_run_prints_the_files(out: Path, cli_env: Path, tmp_path: Path) -> None:
    result = run("send", str(out), "--dry-run", "--outbox", str(tmp_path / "box"), "--only", "HR")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""  # HR has no address: nothing to write
    assert "no address  HR" in result.stderr

    result = run("send", str(out), "--dry-run", "--outbox", str(tmp_path / "box"))
    assert result.exit_code == 0, result.stderr
    written = result.stdout.splitlines()
    assert len(written) == 6 and all(Path(p).is_file() for p in written)
    # two report sets: each has its own folder in the outbox
    assert {Path(p).parent.name for p in written} == {"acme", "fjordsol"}


def test_cli_wrong_usage_exits_2(out: Path, cli_env: Path, tmp_path: Path) -> None:
    assert run("send", str(tmp_path / "missing")).exit_code == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("send", str(empty), "--dry-run")
    assert result.exit_code == 2 and "no report sets in" in result.stderr
    result = run("send", str(out), "--dry-run", "--only", "Finance")
    assert result.exit_code == 2 and "has a department Finance" in result.stderr


def test_cli_templates(out: Path, cli_env: Path, tmp_path: Path) -> None:
    """send --templates: a template that does not parse is a usage error before anything is
    sent; one that does is used."""
    mine = tmp_path / "my-templates"
    mine.mkdir()
    (mine / "subject.txt").write_text("{{ report }")
    box = tmp_path / "box"
    result = run("send", str(out), "--dry-run", "--outbox", str(box), "--templates", str(mine))
    assert result.exit_code == 2
    assert f"Error: template {mine / 'subject.txt'} cannot be used: unexpected '}}'" in (
        result.stderr
    )
    assert "The default templates are: subject.txt, body.txt." in result.stderr
    assert not box.exists()

    (mine / "subject.txt").write_text("{{ company }}: {{ report }}")
    result = run("send", str(out), "--dry-run", "--outbox", str(box), "--templates", str(mine))
    assert result.exit_code == 0, result.stderr
    subjects = {str(_eml(Path(p).parent, Path(p).name)["Subject"]) for p in result.stdout.split()}
    assert subjects == {
        "Test A/S: Sales",
        "Test A/S: Board pack",
        "Fjordsol ApS: Salg",
        "Fjordsol ApS: Bestyrelsespakke",
    }
