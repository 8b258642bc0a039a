"""Content hashes: the keys of the rebuild cache (what a file is made from) and the checksums
of the files a build wrote."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def digest(*parts: object) -> str:
    """One hash of ``parts``: bytes as they are, anything else as its JSON (keys sorted)."""
    h = hashlib.sha256()
    for part in parts:
        data = (
            part
            if isinstance(part, bytes)
            else json.dumps(part, sort_keys=True, default=str).encode()
        )
        h.update(hashlib.sha256(data).digest())
    return h.hexdigest()


def sha256(data: bytes) -> str:
    """The hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of the file at ``path``, read in pieces."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
