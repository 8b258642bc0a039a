"""Addresses and free text from the workbook, made safe for a header: checked, quoted, on one
line."""

from __future__ import annotations

import codecs
import contextlib
import html
import quopri
import re
from email.errors import HeaderParseError
from email.header import decode_header
from email.headerregistry import Address
from typing import Any
from urllib.parse import unquote

# Control characters, NEL and the Unicode line and paragraph separators: anything that could end
# a header line in some reader.
_BREAK = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def has_line_break(text: str) -> bool:
    """A line break or NUL in ``text``, or in a form of it decoded once or twice: percent
    (``%0d%0a``), backslash (``\\r\\n``), HTML (``&#13;``), quoted-printable (``=0D=0A``) or
    an RFC 2047 encoded word (``=?utf-8?q?...?=``)."""
    seen = {text}
    frontier = [text]
    for _ in range(2):  # doubly encoded (%250d, an encoded word holding %0d) too
        frontier = [d for t in frontier for d in _decodings(t) if d not in seen]
        seen.update(frontier)
    return any(_BREAK.search(t) for t in seen)


def _decodings(text: str) -> list[str]:
    out = [unquote(text), html.unescape(text)]
    with contextlib.suppress(UnicodeError, ValueError):
        out.append(codecs.decode(text.encode("ascii", "backslashreplace"), "unicode_escape"))
    with contextlib.suppress(UnicodeError, ValueError):
        out.append(quopri.decodestring(text.encode("utf-8")).decode("utf-8", "replace"))
    with contextlib.suppress(UnicodeError, ValueError, LookupError):
        out.append(
            "".join(
                part.decode(charset or "ascii", "replace") if isinstance(part, bytes) else part
                for part, charset in decode_header(text)
            )
        )
    return out


def check_address(value: Any) -> tuple[str | None, str | None]:
    """``(address, None)`` for a usable email address, ``(None, reason)`` otherwise. The same
    rule as the workbook reader, and no line break in any encoding."""
    from kpireport.workbook import email_address

    if not isinstance(value, str):
        return None, "is not an email address"
    if has_line_break(value):
        return None, "has a line break in it (perhaps encoded): a header injection attempt"
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
    return repr(text) if _BREAK.search(text) else f"'{text}'"


def one_line(text: Any) -> str:
    """Free text from the workbook (a company, a title, a department name) on one line: a line
    break typed in a cell (Alt+Enter) becomes a space, so it can never start a new header."""
    return " ".join(_BREAK.sub(" ", str(text)).split())
