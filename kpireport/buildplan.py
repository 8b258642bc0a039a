"""The plan of a report set, made before anything is written: its documents (the typed records
of kpireport/render/documents.py) and its files, each with its key, the hash of everything the
file is made from, so that a change to one department re-renders that department and the board
pack only; and the content of each file other than a PDF (the PDFs are made by
kpireport/render/pdfstage.py)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, assert_never

from kpireport import __version__
from kpireport.engine.serialize import results_json
from kpireport.errors import UsageError
from kpireport.hashing import digest
from kpireport.issues import ValidationReport
from kpireport.render.documents import (
    BoardPack,
    DepartmentReport,
    IndexPage,
    OutputFile,
    ReportSet,
    ResultsCsv,
    ResultsJson,
    ResultsXlsx,
    ValidationPage,
    board_pack_html,
    department_html,
    index_html,
    validation_html,
)

if TYPE_CHECKING:
    from markupsafe import Markup

    from kpireport.assets import Logo
    from kpireport.build import BuildOptions
    from kpireport.engine import Results
    from kpireport.history import SetSummary
    from kpireport.model import Workbook


@dataclass
class Plan:
    """A report set before anything is written: its documents and files."""

    rs: ReportSet
    results: Results
    departments: list[DepartmentReport]  # the departments chosen, in order
    files: list[OutputFile]
    allowed: list[Path]  # the folders the PDFs may read files from (templates, logos)
    summary: dict[str, object]  # results.json's company summary
    base: str = ""  # what renders every page besides its own HTML: version, templates, variant


def plan_set(
    workbook: Workbook,
    results: Results,
    report: ValidationReport,
    options: BuildOptions,
    templates: str,
    earlier: Sequence[SetSummary] = (),
) -> Plan:
    """The documents and files of the report set, each file with its key. ``templates``: the
    templates' digest; ``earlier``: the workbook's earlier sets, newest first, for the trend on
    the set's index.html."""
    from kpireport.assets import Logos
    from kpireport.engine.serialize import department_key, without_departments
    from kpireport.history import summary_of
    from kpireport.render import View, default_templates, environment
    from kpireport.render.home import trend

    wanted = {d.casefold() for d in options.departments}
    chosen = [d for d in results.departments if not wanted or d.name.casefold() in wanted]
    unknown = wanted - {d.name.casefold() for d in results.departments}
    if unknown:
        available = ", ".join(d.name for d in results.departments)
        missing = ", ".join(n for n in options.departments if n.casefold() in unknown)
        raise UsageError(f"{workbook.path.name} has no department {missing}; it has: {available}")
    # results.json's data is never made whole (engine.serialize.results_json): what every
    # page shows, then each department's numbers, hashed one at a time
    data = without_departments(results)
    assets = options.assets_for(workbook)
    # the same check as validation's bad-logo warning: a refused file is never opened. Each
    # file is read, decoded and scaled once, and every page that shows it shares the one copy.
    logos = Logos(assets)
    logo = logos.get(results.logo)
    memo: dict[tuple[object, ...], Markup] = {}  # the cards, shared by every page (View.once)
    rs = ReportSet(environment(options.templates), View(results, _uri(logo), memo), report)
    base = digest(__version__, templates, options.pdf_variant)
    # What every page shows besides its own numbers: the settings and the report date. Not the
    # workbook's hash: a department page must not change when another department's rows do
    # (the board pack, which shows the hash, depends on everything anyway).
    page = {k: data[k] for k in data if k not in ("departments", "summary", "warnings", "sha256")}
    logo_key = logo.sha256 if logo else ""
    # Each department's numbers are hashed once; everything else's hash is made of those.
    department_keys = {d.slug: department_key(d) for d in results.departments}
    everything = digest({k: data[k] for k in data if k != "departments"}, department_keys)
    departments, files = [], []
    for dept in chosen:
        dept_logo = logos.get(dept.logo) or logo
        logo_of_page = dept_logo.sha256 if dept_logo else ""
        key = digest(base, page, department_keys[dept.slug], logo_of_page)
        view = View(results, _uri(dept_logo), memo)
        doc = DepartmentReport(dept, view, digest(key, "body"))
        departments.append(doc)
        files.append(OutputFile(f"{doc.name}.html", digest(key, "html"), doc))
        files.append(OutputFile(f"{doc.name}.pdf", digest(key, "pdf"), doc))
    if not wanted:
        key = digest(base, everything, logo_key)
        attachments = (
            (("results.json", "".join(results_json(results)).encode()),)
            if options.pdf_variant
            else ()
        )
        pack = BoardPack(tuple(d.slug for d in chosen), attachments)
        files.append(OutputFile(f"{pack.name}.html", digest(key, "html"), pack))
        files.append(OutputFile(f"{pack.name}.pdf", digest(key, "pdf"), pack))
        files.append(OutputFile("results.json", digest(everything, "json"), ResultsJson()))
        files.append(OutputFile("results.csv", digest(everything, "csv"), ResultsCsv()))
        files.append(OutputFile("results.xlsx", digest(everything, "xlsx"), ResultsXlsx()))
    issues = [i.to_dict(results.language) for i in report.issues]
    files.append(OutputFile("validation.html", digest(base, page, issues), ValidationPage()))
    formats = set(options.formats)
    files = [f for f in files if f.name.rsplit(".", 1)[1] in formats or f.name == "validation.html"]
    names = tuple(f.name for f in files)
    sets = trend([summary_of(results, names), *earlier], "../", own=results.report_date.isoformat())
    index_key = digest(base, page, names, data["summary"], asdict(sets))
    files.append(OutputFile("index.html", index_key, IndexPage(names, sets)))
    allowed = [default_templates(), *([options.templates] if options.templates else []), assets]
    return Plan(rs, results, departments, files, allowed, data["summary"], base)


def _uri(logo: Logo | None) -> str | None:
    return logo.uri if logo else None


def file_content(file: OutputFile, plan: Plan, html: dict[str, str]) -> str | bytes | Iterator[str]:
    """The content of ``file``, not a PDF. ``html``: department pages rendered already."""
    from kpireport.export import results_csv, results_xlsx

    doc = file.document
    match doc:
        case DepartmentReport():
            return html.get(doc.name) or department_html(plan.rs, doc)
        case BoardPack():
            return board_pack_html(plan.rs)
        case ResultsJson():
            return results_json(plan.results)
        case ResultsCsv():
            return results_csv(plan.results)
        case ResultsXlsx():
            return results_xlsx(plan.results)
        case ValidationPage():
            return validation_html(plan.rs)
        case IndexPage():
            return index_html(plan.rs, doc)
    assert_never(doc)
