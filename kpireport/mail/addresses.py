"""Addresses and free text from the workbook, made safe for a header: checked, quoted, on one
line."""

from __future__ import annotations

import re
from email.errors import HeaderParseError
from email.headerregistry import Address
from typing import Any

# Control characters, NEL and the Unicode line and paragraph separators: anything that could end
# a header line in some reader.
_BREAK = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def has_line_break(text: str) -> bool:
    """A control character (a line break, NUL ...), NEL or a Unicode line or paragraph separator
    in ``text``. Encoded forms (``%0d%0a``, ``=0D=0A``, ``&#13;``, an RFC 2047 encoded word) are
    not line breaks: an address is written into its header as it is, never decoded, so they
    cannot start a header line (and ``Address`` refuses an encoded word in an address)."""
    return _BREAK.search(text) is not None


def check_address(value: Any) -> tuple[str | None, str | None]:
    """``(address, None)`` for a usable email address, ``(None, reason)`` otherwise. The same
    rule as the workbook reader, no line break, and one address the email package accepts."""
    from kpireport.workbook import email_address

    if not isinstance(value, str):
        return None, "is not an email address"
    if has_line_break(value):
        return None, "has a line break in it: a header injection attempt"
    address = email_address(value)
    if address is None or address != value.strip():
        return None, "is not an email address"
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError, HeaderParseError):  # the email package disagrees: refuse
        return None, "is not an email address"
    return address, None


def printable(text: str) -> str:
    """``text`` quoted, its control characters escaped, so a log line stays one line."""
    return repr(text) if has_line_break(text) else f"'{text}'"


def one_line(text: Any) -> str:
    """Free text from the workbook (a company, a title, a department name) on one line: a line
    break typed in a cell (Alt+Enter) becomes a space, so it can never start a new header."""
    return " ".join(_BREAK.sub(" ", str(text)).split())
