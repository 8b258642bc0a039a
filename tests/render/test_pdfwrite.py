"""The PDF writer of assemble.py (kpireport/render/pdfwrite.py): objects written as they come,
in compressed object streams with a cross-reference stream, and the objects of an open PDF
copied under new numbers without reading a string's text as a reference."""

from __future__ import annotations

import io

import pikepdf
from pypdf import PdfReader

from kpireport.render.pdfwrite import OBJECT_STREAM, Importer, PdfWriter, pdf_string


def _source() -> pikepdf.Pdf:
    """A page whose dictionary holds strings that look like references, and two references
    to one object."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 100))
    shared = pdf.make_indirect(pikepdf.Dictionary(Kind=pikepdf.Name.Shared, Size=2.5))
    page = pdf.pages[0].obj
    page.Note = pikepdf.String("see 12 0 R (and 3 0 R)")
    page.Binary = pikepdf.String(b"\x00\xff 4 0 R")
    page.First = shared
    page.Again = pikepdf.Array([shared, 7, True, None])
    page.Contents = pdf.make_stream(b"0 0 1 rg 10 10 50 50 re f")
    return pdf


def _write(source: pikepdf.Pdf, extra: int = 0) -> bytes:
    """``source``'s page as the only page of a new PDF, with ``extra`` objects of its own."""
    out = io.BytesIO()
    writer = PdfWriter(out, "1.7")
    pages = writer.reserve()
    page = source.pages[0].obj
    part = Importer(writer, source, {page.Parent.objgen: pages})
    number = part.number(page)
    part.flush()
    for n in range(extra):
        writer.put(writer.reserve(), b"<< /Extra %d >>" % n)
    writer.put(pages, b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % number)
    catalog = writer.reserve()
    writer.put(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % pages)
    writer.close(catalog, None)
    return out.getvalue()


def test_the_copy_reads_back_with_its_references_and_strings() -> None:
    data = _write(_source())
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert pdf.check_pdf_syntax() == []  # qpdf finds nothing wrong
        page = pdf.pages[0].obj
        assert str(page.Note) == "see 12 0 R (and 3 0 R)"
        assert bytes(page.Binary) == b"\x00\xff 4 0 R"
        assert page.First.Kind == "/Shared" and float(page.First.Size) == 2.5
        assert page.Again[0].objgen == page.First.objgen  # one object, referred to twice
        assert list(page.Again)[1:] == [7, True, None]
        assert page.Contents.read_bytes() == b"0 0 1 rg 10 10 50 50 re f"
        assert page.Parent.objgen == pdf.Root.Pages.objgen
    assert PdfReader(io.BytesIO(data)).pages[0].mediabox.width == 200


def test_objects_go_into_compressed_object_streams() -> None:
    data = _write(_source(), extra=OBJECT_STREAM + 10)
    assert data.count(b"/Type /ObjStm") == 2  # one full, one with the rest
    assert b"/Extra" not in data  # compressed
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert pdf.check_pdf_syntax() == []
        extras = [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and "/Extra" in o]
        assert sorted(int(o.Extra) for o in extras) == list(range(OBJECT_STREAM + 10))


def test_the_same_objects_give_the_same_bytes() -> None:
    assert _write(_source()) == _write(_source())
    assert _write(_source()) != _write(_source(), extra=1)


def test_text_outside_pdfdocencoding_is_written_as_utf16() -> None:
    assert pdf_string("Salg") == b"(Salg)"
    assert pdf_string("Kundetilfredshed ≥ 80 %").startswith(b"<feff")
