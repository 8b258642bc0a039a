"""Everything a user sees, as text, for comparing two versions of kpireport.

    .venv/bin/python scripts/snapshot_outputs.py OUT [--bench 10x25] [--no-pdf]
    diff -r OLD NEW

Builds the sample workbooks (in their own language and the other one), a generated bench
workbook and the broken sample, and writes into OUT one text file per thing a user sees:
results.json (pretty, sorted, without ``schema_version``), results.csv, each PDF as text
(``pdftotext -layout``, page by page), each HTML file, validation output in text and JSON, the
mails of ``send --dry-run``, the workbooks ``init`` writes, what ``watch --once`` leaves in an
inbox, and every command's ``--help``. Paths, times and message ids are replaced by placeholders,
so two runs of the same code give the same files.

Run it on the old code and on the new; ``diff -r`` shows every change a user would see.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_workbooks"
PYTHON = sys.executable


def run(*args: str, cwd: Path | None = None, check: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100", "TZ": "UTC"}
    env.pop("KPIREPORT_SMTP_HOST", None)
    return subprocess.run(
        [PYTHON, "-m", "kpireport", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=check,
    )


class Snapshot:
    def __init__(self, out: Path, tmp: Path) -> None:
        self.out = out
        self.tmp = tmp

    def clean(self, text: str) -> str:
        text = text.replace(str(self.tmp), "<TMP>").replace(str(ROOT), "<ROOT>")
        text = re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} ", "<TIME> ", text)
        text = re.sub(r"\d{4}-\d{2}-\d{2}T\d{6}", "<STAMP>", text)
        return re.sub(r"kpireport \d+\.\d+\.\d+\S*", "kpireport <VERSION>", text)

    def put(self, name: str, text: str) -> None:
        path = self.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.clean(text), encoding="utf-8")

    def report_set(self, label: str, folder: Path, pdf: bool) -> None:
        for file in sorted(folder.rglob("*")):
            if not file.is_file() or "/.pages/" in str(file) or file.name.startswith("."):
                continue
            rel = f"{label}/{file.relative_to(folder)}"
            if file.name == "results.json":
                data = json.loads(file.read_text(encoding="utf-8"))
                data.pop("schema_version", None)
                self.put(rel, json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False))
            elif file.suffix == ".pdf":
                if pdf:
                    text = subprocess.run(
                        ["pdftotext", "-layout", str(file), "-"],
                        capture_output=True,
                        text=True,
                        check=True,
                    ).stdout
                    self.put(rel + ".txt", text)
            elif file.suffix in (".html", ".csv", ".txt", ".json"):
                self.put(rel, file.read_text(encoding="utf-8"))
            elif file.suffix == ".eml":
                self.put(rel + ".txt", mail_text(file))

    def build(self, label: str, workbooks: list[Path], *args: str, pdf: bool = True) -> Path:
        out = self.tmp / label
        formats = "pdf,html,json,csv" if pdf else "html,json,csv"
        proc = run("build", *map(str, workbooks), "-o", str(out), "--format", formats, *args)
        self.put(f"{label}/_stdout.txt", proc.stdout)
        self.put(f"{label}/_stderr.txt", f"exit {proc.returncode}\n{proc.stderr}")
        self.report_set(label, out, pdf)
        return out


def mail_text(path: Path) -> str:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    lines = []
    for key in ("From", "To", "Subject", "Content-Language", "Auto-Submitted"):
        lines.append(f"{key}: {msg[key]}")
    for part in msg.walk():
        if part.get_content_maintype() == "multipart":
            continue
        name = part.get_filename()
        if name:
            lines.append(f"[attachment {name} {part.get_content_type()}]")
        else:
            lines.append(part.get_content())
    return "\n".join(lines)


def workbook_text(path: Path) -> str:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    lines = []
    for ws in wb.worksheets:
        lines.append(f"== {ws.title}")
        for row in ws.iter_rows():
            for cell in row:
                if cell.value is not None:
                    lines.append(f"{cell.coordinate}: {cell.value!r} [{cell.number_format}]")
        for dv in ws.data_validations.dataValidation:
            lines.append(f"validation {dv.sqref}: {dv.formula1} {dv.error!r} {dv.errorTitle!r}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--bench", default="10x25", help="DEPARTMENTSxKPIS, or 0 for none")
    parser.add_argument(
        "--bench-workbook",
        type=Path,
        default=Path(tempfile.gettempdir()) / "kpisnap-bench.xlsx",
        help="the generated workbook, kept for the next run (its hash changes when regenerated)",
    )
    parser.add_argument("--no-pdf", action="store_true")
    args = parser.parse_args()
    out: Path = args.out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    pdf = not args.no_pdf
    with tempfile.TemporaryDirectory(prefix="kpisnap-") as name:
        tmp = Path(name)
        s = Snapshot(out, tmp)
        acme, fjordsol = SAMPLES / "acme-en.xlsx", SAMPLES / "fjordsol-da.xlsx"
        broken = SAMPLES / "invalid" / "broken-en.xlsx"
        samples = s.build("samples", [acme, fjordsol], pdf=pdf)
        s.build("acme-da", [acme], "--lang", "da", pdf=pdf)
        s.build("fjordsol-en", [fjordsol], "--lang", "en", pdf=pdf)
        s.build("broken", [broken], pdf=False)
        s.build("broken-da", [broken], "--lang", "da", pdf=False)
        if args.bench != "0":
            departments, kpis = args.bench.split("x")
            bench = args.bench_workbook.with_name(f"{args.bench_workbook.stem}-{args.bench}.xlsx")
            if not bench.exists():
                generate = [PYTHON, str(ROOT / "bench" / "generate.py"), str(bench)]
                subprocess.run(
                    [*generate, "--departments", departments, "--kpis", kpis],
                    check=True,
                    capture_output=True,
                )
            s.build("bench", [bench], pdf=pdf)
        for lang in ("en", "da"):
            for book in (acme, fjordsol, broken):
                for fmt in ("text", "json"):
                    proc = run("validate", str(book), "--lang", lang, "--format", fmt)
                    s.put(
                        f"validate/{book.stem}.{lang}.{fmt}.txt",
                        f"exit {proc.returncode}\n{proc.stdout}\n--- stderr\n{proc.stderr}",
                    )
            proc = run("validate", str(broken), "--lang", lang, "--strict")
            s.put(f"validate/strict.{lang}.txt", f"exit {proc.returncode}\n{proc.stdout}")
        # the mails
        box = tmp / "outbox"
        proc = run("send", str(samples), "--dry-run", "--outbox", str(box))
        s.put("send/_stdout.txt", proc.stdout)
        s.put("send/_stderr.txt", f"exit {proc.returncode}\n{proc.stderr}")
        s.report_set("send", box, pdf=False)
        # the workbooks init writes
        for lang in ("en", "da"):
            target = tmp / f"init-{lang}.xlsx"
            proc = run("init", str(target), "--lang", lang)
            s.put(f"init/{lang}.out.txt", f"exit {proc.returncode}\n{proc.stdout}{proc.stderr}")
            s.put(f"init/{lang}.workbook.txt", workbook_text(target))
        # the drop folder
        inbox = tmp / "inbox"
        inbox.mkdir()
        shutil.copy(broken, inbox / "broken-en.xlsx")
        shutil.copy(SAMPLES / "acme-logo.png", inbox)
        proc = run(
            "watch", str(inbox), "-o", str(tmp / "watched"), "--once", "--stable-seconds", "0",
            "--format", "json",
        )  # fmt: skip
        s.put("watch/_log.txt", f"exit {proc.returncode}\n{proc.stderr}")
        for file in sorted((inbox / "failed").glob("*.errors.*")):
            s.put(f"watch/{file.name}", file.read_text(encoding="utf-8"))
        # every command's help
        for command in ("", "validate", "build", "send", "init", "watch"):
            proc = run(*([command] if command else []), "--help")
            s.put(f"help/{command or 'main'}.txt", proc.stdout)
    print(f"wrote {sum(1 for p in out.rglob('*') if p.is_file())} files into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
