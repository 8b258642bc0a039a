"""Addresses and free text from the workbook, made safe for a header: checked, quoted, on one
line, with every control character shown as an escape."""

from __future__ import annotations

import re
from email.errors import HeaderParseError
from email.headerregistry import Address
from typing import Any

from kpireport.printable import printable as visible

# Control characters, NEL and the Unicode line and paragraph separators: anything that could end
# a header line in some reader.
_BREAK = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
_LINE_END = re.compile(r"[\n\v\f\r\x85\u2028\u2029]")


def has_line_break(text: str) -> bool:
    """A control character (a line break, NUL ...), NEL or a Unicode line or paragraph separator
    in ``text``. Encoded forms (``%0d%0a``, ``=0D=0A``, ``&#13;``, an RFC 2047 encoded word) are
    not line breaks: an address is written into its header as it is, never decoded, so they
    cannot start a header line (and ``Address`` refuses an encoded word in an address)."""
    return _BREAK.search(text) is not None


def check_address(value: Any) -> tuple[str | None, str | None]:
    """``(address, None)`` for a usable email address, ``(None, reason)`` otherwise. The same
    rule as the workbook reader, no line break, and one address the email package accepts (in
    the form it is sent in: an internationalized domain in punycode)."""
    from kpireport.workbook import email_address
    from kpireport.workbook.addresses import wire_address

    if not isinstance(value, str):
        return None, "is not an email address"
    if has_line_break(value):
        return None, "has a line break in it: a header injection attempt"
    address = email_address(value)
    if address is None or address != value.strip():
        return None, "is not an email address"
    try:
        Address(addr_spec=wire_address(address))
    except (ValueError, IndexError, HeaderParseError):  # the email package disagrees: refuse
        return None, "is not an email address"
    return address, None


def printable(text: str) -> str:
    """``text`` quoted, its control characters escaped, so a log line stays one line."""
    return f"'{visible(text)}'"


def one_line(text: Any) -> str:
    """Text whose line breaks are layout, on one line: a subject as a template wrote it, a
    server's reply of several lines. A line break becomes a space; anything else :func:`visible`
    escapes (ESC, a bidi control) is shown as an escape."""
    return " ".join(visible(_LINE_END.sub(" ", str(text))).split())
