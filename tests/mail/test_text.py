"""Text from a workbook or a server in mail (issue 12, points 7 and 9): control characters shown
as escapes in the headers and the log, bidi controls never in a subject or an attachment's file
name; and an internationalized domain (``anna@bücher.example``) accepted at its cell and sent in
punycode."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import pytest

from kpireport.engine.serialize import load_results
from kpireport.errors import UsageError
from kpireport.mail import SendOptions, check_address, send_report_set
from kpireport.mail.compose import attachment_name
from kpireport.mail.records import Outgoing
from kpireport.validate import check
from kpireport.workbook import email_address
from kpireport.workbook.addresses import wire_address
from tests.conftest import valid_sheets, write_workbook
from tests.mail.conftest import ATTACHED, QUICK, Server, attachment

# What must never reach a header or a log line raw: C0 and C1 controls, DEL, the line and
# paragraph separators, and the bidi embeddings, overrides and isolates.
RAW = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
HOSTILE = "Acme\x1b[2J\x1b]0;owned\x07 0 errors\u202egnp.exe\u2066x\u2069\x9b31m"


def headers(message: EmailMessage) -> list[str]:
    """Every header value as a mail program shows it (encoded words decoded)."""
    return [str(value) for value in message.values()]


def test_control_and_bidi_characters_from_cells_are_shown_as_escapes_in_headers(
    en: Path, server: Server
) -> None:
    """Company, title and department name with a clear-screen, a window title, a BEL, a fake
    '0 errors', a right-to-left override and an isolate. Before: ESC and the others became
    spaces, and the bidi controls reached the subject as they were."""
    data = json.loads((en / "results.json").read_text())
    data["company"] = HOSTILE
    data["departments"][0]["name"] = "Sales\u202e"
    (en / "results.json").write_text(json.dumps(data))

    report = send_report_set(en, server.config(), QUICK)

    assert report.ok
    for _f, _r, message in server.handler.received:
        assert not [h for h in headers(message) if RAW.search(h)], headers(message)
    subjects = sorted(str(m["Subject"]) for _f, _r, m in server.handler.received)
    assert subjects[-1] == (
        "KPI report: Sales\\u202e (Acme\\x1b[2J\\x1b]0;owned\\x07 0 errors\\u202egnp.exe"
        "\\u2066x\\u2069\\x9b31m, 30 Jun 2026)"
    )


@pytest.mark.tampered_results
def test_an_attachment_name_never_holds_a_bidi_control(en: Path, server: Server) -> None:
    """A tampered results.json whose slug has a right-to-left override, with that PDF in the
    report set: the attachment is named after company, department and date, never the slug,
    and no control of the department name reaches it either."""
    name = "sales\u202efdp.exe"
    (en / f"{name}.pdf").write_bytes((en / "sales.pdf").read_bytes())
    data = json.loads((en / "results.json").read_text())
    data["departments"][0]["slug"] = name
    data["departments"][0]["name"] = "Sales\u202efdp.exe"
    (en / "results.json").write_text(json.dumps(data))

    send_report_set(en, server.config(), QUICK)

    names = {attachment(m)[0] for _f, _r, m in server.handler.received}
    assert names == {"Test A-S - Sales-fdp.exe - 2026-06-30.pdf", ATTACHED["board-pack.pdf"]}


@pytest.mark.parametrize(
    ("company", "department", "expected"),
    [
        ("Test A/S", "Sales", "Test A-S - Sales - 2026-06-30.pdf"),
        ("../../etc", "passwd\\..\\x", "etc - passwd-x - 2026-06-30.pdf"),
        (
            "Kunde & Co. (Nord)",
            "Kundeservice, Øst",
            "Kunde & Co. (Nord) - Kundeservice, Øst - 2026-06-30.pdf",
        ),
        (HOSTILE, "HR", "Acme-2J-0-owned-0 errors-gnp.exe-x-31m - HR - 2026-06-30.pdf"),
        ("\x00\u202e", "Sales", "Sales - 2026-06-30.pdf"),  # nothing left of the company
        ("A" * 300, "B" * 300, f"{'A' * 60} - {'B' * 60} - 2026-06-30.pdf"),
    ],
)
def test_attachment_names_are_safe_file_names(
    en: Path, company: str, department: str, expected: str
) -> None:
    """Whatever the cells hold: no path separator, control or bidi character, leading dot or
    name over 60 characters a part, in any mail program's save dialog."""
    data = json.loads((en / "results.json").read_text())
    data["company"] = company
    data["departments"][0]["name"] = department
    (en / "results.json").write_text(json.dumps(data))
    results = load_results(en)
    name = attachment_name(results, Outgoing("sales.pdf", "x@example.com", results.departments[0]))
    assert name == expected
    assert not RAW.search(name) and "/" not in name and "\\" not in name


