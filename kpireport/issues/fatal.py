"""The codes of a file that cannot be read and of a report set that cannot be built: fatal for
one workbook (the others of a run are still built). Part of the catalogue
(kpireport.issues.catalogue), kept apart to keep each module short."""

from __future__ import annotations

from kpireport.i18n import N_
from kpireport.issues.catalogue import ERROR, Message

# files that cannot be read (raised as WorkbookError)
FILE_CODES: dict[str, Message] = {
    "file-not-found": Message(
        ERROR,
        N_("No such file."),
        N_("Check the path."),
    ),
    "is-folder": Message(
        ERROR,
        N_("This is a folder, not a workbook."),
        N_("Name an .xlsx file."),
    ),
    "old-xls": Message(
        ERROR,
        N_("This is an old Excel 97-2003 file (.xls)."),
        N_("Open it in Excel and save it as .xlsx."),
    ),
    "wrong-type": Message(
        ERROR,
        N_("This is not an Excel workbook: kpireport reads .xlsx and .xlsm files, not '{suffix}'."),
        N_("Save the workbook as .xlsx."),
    ),
    "unreadable": Message(
        ERROR,
        N_("The file cannot be read: {reason}."),
        N_("Check that the file exists and that you may read it."),
    ),
    "empty-file": Message(
        ERROR,
        N_("The file is empty (0 bytes)."),
        N_("Save the workbook again, or copy it again."),
    ),
    "password-protected": Message(
        ERROR,
        N_("The workbook is password-protected."),
        N_("Remove the password in Excel (File > Info > Protect Workbook) and save it again."),
    ),
    "not-zip": Message(
        ERROR,
        N_("This is not an Excel workbook (it is not a zip archive)."),
        N_("Save the workbook as .xlsx."),
    ),
    "damaged": Message(
        ERROR,
        N_("The file is damaged or incomplete ({part} cannot be unpacked)."),
        N_("Copy the file again, or open it in Excel and save it again."),
    ),
    "not-workbook": Message(
        ERROR,
        N_("This is a zip archive but not an Excel workbook."),
        N_("Name an .xlsx file saved by Excel or LibreOffice."),
    ),
    "too-large": Message(
        ERROR,
        N_("The file was refused: {what}."),
        N_("A KPI workbook is far smaller; check that this is the right file."),
    ),
    "zip-bomb": Message(
        ERROR,
        N_("The file was refused: {part} unpacks {ratio} times its packed size, like a zip bomb."),
        N_("A real workbook does not do this; check where the file came from."),
    ),
    "xml-entities": Message(
        ERROR,
        N_(
            "The file was refused: {part} declares XML entities (a DTD), which workbooks never contain and XML attacks use."
        ),
        N_("Check where the file came from; save it again from Excel or LibreOffice."),
    ),
    "bad-xml": Message(
        ERROR,
        N_("The file is damaged: {part} is not valid XML."),
        N_("Open it in Excel or LibreOffice and save it again."),
    ),
    "too-many-rows": Message(
        ERROR,
        N_(
            "The sheet '{sheet}' has values down to row {rows} (cell {cell}); kpireport reads at most {limit} rows per sheet."
        ),
        N_(
            "Aggregate the measurements to weekly or monthly values, or split the workbook into several (for example one per year or per group of departments). If the rows below the table hold only a stray value, delete them."
        ),
    ),
    "too-many-cells": Message(
        ERROR,
        N_(
            "The sheet '{sheet}' has values across A1:{corner}, {rows} rows by {columns} columns ({cells} cells); kpireport reads at most {limit} cells per sheet."
        ),
        N_(
            "Delete the columns right of the table and the rows below it if they hold stray values; otherwise split the workbook into several."
        ),
    ),
}

# building report sets (fatal for one workbook; the others are still built)
BUILD_CODES: dict[str, Message] = {
    "duplicate-workbook-name": Message(
        ERROR,
        N_(
            "Another workbook in this build, {other}, has the same name; both would write to {folder}."
        ),
        N_("Rename one of them, or build them into different output folders."),
    ),
    "write-failed": Message(
        ERROR,
        N_("The report set could not be written: {reason}."),
        N_(
            "Check that the output folder exists, is writable and has free space. No file of the report set was replaced: the previous version of every report is still in place."
        ),
    ),
    "build-failed": Message(
        ERROR,
        N_("The report set could not be built: {reason}."),
        N_(
            "No file of the report set was replaced, and the other workbooks are built as usual. Unless the reason is a template of your own (--templates), this is a bug in kpireport: please report it, with the workbook if you can."
        ),
    ),
    "build-timeout": Message(
        ERROR,
        N_("The build took longer than {seconds} s and was stopped."),
        N_(
            "No file of the report set was replaced. A workbook this slow to build is very large or made to be hostile: check it, or give the build more time with --build-timeout SECONDS (build_timeout in kpireport.toml)."
        ),
    ),
    "build-memory": Message(
        ERROR,
        N_("The build needed more than {megabytes} MB of memory and was stopped."),
        N_(
            "No file of the report set was replaced. Check the workbook for an enormous sheet or picture, or give the build more memory with --build-memory MB (build_memory in kpireport.toml)."
        ),
    ),
    "build-crashed": Message(
        ERROR,
        N_("The build stopped unexpectedly ({reason})."),
        N_(
            "No file of the report set was replaced. Build the workbook again; if it stops again, please report it, with the workbook."
        ),
    ),
    "build-abandoned": Message(
        ERROR,
        N_("kpireport stopped twice while building this workbook, so it was not tried again."),
        N_(
            "The machine most likely ran out of memory or time while building it. Check the workbook for an enormous sheet or picture, then drop it in the inbox again."
        ),
    ),
    "render-failed": Message(
        ERROR,
        N_("{document} could not be rendered: {reason}."),
        N_(
            "No file of the report set was replaced: the previous version of every report is still in place. A report that takes this long usually has a cell with an enormous text: shorten it, or give the renderer more time with --render-timeout SECONDS."
        ),
    ),
}
