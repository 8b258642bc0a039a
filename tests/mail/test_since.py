"""Issue 15, point 5: a mail's body leads with the headline sentences and the KPIs that worsened
since the last report, in the workbook's language. The two report sets of one workbook a month
apart of tests/build/test_since_last_report.py: Orders (SALES-02) went from on track to off
track."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpireport.engine.serialize import load_results
from kpireport.mail.compose import MailTemplates
from kpireport.mail.records import Outgoing
from tests.build.test_incremental import cli
from tests.build.test_since_last_report import workbook

BODY = {
    "en": [
        "1 of 2 KPIs is achieved or on track.",
        "1 KPI has worsened since 31 May 2026: Orders, off track at 55 against a target of 100.",
        "",
        "Worsened since 31 May 2026:",
        "- SALES-02 Orders (Sales): on track → off track",
    ],
    "da": [
        "1 af 2 KPI'er er nået eller på sporet.",
        "1 KPI er blevet dårligere siden 31. maj 2026: Orders, bagud med 55 mod et mål på 100.",
        "",
        "Forværret siden 31. maj 2026:",
        "- SALES-02 Orders (Sales): på sporet → bagud",
    ],
}


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_body_leads_with_the_headlines_and_what_worsened(tmp_path: Path, lang: str) -> None:
    path, out = workbook(tmp_path), tmp_path / "out"
    for extra in (["--report-date", "2026-05-31"], []):
        done = cli(path, out, "--format", "json", "--lang", lang, *extra)
        assert done.exit_code == 0, done.output
    results = load_results(out / "kpis" / "2026-06-30")
    text = MailTemplates().write(results, Outgoing("board-pack.pdf", "chair@example.org", None))
    lines = text.body.splitlines()
    start = lines.index(BODY[lang][0])
    assert lines[start : start + len(BODY[lang])] == BODY[lang]
    # before the status line and the list of the most behind
    assert start < next(n for n, line in enumerate(lines) if line.startswith(("Status", "Status:")))