def test_the_log_shows_cell_and_server_text_with_escapes(en: Path, server: Server) -> None:
    """A department name in a 'no address' line, and a server's refusal, with ESC in them."""
    data = json.loads((en / "results.json").read_text())
    data["departments"][1]["name"] = "HR\x1b[2J\r\nsent        fake.pdf"
    (en / "results.json").write_text(json.dumps(data))
    server.handler.on_data = lambda n: "554 5.7.1 \x1b[31mrejected\x1b[0m" if n == 1 else None
    lines: list[str] = []

    send_report_set(en, server.config(), QUICK, log=lines.append)

    assert not [line for line in lines if RAW.search(line)], lines
    assert "no address  HR\\x1b[2J\\r\\nsent        fake.pdf (Departments!C3 is empty)" in lines
    assert any(line.endswith("554 5.7.1 \\x1b[31mrejected\\x1b[0m") for line in lines), lines


def test_a_usage_error_lists_the_departments_with_escapes(en: Path, tmp_path: Path) -> None:
    data = json.loads((en / "results.json").read_text())
    data["departments"][0]["name"] = "Sales\x1b]0;owned\x07"
    (en / "results.json").write_text(json.dumps(data))
    with pytest.raises(UsageError) as caught:
        send_report_set(en, None, SendOptions(dry_run=True, only=("Finance",)))
    assert "it has: Sales\\x1b]0;owned\\x07, HR" in str(caught.value)
    assert not RAW.search(str(caught.value))


# --- internationalized domains ---------------------------------------------------------------

IDN = "anna@bücher.example"
PUNYCODE = "anna@xn--bcher-kva.example"


def test_an_idn_address_is_accepted_at_its_cell(tmp_path: Path) -> None:
    """Before: bad-email, an error that blocked the whole report set."""
    sheets = valid_sheets()
    sheets["Departments"][1][2] = f"mette@example.com; Anna <{IDN}>"
    _workbook, report = check(write_workbook(tmp_path / "idn.xlsx", sheets))
    assert report.valid and not report.issues, report.issues


@pytest.mark.parametrize(
    "value",
    [IDN, "anna@BÜCHER.example", "a@ουτοπία.δπθ.gr", "b@例え.テスト", "c@xn--bcher-kva.example"],
)
def test_internationalized_domains_pass(value: str) -> None:
    assert email_address(value) == value and check_address(value) == (value, None)
    assert wire_address(value).isascii()


@pytest.mark.parametrize(
    "value",
    [
        "anna@stra\u00dfe.de",  # ß: IDNA 2003 and 2008 lead to different domains
        "anna@b\u202eucher.example",  # a bidi override
        "anna@b\u2067ucher.example",  # a bidi isolate
        "anna@bu\u200dcher.example",  # a zero-width joiner
        "anna@ex\u00adample.com",  # a soft hyphen, which IDNA would drop silently
        "anna@b\u00fccher .example",  # a space
        "anna@b\u00fccher",  # one label
        "anna@\u2603.example",  # a symbol, not a letter
        "ånna@example.com",  # the local part stays ASCII
    ],
)
def test_look_alike_and_hidden_characters_in_a_domain_are_refused(value: str) -> None:
    assert email_address(value) is None
    assert check_address(value)[0] is None


def test_an_idn_address_is_sent_in_punycode(en: Path, server: Server) -> None:
    data = json.loads((en / "results.json").read_text())
    data["departments"][0]["emails"] = [IDN]
    (en / "results.json").write_text(json.dumps(data))

    config = replace(server.config(), sender="kpi@bücher.example")  # From may be one too

    report = send_report_set(en, config, QUICK)

    assert report.ok and report.sent[0].recipient == IDN
    ((mail_from, message),) = [
        (f, m) for f, rcpts, m in server.handler.received if rcpts == [PUNYCODE]
    ]
    assert str(message["To"]) == PUNYCODE
    assert mail_from == str(message["From"]) == "kpi@xn--bcher-kva.example"
    assert json.loads((en / "sent.json").read_text())["messages"][-1]["recipient"] == IDN


def test_an_idn_address_in_a_dry_run(en: Path, tmp_path: Path) -> None:
    data = json.loads((en / "results.json").read_text())
    data["departments"][0]["emails"] = [IDN]
    (en / "results.json").write_text(json.dumps(data))
    report = send_report_set(en, None, SendOptions(dry_run=True, outbox=tmp_path / "box"))
    eml = next(d.eml for d in report.outbox if d.recipient == IDN)
    assert eml is not None and f"To: {PUNYCODE}" in eml.read_text()


def test_a_stale_kpi_says_no_recent_data_whatever_its_status(en: Path) -> None:
    """A stale KPI is at best at risk since issue 13 (point 6), so the mail's 'no recent data'
    may not depend on an achieved or on-track status: the reader needs the reason for it."""
    from kpireport.engine.serialize import load_results
    from kpireport.mail.compose import MailTemplates
    from kpireport.mail.records import Outgoing

    results = load_results(en)
    [entry, *_] = results.summary.attention or [None]
    assert entry is not None, "the English set has a KPI on its attention list"
    stale = replace(entry, status="at_risk", stale=True)
    results.summary.attention[:] = [stale]
    text = MailTemplates().write(results, Outgoing("board-pack.pdf", "chair@example.org", None))
    assert f"{stale.id} {stale.name}" in text.body
    assert "at risk, no recent data" in text.body
