"""E-mail addresses as people type them into a cell: lists, and bare or named addresses."""

from __future__ import annotations

import re

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
_NAMED_ADDRESS = re.compile(r"^[^<>]*<([^<>]+)>$")


def split_addresses(text: str) -> list[str]:
    """Addresses separated by ``,`` or ``;`` (line breaks too, as people paste lists)."""
    return [part.strip() for part in re.split(r"[,;\n]", text) if part.strip()]


def email_address(text: str) -> str | None:
    """The bare address of ``a@b.dk`` or ``Name <a@b.dk>``, or None when it is not one."""
    if any(ch in text for ch in "\r\n\0"):
        return None
    m = _NAMED_ADDRESS.match(text)
    address = (m.group(1) if m else text).strip()
    return address if _EMAIL.match(address) and len(address) <= 254 else None
