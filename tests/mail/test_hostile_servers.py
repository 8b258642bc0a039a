"""``kpireport send`` against SMTP servers that misbehave on purpose (issue 12, point 6): a
greeting dripped a line or a byte at a time, a flood of ``220-`` lines, a server that takes a
message and then drops the connection or says nothing. The client runs as a child process, as
it does from cron, and is measured: how long it takes to give up, its peak memory, and how many
copies of a message the server received."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.mail.conftest import Server
from tests.mail.hostile import after_data, drip_banner, flood_banner, scripted, send_in_child

DEADLINE = 2.0  # KPIREPORT_SMTP_TIMEOUT in these tests, seconds
# Starting Python and kpireport and reading the report set, measured at about 1 s here: the
# margin allows for a busy machine.
START_UP = 6.0


@pytest.mark.parametrize("bytewise", [False, True], ids=["a line at a time", "a byte at a time"])
def test_a_dripped_greeting_does_not_keep_send_waiting_past_the_deadline(
    en: Path, tmp_path: Path, bytewise: bool
) -> None:
    """One banner line every 0.3 s (or one byte of it) never lets a per-read timeout expire; the
    deadline covers the whole conversation, and a server that misses it is not tried again in
    this run. Before: send waited until the server gave up (20 s here, for ever in the issue)."""
    with scripted(drip_banner(every=0.3, limit=20, bytewise=bytewise)) as server:
        run = send_in_child([str(en)], server.port, tmp_path / "work", DEADLINE)

    assert run.exit_code == 1
    assert run.seconds < DEADLINE + START_UP, run
    assert server.accepted == 1  # no second try against a server that missed the deadline
    assert f"did not finish within {DEADLINE:g} s (KPIREPORT_SMTP_TIMEOUT" in run.stderr
    assert run.stderr.count("failed      ") == 4, run.stderr  # every message, named
    assert not (en / "sent.json").exists()


def test_a_flood_of_greeting_lines_is_cut_off_and_memory_stays_flat(
    en: Path, tmp_path: Path, server: Server
) -> None:
    """64 MB of ``220-`` lines: the client stops reading at the reply size limit. Its peak memory
    is compared with the same child sending the same set through a server that behaves. Before:
    the client held every line (about 150 MB more for 64 MB, 1.5 GB in the issue)."""
    normal = send_in_child([str(en)], server.port, tmp_path / "normal", DEADLINE)
    assert normal.exit_code == 0, normal.stderr
    (en / "sent.json").unlink()

    with scripted(flood_banner(64 * 1_048_576), connections=4) as flood:
        run = send_in_child([str(en)], flood.port, tmp_path / "flood", DEADLINE)

    assert run.exit_code == 1
    assert "reply is longer than 64 KiB" in run.stderr, run.stderr
    assert flood.accepted == 1
    assert run.peak_mb - normal.peak_mb < 16, (run.peak_mb, normal.peak_mb)


@pytest.mark.parametrize("then", ["drop", "silent"])
def test_a_message_without_an_answer_to_its_data_goes_at_most_twice(
    en: Path, tmp_path: Path, server: Server, then: str
) -> None:
    """The server receives the whole message, then drops the connection (or says nothing past
    the deadline): the message is tried once more, then recorded as unconfirmed, and the rest
    are not tried against this server. Before: four copies of the first message."""
    with scripted(after_data(then, limit=8), connections=6) as hostile:
        run = send_in_child([str(en)], hostile.port, tmp_path / "work", DEADLINE)

    assert hostile.copies == 2, run.stderr
    assert run.exit_code == 1
    assert run.stderr.count("retrying    ") == 1
    assert "may have arrived" in run.stderr
    assert run.seconds < 2 * DEADLINE + START_UP + 1

    # sent.json records it as unconfirmed, so no later run sends a third copy unasked
    (entry,) = json.loads((en / "sent.json").read_text())["messages"]
    assert entry["unconfirmed"] is True
    second = send_in_child([str(en)], server.port, tmp_path / "again", DEADLINE)
    assert len(server.handler.received) == 3  # the set's other messages, once each
    assert f"skipped     {entry['file']} to {entry['recipient']}" in second.stderr
    assert "may have arrived" in second.stderr
