"""One SMTP conversation under a deadline, its replies read with a size limit: what ``smtplib``
lacks against a server that drips its greeting, floods ``220-`` lines, or says nothing after a
message (``smtplib``'s timeout is per read, and it keeps every line of a reply)."""

from __future__ import annotations

import smtplib
import socket
import ssl
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

# The most one reply may hold, all its lines together. An EHLO answer, the longest a real server
# gives, is well under 1 KiB; RFC 5321 allows 512 bytes a line.
MAX_REPLY = 64 * 1024
_CHUNK = 64 * 1024  # written at a time, so that every piece waits at most until the deadline


class TooSlow(smtplib.SMTPException):
    """The server did not finish an exchange before its deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the server did not finish within {seconds:g} s "
            "(KPIREPORT_SMTP_TIMEOUT, or timeout in [smtp])"
        )


class TooLong(smtplib.SMTPException):
    """A reply of the server is longer than :data:`MAX_REPLY`."""

    def __init__(self) -> None:
        super().__init__(f"the server's reply is longer than {MAX_REPLY // 1024} KiB")


class Conversation(smtplib.SMTP):
    """``smtplib.SMTP`` under a deadline: connecting, the TLS handshakes, every write and every
    read wait at most until ``deadline``, never a timeout each. Opening it (the greeting; then
    EHLO, STARTTLS and the login, as the caller does them) runs under the first deadline, and
    :meth:`restart` starts one for each further message.

    ``unanswered`` is True from the moment a message's final dot has gone until the server's
    reply to it is in: if the conversation breaks in between, the server may have the message.
    Socket timeouts here are always the time left, so a ``TimeoutError`` from ``smtplib``'s own
    code (the STARTTLS handshake) means the deadline has passed too.
    """

    def __init__(
        self, host: str, port: int, seconds: float, implicit_tls: ssl.SSLContext | None
    ) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.implicit_tls = implicit_tls
        self.unanswered = False
        # read and not yet taken as a line, from ``_source``: after STARTTLS the socket changes,
        # and what the server sent before TLS began is dropped, not read as a reply
        self._buffer = b""
        self._source: socket.socket | None = None
        super().__init__(timeout=seconds)  # no host: nothing happens yet
        self._host = host  # STARTTLS checks the certificate against it
        code, message = self.connect(host, port)
        if code != 220:
            self.close()
            raise smtplib.SMTPConnectError(code, message)

    def restart(self) -> None:
        """A new message on this connection: a new deadline."""
        self.deadline = time.monotonic() + self.seconds

    def _left(self) -> float:
        """The seconds left before the deadline; :class:`TooSlow` when there are none."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.close()
            raise TooSlow(self.seconds)
        return left

    def _broken(self, exc: OSError, what: str) -> smtplib.SMTPException:
        """The exception for a read or write that failed with ``exc``: the connection is
        closed, and a timeout is the deadline's."""
        self.close()
        if isinstance(exc, TimeoutError):
            return TooSlow(self.seconds)
        return smtplib.SMTPServerDisconnected(f"{what}: {exc}")

    def _get_socket(self, host: str, port: int, timeout: float | None) -> socket.socket:
        try:
            sock = socket.create_connection((host, port), self._left(), self.source_address)
        except TimeoutError:
            raise TooSlow(self.seconds) from None
        try:
            if self.implicit_tls is not None:
                # the handshake waits at most the time left when it starts (ssl's own deadline)
                return self.implicit_tls.wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise
        return sock

    def send(self, s: ReadableBuffer | str) -> None:
        """Write ``s`` in pieces, each piece waiting at most until the deadline."""
        if self.sock is None:
            raise smtplib.SMTPServerDisconnected("please run connect() first")
        data = s.encode(self.command_encoding) if isinstance(s, str) else bytes(s)
        sys.audit("smtplib.send", self, data)
        view = memoryview(data)
        for start in range(0, len(data), _CHUNK):
            self.sock.settimeout(self._left())
            try:
                self.sock.sendall(view[start : start + _CHUNK])
            except OSError as exc:
                raise self._broken(exc, "Server not connected") from None
        # smtplib.data() sends a whole message, with its final dot, in one call
        if data.endswith(b"\r\n.\r\n"):
            self.unanswered = True

    def getreply(self) -> tuple[int, bytes]:
        """The next reply, as ``smtplib`` gives it: its code (-1 when it has none) and the text
        of its lines. :class:`TooLong` past :data:`MAX_REPLY`, :class:`TooSlow` past the
        deadline."""
        lines: list[bytes] = []
        size = 0
        while True:
            line = self._readline(MAX_REPLY - size)
            size += len(line)
            lines.append(line[4:].strip(b" \t\r\n"))
            try:
                code = int(line[:3])
            except ValueError:
                return -1, b"\n".join(lines)  # not a reply: whatever was asked is unanswered
            if line[3:4] != b"-":
                break
        self.unanswered = False
        return code, b"\n".join(lines)

    def _readline(self, limit: int) -> bytes:
        """One line of at most ``limit`` bytes."""
        if self._source is not self.sock:
            self._buffer, self._source = b"", self.sock
        while (end := self._buffer.find(b"\n", 0, limit)) < 0:
            if len(self._buffer) >= limit:
                self.close()
                raise TooLong()
            if self.sock is None:
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            self.sock.settimeout(self._left())
            try:
                chunk = self.sock.recv(4096)
            except OSError as exc:
                raise self._broken(exc, "Connection unexpectedly closed") from None
            if not chunk:
                self.close()
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            self._buffer += chunk
        line, self._buffer = self._buffer[: end + 1], self._buffer[end + 1 :]
        return line
