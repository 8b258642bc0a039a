"""E-mail addresses as people type them into a cell: lists, and bare or named addresses, at an
ASCII domain or an internationalized one (``anna@bücher.example``)."""

from __future__ import annotations

import re
import unicodedata

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})+$")
_EMAIL = re.compile(r"^([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+)@([^@]+)$")
_NAMED_ADDRESS = re.compile(r"^[^<>]*<([^<>]+)>$")
# UTS 46's deviation characters: Python's IDNA 2003 codec turns them into other letters (ß into
# "ss") where IDNA 2008 keeps them, so one name could lead to two different domains: refused.
_DEVIATIONS = frozenset("\u00df\u03c2\u200c\u200d")


def split_addresses(text: str) -> list[str]:
    """Addresses separated by ``,`` or ``;`` (line breaks too, as people paste lists)."""
    return [part.strip() for part in re.split(r"[,;\n]", text) if part.strip()]


def email_address(text: str) -> str | None:
    """The bare address of ``a@b.dk`` or ``Name <a@b.dk>``, or None when it is not one. The
    domain may be internationalized (``anna@bücher.example``): it is kept as typed, and
    :func:`wire_address` gives the form that is sent."""
    if any(ch in text for ch in "\r\n\0"):
        return None
    m = _NAMED_ADDRESS.match(text)
    address = (m.group(1) if m else text).strip()
    parts = _EMAIL.match(address)
    domain = ascii_domain(parts[2]) if parts else None
    if parts is None or domain is None or len(f"{parts[1]}@{domain}") > 254:
        return None
    return address


def wire_address(address: str) -> str:
    """An address from :func:`email_address` as it goes into the envelope and the headers: its
    domain in ASCII, an internationalized one in punycode (``anna@xn--bcher-kva.example``)."""
    local, _at, domain = address.rpartition("@")
    return f"{local}@{ascii_domain(domain) or domain}"


def ascii_domain(domain: str) -> str | None:
    """``domain`` in ASCII: as it is when it is ASCII, else encoded by IDNA (``bücher.example``
    is ``xn--bcher-kva.example``); None when it is not a domain name. Only letters, marks and
    digits of any script, hyphens and dots: a control, a bidi or zero-width character or a space
    is refused, not mapped away."""
    if not domain.isascii():
        if not all(ch in "-." or _idn_letter(ch) for ch in domain):
            return None
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:  # an empty or over-long label, a prohibited character
            return None
    return domain if _DOMAIN.match(domain) and len(domain) <= 253 else None


def _idn_letter(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LMN" and ch not in _DEVIATIONS
