"""Shared by the mail tests: two report sets built once per run (English and Danish), a real SMTP
server on 127.0.0.1 (aiosmtpd) that records what arrives, and a certificate for its TLS."""

from __future__ import annotations

import copy
import datetime as dt
import email
import email.policy
import ipaddress
import json
import os
import shutil
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from kpireport.build import BuildOptions, build
from kpireport.config import SmtpConfig
from kpireport.fsutil import locked
from kpireport.mail import SendOptions
from tests.conftest import kpi_row, valid_sheets, write_workbook

FAST = (0.01, 0.02)  # retry delays: three tries in all, quickly
QUICK = SendOptions(retry_delays=FAST)
SENDER = "reports@example.com"
USER, PASSWORD = "kpi-bot", "s3cret-Pa55word"


# --- report sets, built once per worker ----------------------------------------------------------


def _sheets(lang: str) -> dict[str, list[list[Any]]]:
    """English: Sales (two addresses), HR (none) and two board members: four messages.
    Danish: Salg (one address) and one board member."""
    sheets = copy.deepcopy(valid_sheets())
    months = [row[1] for row in sheets["Measurements"][1:]]
    if lang == "en":
        sheets["Departments"][1][2] = "mette@example.com; ole@example.com"
        sheets["Departments"].append(["HR", "Anders Dahl", None, "#C0504D"])
        sheets["KPIs"].append(kpi_row(id="HR-01", department="HR", name="New hires"))
        sheets["Measurements"] += [["HR-01", d, 40, None] for d in months]
        sheets["Settings"].append(["board_recipients", "chair@example.org, board@example.org"])
    else:
        sheets["Settings"][3] = ["language", "da"]
        sheets["Settings"][1] = ["company", "Fjordsol ApS"]
        sheets["Departments"][1][0:3] = ["Salg", "Mette Hansen", "mette@example.dk"]
        sheets["KPIs"][1] = kpi_row(department="Salg", name="Nye kunder pr. måned")
        sheets["Settings"].append(["board_recipients", "formand@example.dk"])
    return sheets


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``{"en": report set, "da": report set}``; copy one before changing it. Built once per
    test run: parallel workers share the run's temporary folder and take turns (a lock)."""
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "mail-report-sets"
    sets = {
        "en": root / "out" / "acme" / "2026-06-30",
        "da": root / "out" / "fjordsol" / "2026-06-30",
    }
    with locked(root):
        if not (root / "done").exists():
            paths = [
                write_workbook(root / "acme.xlsx", _sheets("en")),
                write_workbook(root / "fjordsol.xlsx", _sheets("da")),
            ]
            results = build(paths, root / "out", BuildOptions(formats=("pdf", "json"), jobs=1))
            assert all(r.ok for r in results), [r.report.issues for r in results]
            assert [r.folder for r in results] == [sets["en"], sets["da"]]
            (root / "done").touch()
    return sets


@pytest.fixture
def out(built: dict[str, Path], tmp_path: Path) -> Path:
    """A build output folder of this test's own: DIR/acme/2026-06-30, DIR/fjordsol/2026-06-30."""
    for folder in built.values():
        shutil.copytree(
            folder,
            tmp_path / "out" / folder.parent.name / folder.name,
            ignore=shutil.ignore_patterns(".kpireport*"),
        )
    return tmp_path / "out"


@pytest.fixture
def en(out: Path) -> Path:
    return out / "acme" / "2026-06-30"


@pytest.fixture
def da(out: Path) -> Path:
    return out / "fjordsol" / "2026-06-30"


# --- the SMTP server ------------------------------------------------------------------------------


@dataclass
class Handler:
    """Records what arrives; ``on_data(n)`` may answer the n-th DATA with an error (or "close");
    addresses in ``reject`` get 550 at RCPT."""

    received: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)
    data_count: int = 0
    rcpt_attempts: list[str] = field(default_factory=list)
    reject: set[str] = field(default_factory=set)
    on_data: Callable[[int], str | None] | None = None
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # mechanism, user, password

    async def handle_RCPT(  # aiosmtpd's hook names
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        self.rcpt_attempts.append(address)
        if address in self.reject:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_count += 1
        answer = self.on_data(self.data_count) if self.on_data else None
        if answer == "close":
            server.transport.close()  # the connection drops in the middle of a message
            return "421 4.3.0 closing"
        if answer:
            return answer
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 2.0.0 Queued"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        user, password = data.login.decode(), data.password.decode()
        self.logins.append((mechanism, user, password))
        # handled=False: aiosmtpd answers a failure with 535 itself
        return AuthResult(success=(user, password) == (USER, PASSWORD), handled=False)

    def pairs(self) -> list[tuple[str, str]]:
        """(report file, envelope recipient) of every message received; the report file read
        back from the attachment's name (ATTACHED), so that it compares with sent.json."""
        return [
            (REPORT_FILE.get(attachment(m)[0], attachment(m)[0]), rcpt)
            for _f, rcpts, m in self.received
            for rcpt in rcpts
        ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        """Trusts this certificate only, and checks the host name like any client."""
        return ssl.create_default_context(cafile=str(self.cert))


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost, made with cryptography."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kpireport test SMTP")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(folder / "cert.pem", folder / "key.pem")


@dataclass
class Server:
    handler: Handler
    port: int
    controller: Controller

    def config(self, tls: str = "none", **kwargs: Any) -> SmtpConfig:
        return SmtpConfig(host="127.0.0.1", port=self.port, sender=SENDER, tls=tls, **kwargs)


@pytest.fixture
def smtpd() -> Iterator[Callable[..., Server]]:
    """``smtpd(**aiosmtpd options)`` starts a server on 127.0.0.1; stopped after the test."""
    started: list[Controller] = []

    def start(handler: Handler | None = None, **options: Any) -> Server:
        handler = handler or Handler()
        port = free_port()
        if "authenticator" in options:
            options["authenticator"] = handler.authenticate
        controller = Controller(
            handler, hostname="127.0.0.1", port=port, server_hostname="localhost", **options
        )
        controller.start()
        started.append(controller)
        return Server(handler, port, controller)

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def server(smtpd: Callable[..., Server]) -> Server:
    """A plain server that accepts everything."""
    return smtpd()


def attachment(message: EmailMessage) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of the message's one attachment."""
    (part,) = list(message.iter_attachments())
    return str(part.get_filename()), part.get_content_type(), part.get_content()


def body_text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")  # as sent: CRLF line ends


def sent_pairs(folder: Path) -> list[tuple[str, str]]:
    data = json.loads((folder / "sent.json").read_text())
    return [(e["file"], e["recipient"]) for e in data["messages"]]


# What the English test workbook's PDFs are called as attachments: company, report and date.
ATTACHED = {
    "sales.pdf": "Test A-S - Sales - 2026-06-30.pdf",
    "board-pack.pdf": "Test A-S - Board pack - 2026-06-30.pdf",
}
REPORT_FILE = {name: file for file, name in ATTACHED.items()}

EN_MESSAGES = {
    ("sales.pdf", "mette@example.com"),
    ("sales.pdf", "ole@example.com"),
    ("board-pack.pdf", "chair@example.org"),
    ("board-pack.pdf", "board@example.org"),
}
