"""Misbehaving SMTP servers on 127.0.0.1, each a plain socket server in a thread, and a way to run
``kpireport send`` in a child process and measure it (wall time, peak memory, exit code).

Every server is bounded: it serves a fixed number of connections, sends a fixed number of bytes
or for a fixed time, and stops with the test, so a client that does not give up makes the test
fail, never hang."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import ROOT
from tests.peak import measured, peak_mb

# One connection's behaviour: given the socket and the server, talk until done.
Behaviour = Callable[[socket.socket, "ScriptedServer"], None]


@dataclass
class ScriptedServer:
    """Accepts up to ``connections`` connections, one after the other, and plays ``behaviour``
    on each; ``copies`` counts the messages it received in full (up to the final dot)."""

    behaviour: Behaviour
    connections: int = 1
    copies: int = 0
    accepted: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = int(self.listener.getsockname()[1])
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        with self.listener:
            while self.accepted < self.connections and not self.stop.is_set():
                try:
                    conn, _addr = self.listener.accept()
                except TimeoutError:
                    continue
                self.accepted += 1
                with conn, contextlib.suppress(OSError):
                    conn.settimeout(0.2)
                    self.behaviour(conn, self)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(10)

    def sleep(self, seconds: float) -> bool:
        """Wait; False when the test is over (stop at once)."""
        return not self.stop.wait(seconds)


def read_line(conn: socket.socket, server: ScriptedServer, limit: float = 30) -> bytes:
    """One line from the client (b"" when it went away, or after ``limit`` seconds)."""
    data = b""
    end = time.monotonic() + limit
    while not data.endswith(b"\n") and time.monotonic() < end and not server.stop.is_set():
        try:
            chunk = conn.recv(1)
        except TimeoutError:
            continue
        if not chunk:
            return b""
        data += chunk
    return data


def client_gone(conn: socket.socket) -> bool:
    """The client has closed its end (or sent something, which these servers ignore)."""
    try:
        return conn.recv(65536) == b""
    except TimeoutError:
        return False


def drip_banner(every: float, limit: float, *, bytewise: bool = False) -> Behaviour:
    """A greeting that never ends: a ``220-`` line (or one byte of one line) every ``every``
    seconds, for at most ``limit`` seconds, then the connection is closed."""

    def play(conn: socket.socket, server: ScriptedServer) -> None:
        end = time.monotonic() + limit
        line = b"220-mail.example.com ESMTP, almost ready\r\n"
        while time.monotonic() < end and server.sleep(every):
            for piece in [line[i : i + 1] for i in range(len(line))] if bytewise else [line]:
                conn.sendall(piece)
                if bytewise and not server.sleep(every):
                    return

    return play


def flood_banner(total: int) -> Behaviour:
    """``220-`` lines as fast as the client reads them, ``total`` bytes in all, then a last
    ``220`` line and the connection closed."""

    def play(conn: socket.socket, server: ScriptedServer) -> None:
        line = b"220-flood flood flood flood flood flood flood flood flood flood\r\n"
        chunk = line * (1_048_576 // len(line))
        sent = 0
        conn.settimeout(10)
        while sent < total and not server.stop.is_set():
            conn.sendall(chunk)
            sent += len(chunk)
        conn.sendall(b"220 ready\r\n")

    return play


def after_data(then: str, limit: float = 10) -> Behaviour:
    """An ordinary server up to the end of DATA; then ``"drop"`` closes the connection without
    an answer, ``"silent"`` says nothing for ``limit`` seconds (or until the client leaves)."""

    def play(conn: socket.socket, server: ScriptedServer) -> None:
        conn.sendall(b"220 mail.example.com ESMTP\r\n")
        while line := read_line(conn, server):
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                conn.sendall(b"250-mail.example.com\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                while (body := read_line(conn, server)) not in (b".\r\n", b""):
                    pass
                if body:
                    server.copies += 1
                if then == "drop":
                    return
                end = time.monotonic() + limit
                while time.monotonic() < end and not client_gone(conn):
                    pass
                return
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:  # MAIL, RCPT, RSET, NOOP
                conn.sendall(b"250 OK\r\n")

    return play


@contextlib.contextmanager
def scripted(behaviour: Behaviour, connections: int = 1) -> Iterator[ScriptedServer]:
    """A :class:`ScriptedServer`, stopped when the block ends."""
    server = ScriptedServer(behaviour, connections)
    try:
        yield server
    finally:
        server.close()


@dataclass(frozen=True)
class Run:
    """What a ``kpireport send`` child process did."""

    exit_code: int
    seconds: float  # wall time, start to exit
    peak_mb: float  # its own peak resident memory (tests/peak.py)
    stderr: str


def send_in_child(args: list[str], port: int, workdir: Path, timeout: float | None) -> Run:
    """``kpireport send ARGS`` in a child process against 127.0.0.1:``port`` (no TLS, no
    login), with ``KPIREPORT_SMTP_TIMEOUT`` set to ``timeout`` (unless None); killed after 120 s."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KPIREPORT_")}
    env.update(
        KPIREPORT_SMTP_HOST="127.0.0.1",
        KPIREPORT_SMTP_PORT=str(port),
        KPIREPORT_SMTP_FROM="reports@example.com",
        KPIREPORT_SMTP_TLS="none",
        PYTHONPATH=str(ROOT),
    )
    if timeout is not None:
        env["KPIREPORT_SMTP_TIMEOUT"] = str(timeout)
    workdir.mkdir(parents=True, exist_ok=True)
    errors = workdir / "stderr.txt"
    with errors.open("wb") as err:
        start = time.monotonic()
        proc = subprocess.Popen(
            measured([sys.executable, "-m", "kpireport", "send", *args], workdir / "peak-kb"),
            cwd=workdir,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        killer = threading.Timer(120, proc.kill)
        killer.start()
        try:
            proc.wait()
        finally:
            killer.cancel()
        seconds = time.monotonic() - start
    return Run(proc.returncode, seconds, peak_mb(workdir / "peak-kb"), errors.read_text())
