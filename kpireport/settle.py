"""Waiting until a file is complete: taken once it has stopped changing for a while. Shared by
the drop folder (kpireport/watch.py), which waits for each workbook dropped in its inbox, and
the preview (kpireport/preview/session.py), which waits for a save of the workbook it shows.

Office suites, browsers and copying tools write a file in pieces, or to a temporary name that is
renamed over the old one at the end: no single look tells a complete file from one mid-write, so
a file counts once looks some time apart have seen it the same.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

Signature = tuple[int, int, int, int]


def signature(path: Path, follow_symlinks: bool = False) -> Signature | None:
    """What changes when ``path`` is written or replaced: its inode, size, modification and
    status-change times (ctime changes on every write, and no copying tool can set it back);
    None when there is no such file. A link is judged by itself unless ``follow_symlinks``."""
    try:
        st = os.stat(path, follow_symlinks=follow_symlinks)
    except (OSError, ValueError):
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def replaced(before: Signature | None, now: Signature | None) -> bool:
    """Whether ``now`` is another file than ``before`` (or than none): a file there, with
    another inode. What a save leaves that writes a temporary file and renames it over the old
    one (Excel, LibreOffice, most editors), and that file is whole the moment it is there; a
    file written in place keeps its inode. A file deleted and written anew under its own name
    has another inode too, and is whole only once written: who takes a replaced file at once
    (the preview) must be ready to find it incomplete."""
    return now is not None and (before is None or now[0] != before[0])


@dataclass
class Settling:
    """A file (or a set of files, by their signatures together) and since when it has not
    changed."""

    signature: object  # compared with ==
    since: float  # time.monotonic() when the signature was last different

    def changed(self, signature: object, now: float) -> bool:
        """Look again at ``now``: True (and the wait starts over) when ``signature`` differs."""
        if signature == self.signature:
            return False
        self.signature, self.since = signature, now
        return True

    def settled(self, now: float, seconds: float) -> bool:
        """Whether it has not changed for ``seconds`` at ``now``."""
        return now - self.since >= seconds
