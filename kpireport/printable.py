"""Text from a workbook or a file name made safe to print: every character that could move the
cursor, clear the screen, retitle the window, hide text, start a new line or reorder the text
around it is shown as an escape (``\\x1b``, ``\\n``, ``\\u202e``) instead of reaching a terminal, a
log or errors.txt.

One rule for every printer: validate's table, build's lines, the watch log, errors.txt and the
mail log all call :func:`printable` on the text they did not write themselves (or on the whole
line, since kpireport's own words never hold these characters).
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL (ESC starts every terminal sequence; C1's CSI U+009B does too in
# some terminals), the Unicode line and paragraph separators, the bidi embeddings, overrides and
# isolates (U+202A-U+202E, U+2066-U+2069) that reorder what follows, and lone surrogates (an
# undecodable byte of a file name, which no terminal can be sent as UTF-8).
_BEYOND_C0 = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNPRINTABLE = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
# json.dumps escapes the C0 controls in strings itself; its line breaks are the layout's own.
_UNPRINTABLE_IN_JSON = re.compile(f"[{_BEYOND_C0}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` (any object, as ``str()`` shows it) with its control characters made visible:
    ``'Sales\\x1b[2J'`` prints as ``Sales\\x1b[2J``, a line break as ``\\n``. Everything else,
    letters of any script and emoji included, is left as it is."""
    return _UNPRINTABLE.sub(_escape, str(text))


def printable_json(text: str) -> str:
    """JSON text from ``json.dumps`` safe to print: the characters :func:`printable` escapes
    that json.dumps leaves as they are (C1 controls, line separators, bidi controls, lone
    surrogates), written as JSON's own ``\\uXXXX`` escapes. They can only stand inside JSON
    strings, so the data is unchanged: ``json.loads`` gives back exactly what was dumped."""
    return _UNPRINTABLE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
