"""The fork server imports WeasyPrint without ctypes' library look-up (render/libraries.py): no
compiler or linker is run, the same C libraries are loaded, and where they cannot be loaded by
their Linux names the import runs again with the look-up, silently. Each case in a fresh
process: WeasyPrint is imported once per process."""

from __future__ import annotations

import subprocess
import sys

# Counts the runs of gcc and ld that ctypes.util.find_library makes; prints, after the import,
# those counts and the C libraries the process has loaded.
PROBE = """
import ctypes.util, sys
runs = []
for name in ("_findLib_gcc", "_findLib_ld"):
    def counted(lib, run=getattr(ctypes.util, name)):
        runs.append(lib)
        return run(lib)
    setattr(ctypes.util, name, counted)
{setup}
{load}
import weasyprint.text.ffi as ffi
maps = open("/proc/self/maps").read().split()
libraries = sorted({{p for p in maps if "/lib" in p and "/python" not in p and ".so" in p}})
print(len(runs), ffi.harfbuzz_subset is not None, ffi.harfbuzz_vector is not None, *libraries)
"""
QUICK = "from kpireport.render.libraries import import_weasyprint\nimport_weasyprint()"


def probe(load: str, setup: str = "") -> tuple[list[str], str]:
    code = PROBE.format(setup=setup, load=load)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split(), done.stderr


def test_weasyprint_loads_the_same_libraries_without_running_a_compiler() -> None:
    quick, _ = probe(QUICK)
    plain, _ = probe("import weasyprint")
    assert quick[0] == "0"
    assert int(plain[0]) > 0  # what the look-up costs: gcc and ld, for each name tried
    assert quick[1:] == plain[1:]  # the optional libraries, then every C library's file


def test_where_the_linux_names_do_not_load_the_look_up_finds_them_silently() -> None:
    # a system where no library loads by its Linux name unless the look-up found it
    setup = (
        "import cffi\n"
        "dlopen = cffi.FFI.dlopen\n"
        "def only_found(self, name, flags=0):\n"
        "    if ctypes.util.find_library('c') is None:  # looking up nothing\n"
        "        raise OSError(f'cannot load {name}')\n"
        "    return dlopen(self, name, flags)\n"
        "cffi.FFI.dlopen = only_found\n"
    )
    quick, stderr = probe(QUICK + "\nprint('imported', end=' ')", setup)
    plain, _ = probe("import weasyprint\nprint('imported', end=' ')")
    assert quick[0] == "imported"  # and nothing before it: WeasyPrint's advice went unprinted
    assert int(quick[1]) > 0
    assert quick[2:] == plain[2:]
    assert stderr == ""
