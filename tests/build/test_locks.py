"""The one lock helper (kpireport/fsutil.py ``locked``): builds and senders of one folder wait
for each other; a second watcher of one inbox is refused at once, told the first one's process."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from kpireport.errors import OutputError
from kpireport.fsutil import LOCK_FILE, LockHeld, locked


def test_a_second_holder_waits_until_the_first_is_done(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    acquired = threading.Event()

    def second() -> None:
        with locked(folder):
            acquired.set()

    with locked(folder):
        thread = threading.Thread(target=second)
        thread.start()
        assert not acquired.wait(0.3)
    assert acquired.wait(10)
    thread.join(10)
    # the lock of an output folder records nothing: a rebuild with nothing to do writes nothing
    assert (folder / LOCK_FILE).read_bytes() == b""


def test_not_waiting_a_held_lock_names_its_holder(tmp_path: Path) -> None:
    with locked(tmp_path, "watch.lock", wait=False):
        assert (tmp_path / "watch.lock").read_text() == f"{os.getpid()}\n"
        with pytest.raises(LockHeld) as caught, locked(tmp_path, "watch.lock", wait=False):
            pass
        assert caught.value.holder == str(os.getpid())
        assert str(caught.value) == f"{tmp_path / 'watch.lock'} is held by process {os.getpid()}"
    with locked(tmp_path, "watch.lock", wait=False):  # the lock went with its holder
        pass


def test_a_lock_file_that_cannot_be_opened_is_an_output_error(tmp_path: Path) -> None:
    (tmp_path / LOCK_FILE).mkdir()
    with pytest.raises(OutputError) as caught, locked(tmp_path):
        pass
    assert str(caught.value) == f"cannot write in {tmp_path}: Is a directory"
