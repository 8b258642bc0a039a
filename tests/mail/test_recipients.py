"""Who a report may go to (issue 12, point 6): at most ``max_recipients`` addresses per report
(one PDF), only addresses at ``allowed_domains`` when it is set, both checked before the first
message goes and refused naming the cell; and the ``[smtp]`` settings that hold them, with
``timeout`` and ``KPIREPORT_SMTP_TIMEOUT``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpireport.cli import main
from kpireport.config import CONFIG_FILE, ConfigError, SmtpConfig, load_config
from kpireport.mail import SendOptions, send_report_set
from tests.mail.conftest import QUICK, SENDER, Server

MANY = [f"person{i}@example.com" for i in range(60)]


def set_addresses(folder: Path, sales: list[str], board: list[str] | None = None) -> str:
    """Put these addresses into the report set's results.json; the board's cell."""
    data = json.loads((folder / "results.json").read_text())
    data["departments"][0]["emails"] = sales
    if board is not None:
        data["board_recipients"] = board
    (folder / "results.json").write_text(json.dumps(data))
    return str(data["board_recipients_cell"])


def test_a_cell_with_more_addresses_than_max_recipients_goes_to_none_of_them(
    en: Path, server: Server
) -> None:
    """60 addresses in one Departments email cell, over the default 50: one refusal naming the
    cell, no message of that report, the board pack still sent. Before: 62 messages."""
    set_addresses(en, MANY)
    lines: list[str] = []

    report = send_report_set(en, server.config(), QUICK, log=lines.append)

    assert server.handler.pairs() == [
        ("board-pack.pdf", "chair@example.org"),
        ("board-pack.pdf", "board@example.org"),
    ]
    assert not report.ok
    assert [str(r) for r in report.refused] == [
        "Departments!C2: 60 addresses for sales.pdf, more than max_recipients (50) in [smtp] "
        "allows; nothing is sent to any of them"
    ]
    assert "refused     Departments!C2: 60 addresses for sales.pdf" in lines[0]
    assert report.summary().endswith("2 sent, 1 refused, 1 department without addresses")


def test_max_recipients_counts_the_addresses_of_one_report(en: Path, server: Server) -> None:
    """Per report: the two addresses of Sales and the two of the board pass a limit of 2, and
    fail a limit of 1; the same address twice counts once."""
    set_addresses(en, ["mette@example.com", "ole@example.com", "Mette@example.com"])
    two = send_report_set(en, server.config(max_recipients=2), QUICK)
    assert two.ok and len(two.sent) == 4

    (en / "sent.json").unlink()
    one = send_report_set(en, server.config(max_recipients=1), QUICK)
    assert [(r.file, r.many) for r in one.refused] == [("sales.pdf", 2), ("board-pack.pdf", 2)]
    assert not one.sent and len(server.handler.received) == 4  # from the first send only


def test_allowed_domains_refuses_every_other_address_naming_its_cell(
    en: Path, server: Server
) -> None:
    board_cell = set_addresses(
        en,
        ["mette@example.com", "ole@sales.example.com", "eve@example.com.evil.org"],
        ["chair@example.org", "x@notexample.com", "board@EXAMPLE.COM"],
    )
    lines: list[str] = []
    config = server.config(allowed_domains=("example.com",))

    report = send_report_set(en, config, QUICK, log=lines.append)

    assert sorted(server.handler.pairs()) == [
        ("board-pack.pdf", "board@EXAMPLE.COM"),
        ("sales.pdf", "mette@example.com"),
        ("sales.pdf", "ole@sales.example.com"),  # a subdomain is inside
    ]
    assert [(r.cell, r.value) for r in report.refused] == [
        ("Departments!C2", "eve@example.com.evil.org"),
        (board_cell, "chair@example.org"),
        (board_cell, "x@notexample.com"),
    ]
    assert str(report.refused[0]) == (
        "Departments!C2: 'eve@example.com.evil.org' is not at an allowed domain (example.com: "
        "allowed_domains in [smtp]); nothing is sent to it"
    )
    # checked before anything goes: every refusal is logged before the first message
    first_sent = next(i for i, line in enumerate(lines) if line.startswith("sent"))
    assert all(i < first_sent for i, line in enumerate(lines) if line.startswith("refused"))


def test_a_dry_run_keeps_to_the_limits(en: Path, tmp_path: Path) -> None:
    """Without a mail server, the default limit; with one, its own."""
    set_addresses(en, MANY)
    report = send_report_set(en, None, SendOptions(dry_run=True, outbox=tmp_path / "a"))
    assert [r.many for r in report.refused] == [60] and len(report.outbox) == 2

    config = SmtpConfig("127.0.0.1", 25, sender=SENDER, allowed_domains=("example.org",))
    set_addresses(en, ["mette@example.com"])
    report = send_report_set(en, config, SendOptions(dry_run=True, outbox=tmp_path / "b"))
    assert [r.value for r in report.refused] == ["mette@example.com"]
    assert sorted(d.recipient for d in report.outbox) == ["board@example.org", "chair@example.org"]


# --- the [smtp] settings ---------------------------------------------------------------------


def load(folder: Path, text: str, **environ: str) -> SmtpConfig | None:
    (folder / CONFIG_FILE).write_text('[smtp]\nhost = "smtp.example.com"\n' + text)
    return load_config(folder, environ=environ).smtp


def test_the_defaults(tmp_path: Path) -> None:
    smtp = load(tmp_path, "")
    assert smtp is not None
    assert (smtp.timeout, smtp.max_recipients, smtp.allowed_domains) == (60.0, 50, ())


def test_the_settings_and_the_timeout_variable(tmp_path: Path) -> None:
    text = 'timeout = 20\nmax_recipients = 5\nallowed_domains = ["Example.COM", "bücher.example"]\n'
    smtp = load(tmp_path, text)
    assert smtp is not None
    assert (smtp.timeout, smtp.max_recipients) == (20.0, 5)
    assert smtp.allowed_domains == ("example.com", "xn--bcher-kva.example")
    from_env = load(tmp_path, text, KPIREPORT_SMTP_TIMEOUT="2.5")
    assert from_env is not None and from_env.timeout == 2.5


@pytest.mark.parametrize(
    ("text", "environ", "message"),
    [
        ("timeout = 0\n", {}, "SMTP timeout must be a number of seconds above 0 and at most 3600"),
        ("timeout = 9999\n", {}, "not 9999"),
        ("", {"KPIREPORT_SMTP_TIMEOUT": "soon"}, "not 'soon'"),
        ("", {"KPIREPORT_SMTP_TIMEOUT": "nan"}, "not 'nan'"),
        ("max_recipients = 0\n", {}, "SMTP max_recipients must be a whole number from 1 up"),
        ("max_recipients = 2.5\n", {}, "not 2.5"),
        ("max_recipients = true\n", {}, "not True"),
        ('allowed_domains = "example.com"\n', {}, "must be a list of domains"),
        ('allowed_domains = ["example"]\n', {}, "'example' is not a domain name"),
        ('allowed_domains = ["@example.com"]\n', {}, "is not a domain name"),
        ("allowed_domains = [3]\n", {}, "3 is not a domain name"),
    ],
)
def test_a_bad_setting_is_refused_naming_it(
    tmp_path: Path, text: str, environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match="SMTP") as caught:
        load(tmp_path, text, **environ)
    assert message in str(caught.value)


def test_the_cli_refuses_with_exit_code_1(
    en: Path, tmp_path: Path, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("HOST", "PORT", "USER", "PASSWORD", "FROM", "TLS", "TIMEOUT"):
        monkeypatch.delenv(f"KPIREPORT_SMTP_{name}", raising=False)
    (tmp_path / CONFIG_FILE).write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {server.port}\nfrom = "{SENDER}"\ntls = "none"\n'
        'max_recipients = 1\nallowed_domains = ["example.com"]\n'
    )
    result = CliRunner().invoke(main, ["send", str(en)], catch_exceptions=False)
    assert result.exit_code == 1
    assert "refused     Departments!C2: 2 addresses for sales.pdf" in result.stderr
    assert server.handler.received == []
