"""The wheel ships the templates, and kpireport installed from it works without the source tree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"

# Runs inside the fresh venv and reports where kpireport and its templates came from.
PROBE = """
import json, sys
import kpireport
from kpireport.i18n import LANGUAGES, get_locale
from kpireport.resources import templates_dir

d = templates_dir()
print(json.dumps({
    "translated": {code: get_locale(code).gettext("Executive summary") for code in LANGUAGES},
    "module": kpireport.__file__,
    "templates_dir": str(d),
    "files": sorted(
        p.relative_to(d).as_posix()
        for p in d.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ),
    "meta_path": [repr(f) for f in sys.meta_path],
}))
"""


def _files_under(folder: Path) -> set[str]:
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def _ignore_for_copy(directory: str, names: list[str]) -> set[str]:
    # Bytecode anywhere; at the top, what the build doesn't need: the venv, git, tests, sample
    # data, and earlier build output, which setuptools would otherwise reuse (a template deleted
    # from the source could live on in build/lib and end up in the wheel).
    ignored = {n for n in names if n == "__pycache__" or n.endswith(".pyc")}
    if Path(directory) == ROOT:
        top = {"build", "dist", "tests", "sample_workbooks", "reports", "workbooks"}
        ignored |= {n for n in names if n.startswith(".") or n in top or n.endswith(".egg-info")}
    return ignored


def _clean_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV"}
    }
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(args: list[str | Path], cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=_clean_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, args))} exited {result.returncode}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    )
    return result


@pytest.mark.slow
def test_wheel_ships_templates_and_works_installed(tmp_path: Path) -> None:
    # Build from a clean copy, with build isolation as pip does for a user, so this also
    # checks that [build-system] requires is enough (setuptools comes from the package index).
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=_ignore_for_copy)
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", dist, src], cwd=tmp_path)
    (wheel,) = dist.glob("kpireport-*.whl")

    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    # Every module of the source tree: [tool.setuptools] packages is an explicit list, so a new
    # subpackage is left out of the wheel until it is added there.
    source_modules = {
        f"kpireport/{f}" for f in _files_under(ROOT / "kpireport") if f.endswith(".py")
    }
    missing_modules = source_modules - set(names)
    assert not missing_modules, (
        f"not in the wheel (add their packages to [tool.setuptools] packages): {missing_modules}"
    )
    source_templates = _files_under(TEMPLATES)
    assert "__init__.py" in source_templates
    prefix = "kpireport/templates/"
    assert {n.removeprefix(prefix) for n in names if n.startswith(prefix)} == source_templates

    # A fresh venv holding only the wheel. The dependencies come from the venv running this test
    # through a .pth line; site does not read the .pth files inside a folder named that way, so
    # the editable install's finder (a .pth there) stays off and the wheel is what gets imported.
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path)
    python = venv / "bin" / "python"
    pip: list[str | Path] = [sys.executable, "-m", "pip", "--python", python]
    _run([*pip, "install", "--no-deps", "--no-index", wheel], cwd=tmp_path)
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    fresh_site = Path(_run([python, "-c", purelib], cwd=tmp_path).stdout.strip())
    dep_dirs = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    (fresh_site / "_kpireport_test_deps.pth").write_text("\n".join(dep_dirs) + "\n")

    # cwd is tmp_path, not the repo, so `python -c` cannot pick up ./kpireport.
    probe = json.loads(_run([python, "-c", PROBE], cwd=tmp_path).stdout)
    assert Path(probe["module"]).is_relative_to(venv), probe["module"]
    assert Path(probe["templates_dir"]).is_relative_to(venv), probe["templates_dir"]
    assert not any("editable" in f.lower() for f in probe["meta_path"]), probe["meta_path"]
    assert set(probe["files"]) == source_templates
    # the language catalogues are in the wheel and compile there
    translated = probe["translated"]
    assert translated["en"] == "Executive summary"
    assert len(set(translated.values())) == len(translated), translated

    # The console script and `python -m` both start, with the dependencies found via the .pth.
    _run([venv / "bin" / "kpireport", "--help"], cwd=tmp_path, timeout=60)
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    shown = _run([python, "-m", "kpireport", "--version"], cwd=tmp_path, timeout=60).stdout
    assert version in shown
