"""WeasyPrint imported without asking a C compiler where its libraries are: for the PDF workers'
fork server (render/warm.py), whose start-up every build waits for.

WeasyPrint loads each C library it uses (GObject, Pango, HarfBuzz, fontconfig) by trying a list
of names, one for each platform, in an order that puts the Windows and MSYS names first. Through
cffi, every name that does not load as it is written goes to ``ctypes.util.find_library``, which
on Linux runs ``ldconfig -p``, then ``gcc`` and then ``ld``: on Debian 12 that is 22 look-ups
for 7 libraries, 16 of them for names no library there has, and 0.19 s of the 0.47 s WeasyPrint
took to import. Each list also holds the library's Linux name (``libpango-1.0.so.0``), which the
dynamic linker loads directly, from the same cache ``ldconfig -p`` prints. So WeasyPrint is
imported first with the look-up answering "not found" at once: the Linux names load, the same
files as before. Where a library it needs does not load by such a name (another system), the
import fails and runs again with ctypes' own look-up.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import importlib
import io
from collections.abc import Iterator


def import_weasyprint() -> None:
    """Import WeasyPrint, its libraries loaded by the names the dynamic linker knows; should
    one it needs not load so, with ctypes' own look-up (see the module's docstring)."""
    try:
        # WeasyPrint prints its installation advice on stdout when a library is missing: not
        # for a first try that is not the last
        with _no_look_up(), contextlib.redirect_stdout(io.StringIO()):
            importlib.import_module("weasyprint")
    except OSError:
        # Python forgets the modules whose import failed: they run again, the look-up restored
        importlib.import_module("weasyprint")


@contextlib.contextmanager
def _no_look_up() -> Iterator[None]:
    """``ctypes.util.find_library`` finds nothing, at once, for as long as this lasts."""
    find_library = ctypes.util.find_library
    ctypes.util.find_library = _not_found
    try:
        yield
    finally:
        ctypes.util.find_library = find_library


def _not_found(name: str) -> None:
    """What ``ctypes.util.find_library`` says of a library it cannot find."""
    return None
