"""No word of a KPI or department name is split in a PDF without a hyphen: narrow table columns
broke "Konverteringsprocent" into "Konverteringsproce" and "nt" (issue 16, point 3 for print).
Words too long for their column are hyphenated by the report's language (WeasyPrint's Pyphen
dictionaries) instead."""

from __future__ import annotations

import itertools
import re
import subprocess
from pathlib import Path

from tests.presentation.conftest import Presented

LETTERS = re.compile(r"[^\W\d_]+")
HYPHENS = "-\u2010\u00ad"


def name_words(results: dict) -> set[str]:
    names = [d["name"] for d in results["departments"]]
    names += [k["name"] for d in results["departments"] for k in d["kpis"]]
    return {w for name in names for w in LETTERS.findall(name) if len(w) >= 8}


def broken(pdf: Path, words: set[str]) -> list[str]:
    """Line ends where a name's word is split with no hyphen: ``Konverteringsproce|nt``."""
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True
    ).stdout.decode()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    found = []
    for line, following in itertools.pairwise(lines):
        if line[-1] in HYPHENS:
            continue
        head = LETTERS.findall(line)
        tail = LETTERS.findall(following)
        if head and tail and head[-1] not in words and head[-1] + tail[0] in words:
            found.append(f"{pdf.parent.parent.name}/{pdf.name}: {head[-1]}|{tail[0]}")
    return found


def test_no_name_is_split_without_a_hyphen(presented: Presented) -> None:
    problems = []
    for pdf in presented.pdfs():
        problems += broken(pdf, name_words(presented.results(pdf.parent.parent.name)))
    assert not problems, "\n".join(problems)
