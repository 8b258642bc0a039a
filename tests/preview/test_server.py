"""The preview's HTTP server (issue 17, point 5), with a real server on an ephemeral port and
real HTTP requests: it serves its folder's files, read-only, to pages of its own host only."""

from __future__ import annotations

import http.client
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpireport.preview.server import EVENTS, MAX_STREAMS, RELOAD_SCRIPT, PreviewServer, Reloads


@pytest.fixture
def served(tmp_path: Path) -> Iterator[PreviewServer]:
    root = tmp_path / "reports"
    (root / "acme").mkdir(parents=True)
    (root / "index.html").write_text("<!DOCTYPE html><html><body><p>index</p></body></html>")
    (root / "acme" / "sales.html").write_text("<html><body>sales</body></html>")
    (root / "acme" / "sales.pdf").write_bytes(b"%PDF-1.7")
    (tmp_path / "secret.txt").write_text("not for the browser")
    server = PreviewServer(root)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def request(
    server: PreviewServer, path: str, method: str = "GET", host: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.putrequest(method, path, skip_host=True)
    connection.putheader("Host", host if host is not None else f"127.0.0.1:{server.port}")
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), body


def test_it_serves_the_folder_with_the_reload_script_in_html_only(served: PreviewServer) -> None:
    status, headers, body = request(served, "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert body.endswith(RELOAD_SCRIPT + b"</body></html>")
    assert (served.root / "index.html").read_bytes().count(b"<script") == 0  # not on disk
    status, headers, body = request(served, "/acme/sales.pdf")
    assert (status, headers["Content-Type"], body) == (200, "application/pdf", b"%PDF-1.7")
    status, headers, body = request(served, "/acme/sales.html", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/acme/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/acme%2f..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/acme/",  # a folder: no listing
        "/acme",
        "/missing.html",
        "/index.html%00.pdf",
    ],
)
def test_nothing_outside_the_folder_and_no_listing(served: PreviewServer, path: str) -> None:
    status, _headers, body = request(served, path)
    assert status == 404 and b"not for the browser" not in body


def test_a_link_out_of_the_folder_is_not_followed(served: PreviewServer, tmp_path: Path) -> None:
    os.symlink(tmp_path / "secret.txt", served.root / "link.html")
    assert request(served, "/link.html")[0] == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
def test_only_get_and_head(served: PreviewServer, method: str) -> None:
    status, headers, _body = request(served, "/index.html", method=method)
    assert status == 405 and headers["Allow"] == "GET, HEAD"
    assert (served.root / "index.html").exists()


@pytest.mark.parametrize(
    "host", ["evil.example:{port}", "127.0.0.1", "localhost:1", "127.0.0.2:{port}", ""]
)
def test_other_host_headers_are_refused(served: PreviewServer, host: str) -> None:
    """A page of another site whose name was made to point here (DNS rebinding) sends its own
    name as Host: refused, whatever it asks for."""
    status, _headers, body = request(served, "/index.html", host=host.format(port=served.port))
    assert status == 421 and b"index" not in body


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", "[::1]"])
def test_the_loopback_names_are_accepted(served: PreviewServer, name: str) -> None:
    assert request(served, "/", host=f"{name}:{served.port}")[0] == 200


def test_open_pages_hear_of_a_rebuild(served: PreviewServer) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as s:
        s.sendall(f"GET {EVENTS} HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\n\r\n".encode())
        head = s.recv(4096)
        assert b" 200 " in head and b"text/event-stream" in head
        served.reloads.announce()
        data = b""
        while b"event: reload" not in data:
            data += s.recv(4096)


def test_the_number_of_open_streams_is_bounded(served: PreviewServer) -> None:
    sockets = []
    try:
        for _ in range(MAX_STREAMS):
            s = socket.create_connection(("127.0.0.1", served.port), timeout=5)
            s.sendall(f"GET {EVENTS} HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\n\r\n".encode())
            assert b" 200 " in s.recv(4096)
            sockets.append(s)
        assert request(served, EVENTS)[0] == 503
        assert request(served, "/")[0] == 200  # pages are still served
    finally:
        for s in sockets:
            s.close()


def test_reloads_count_their_streams_up_to_the_limit() -> None:
    """The handler opens and closes streams through Reloads, never through its lock."""
    reloads = Reloads()
    assert all(reloads.open_stream() for _ in range(MAX_STREAMS))
    assert not reloads.open_stream() and reloads.streams == MAX_STREAMS
    reloads.close_stream()
    assert reloads.open_stream() and reloads.streams == MAX_STREAMS
