"""Writing a PDF object by object as it is made, so that the writer holds no more than the
object numbers and offsets: assemble.py puts a board pack of thousands of pages together one
part at a time, where qpdf (through pikepdf) would hold every object of every part until the
whole was saved (about 0.8 MB a tagged page).

Objects that are not streams go into compressed object streams, and the cross-reference table is
a cross-reference stream (PDF 1.5; PDF/A-2 and -3 allow both). :class:`Importer` copies the
objects of one opened PDF (pikepdf) into the writer under new numbers, following references,
so that each object of a part is read, written and let go once.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from collections.abc import Callable
from decimal import Decimal
from typing import IO, Any

# In qpdf's unparsed form of an object: a literal string (qpdf escapes every parenthesis and
# backslash in one), a hexadecimal string, or a reference "12 0 R". Strings are matched first so
# that text inside one is never taken for a reference.
_TOKENS = re.compile(rb"\((?:[^\\)]|\\.)*\)|<[0-9A-Fa-f\s]*>|(?<![\w.#/+-])(\d+) (\d+) R")
OBJECT_STREAM = 200  # objects in one object stream
_ROW = 7  # bytes of a cross-reference stream's row: /W [1 4 2]
_ZLIB_LEVEL = 6


class PdfWriter:
    """A PDF written to ``out`` as objects are :meth:`put`; :meth:`close` writes the
    cross-reference stream and the trailer. Object numbers come from :meth:`reserve`, in any
    order of writing."""

    def __init__(self, out: IO[bytes], version: str) -> None:
        self.out = out
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._at = 0
        self._count = 0
        # the cross-reference stream's row of each object number, 7 bytes from 7 x number:
        # (1, offset, 0) for an object of its own, (2, object stream, index) for one inside an
        # object stream, zeros for a number never written (a board pack has a million objects:
        # a dict of tuples took 200 MB)
        self._rows = bytearray(_ROW)  # object 0, the head of the free list
        self._rows[5:7] = b"\xff\xff"
        self._pending: list[tuple[int, bytes]] = []
        # the comment of bytes above 127 that marks the file as binary (PDF/A asks for it)
        self._emit(f"%PDF-{version}\n".encode() + b"%\xe2\xe3\xcf\xd3\n")

    def reserve(self) -> int:
        """A new object number."""
        self._count += 1
        self._rows += bytes(_ROW)
        return self._count

    def put(self, number: int, body: bytes) -> None:
        """Object ``number`` (not a stream): ``body`` is its unparsed form."""
        self._pending.append((number, body))
        if len(self._pending) >= OBJECT_STREAM:
            self._flush()

    def put_stream(self, number: int, dictionary: bytes, data: bytes) -> None:
        """Stream ``number``: ``dictionary`` is its dictionary without /Length (``<< ... >>``),
        ``data`` its bytes as they are to be stored (encoded by its /Filter)."""
        self._place(number, 1, self._at, 0)
        head = dictionary[:-2].rstrip() + b" /Length %d >>" % len(data)
        self._emit(b"%d 0 obj\n%s\nstream\n" % (number, head) + data + b"\nendstream\nendobj\n")

    def close(self, root: int, info: int | None) -> None:
        """Write what is pending, the cross-reference stream and the trailer."""
        self._flush()
        xref = self.reserve()
        self._place(xref, 1, self._at, 0)
        # the file's identifier: a digest of everything written before it, so that the same
        # parts give the same bytes
        file_id = self._md5.hexdigest().encode()
        trailer = b"/Root %d 0 R /ID [<%s> <%s>]" % (root, file_id, file_id)
        if info is not None:
            trailer += b" /Info %d 0 R" % info
        data = zlib.compress(self._rows, _ZLIB_LEVEL)
        head = b"<< /Type /XRef /Size %d /W [1 4 2] /Filter /FlateDecode %s >>" % (
            self._count + 1,
            trailer,
        )
        at = self._at
        self.put_stream(xref, head, data)
        self._emit(b"startxref\n%d\n%%%%EOF\n" % at)

    def _flush(self) -> None:
        """The pending objects, as one compressed object stream."""
        if not self._pending:
            return
        stream = self.reserve()
        offsets, bodies, at = [], [], 0
        for index, (number, body) in enumerate(self._pending):
            self._place(number, 2, stream, index)
            offsets.append(b"%d %d" % (number, at))
            bodies.append(body)
            at += len(body) + 1
        header = b" ".join(offsets) + b"\n"
        data = zlib.compress(header + b"\n".join(bodies) + b"\n", _ZLIB_LEVEL)
        self._pending = []
        dictionary = b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode >>" % (
            len(offsets),
            len(header),
        )
        self.put_stream(stream, dictionary, data)

    def _place(self, number: int, kind: int, first: int, second: int) -> None:
        struct.pack_into(">BIH", self._rows, _ROW * number, kind, first, second)

    def _emit(self, data: bytes) -> None:
        self.out.write(data)
        self._md5.update(data)
        self._at += len(data)


class Importer:
    """The objects of ``pdf`` (an open pikepdf.Pdf) copied into ``writer``: :meth:`number` gives
    an object its number in the output and queues it, :meth:`flush` writes everything queued
    and everything it refers to. ``numbers`` maps objects (by ``objgen``) that are not to be
    copied to what stands for them in the output (a part's page tree to the whole's).
    ``same``: an object's fingerprint, or None, for objects to write once for every part (an
    image that every part embeds, such as the logo); ``shared`` maps fingerprints to numbers
    across importers."""

    def __init__(
        self,
        writer: PdfWriter,
        pdf: Any,
        numbers: dict[tuple[int, int], int] | None = None,
        same: Callable[[Any], bytes | None] | None = None,
        shared: dict[bytes, int] | None = None,
    ) -> None:
        self.writer = writer
        self.pdf = pdf
        self.numbers: dict[tuple[int, int], int] = dict(numbers or {})
        self._same = same
        self._shared = shared if shared is not None else {}
        self._queue: list[Any] = []
        self._refs: dict[bytes, bytes] = {}  # a reference as the part writes it: as the output
        # Called with each object that is not a stream whose unparsed form ``retouch_marks``
        # finds something in, that form and its number in the output, before it is written:
        # True when it changed the object (then written as changed).
        self.retouch: Callable[[Any, bytes, int], bool] | None = None
        self.retouch_marks: re.Pattern[bytes] = re.compile(rb"(?!)")  # by default, none

    def number(self, obj: Any) -> int:
        """The output's number of indirect object ``obj`` (of this importer's PDF)."""
        return self._number(obj.objgen)

    def text(self, obj: Any) -> bytes:
        """``obj`` as it is to be written: its direct form (a reference, for an indirect
        object that is a value in another), with every reference renumbered."""
        if not hasattr(obj, "unparse"):  # pikepdf gives numbers and booleans as Python's
            return _scalar(obj)
        return _TOKENS.sub(self._renumber, obj.unparse())

    def entries(self, dictionary: Any, skip: tuple[str, ...] = ()) -> bytes:
        """The entries of ``dictionary`` but those of ``skip`` (keys), written as in a
        dictionary (``/Key value /Key value``), references renumbered."""
        return b" ".join(
            _name(key) + b" " + self.text(dictionary[key]) for key in dictionary if key not in skip
        )

    def flush(self) -> None:
        """Write every object queued, and those they refer to."""
        import pikepdf

        while self._queue:
            obj = self._queue.pop()
            number = self.numbers[obj.objgen]
            if isinstance(obj, pikepdf.Stream):
                dictionary = b"<< " + self.entries(obj.stream_dict, skip=("/Length",)) + b" >>"
                self.writer.put_stream(number, dictionary, obj.read_raw_bytes())
            else:
                text = obj.unparse(resolved=True)
                retouch = self.retouch
                if retouch and self.retouch_marks.search(text) and retouch(obj, text, number):
                    text = obj.unparse(resolved=True)
                self.writer.put(number, _TOKENS.sub(self._renumber, text))

    def _number(self, objgen: tuple[int, int]) -> int:
        number = self.numbers.get(objgen)
        if number is None:
            obj = self.pdf.get_object(objgen)
            fingerprint = self._same(obj) if self._same is not None else None
            if fingerprint is not None and fingerprint in self._shared:
                number = self._shared[fingerprint]
            else:
                number = self.writer.reserve()
                self._queue.append(obj)
                if fingerprint is not None:
                    self._shared[fingerprint] = number
            self.numbers[objgen] = number
        return number

    def _renumber(self, match: re.Match[bytes]) -> bytes:
        token = match.group(0)
        done = self._refs.get(token)
        if done is not None:
            return done
        if match.group(1) is None:  # a string
            return token
        done = self._refs[token] = b"%d 0 R" % self._number(
            (int(match.group(1)), int(match.group(2)))
        )
        return done


def _scalar(value: Any) -> bytes:
    """A number, a boolean or null as the PDF writes it (no exponent)."""
    if value is None:
        return b"null"
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, int):
        return b"%d" % value
    text = format(Decimal(value), "f")
    return (text.rstrip("0").rstrip(".") if "." in text else text).encode() or b"0"


def _name(key: str) -> bytes:
    import pikepdf

    return bytes(pikepdf.Name(key).unparse())


def pdf_string(text: str) -> bytes:
    """``text`` as a PDF string (PDFDocEncoding, or UTF-16 for what that cannot encode)."""
    import pikepdf

    return bytes(pikepdf.String(text).unparse())
