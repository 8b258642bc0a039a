"""The catalogue of issue codes: each code's severity, message and hint (English source strings,
translated through the language catalogues; see kpireport.i18n). The codes are stable: they are
in results.json, validate's JSON and docs/workbook-format.md."""

from __future__ import annotations

from dataclasses import dataclass

from kpireport.i18n import N_, Nn_

ERROR = "error"
WARNING = "warning"

SMART_LETTERS = ("S", "M", "A", "R", "T")


@dataclass(frozen=True)
class Message:
    """The catalogue entry of one issue code: its severity, message and hint (English source
    strings; a message with a count may be a ``(singular, plural)`` pair chosen by ``count``)."""

    severity: str
    text: str | tuple[str, str]
    hint: str


# Imported here, below Message, which that module uses.
from kpireport.issues.fatal import BUILD_CODES, FILE_CODES  # noqa: E402

CATALOG: dict[str, Message] = {
    **FILE_CODES,
    **BUILD_CODES,
    # --- structure -------------------------------------------------------------------------
    "missing-sheet": Message(
        ERROR,
        N_("The workbook has no '{sheet}' sheet."),
        N_(
            "Add a sheet named '{sheet}'{other}. Run 'kpireport init' for a workbook with every sheet."
        ),
    ),
    "empty-sheet": Message(
        ERROR,
        N_("The '{sheet}' sheet is empty."),
        N_("Put the column headers in the first row and one row per {what} below them."),
    ),
    "missing-column": Message(
        ERROR,
        N_("The '{sheet}' sheet has no '{column}' column (headers are in row {row})."),
        N_("Add a column headed '{column}'{other} to row {row}."),
    ),
    "duplicate-column": Message(
        ERROR,
        N_("The column '{column}' appears twice in the header row ({first} and {cell})."),
        N_("Delete or rename one of them; kpireport cannot tell which one to use."),
    ),
    "unknown-column": Message(
        WARNING,
        N_("The column '{column}' is not part of the workbook format and is ignored."),
        N_("Rename it to one of: {expected}; or leave it if it is only a note for people."),
    ),
    "missing-value": Message(
        ERROR,
        N_("The required '{column}' is empty{for_kpi}."),
        N_("Fill in the '{column}' cell."),
    ),
    "formula-no-value": Message(
        ERROR,
        N_("The cell holds a formula ({formula}) but no calculated result."),
        N_(
            "The file was written by a program that does not calculate. Open it in Excel or LibreOffice and save it, or type the value."
        ),
    ),
    "formula-not-calculated": Message(
        WARNING,
        Nn_(
            "{count} formula cell on this sheet holds a result the writing program may not have calculated.",
            "{count} formula cells on this sheet hold results the writing program may not have calculated.",
        ),
        N_(
            "Open the workbook in Excel or LibreOffice and save it, so the stored results are current."
        ),
    ),
    "cell-error": Message(
        ERROR,
        N_("The cell shows the error {value} instead of a value."),
        N_("Correct the formula or type the value."),
    ),
    "duplicate-sheet": Message(
        WARNING,
        N_("The sheets '{first}' and '{sheet}' are both the {what} sheet; '{first}' is used."),
        N_("Delete or rename one of them."),
    ),
    "duplicate-kpi-id": Message(
        ERROR,
        N_("The KPI id '{kpi}' is used twice (first in {first})."),
        N_("Give every KPI its own id, e.g. '{kpi}-2'."),
    ),
    "unknown-kpi": Message(
        ERROR,
        N_("The KPI id '{kpi}' is not on the '{kpi_sheet}' sheet."),
        N_("Use an id from the '{kpi_sheet}' sheet{suggestion}, or add the KPI there."),
    ),
    "not-a-number": Message(
        ERROR,
        N_("'{value}' in '{column}' is not a number."),
        N_(
            "Type a number such as 1234.5 (or 1.234,5 in Danish notation); leave the row out if there is no value."
        ),
    ),
    "number-out-of-range": Message(
        ERROR,
        N_(
            "The number {value} in '{column}' is too large for a report: kpireport accepts numbers up to {limit}, positive or negative."
        ),
        N_(
            "Check the cell for a typing error; for very large amounts, count in thousands or millions (and say so in the unit)."
        ),
    ),
    "number-as-text": Message(
        WARNING,
        N_("The number '{value}' is typed as text; it is read as {number}."),
        N_("Format the cell as a number so Excel treats it as one."),
    ),
    "bad-direction": Message(
        ERROR,
        N_("'{value}' is not a direction."),
        N_("Write 'higher' (higher is better) or 'lower' (lower is better)."),
    ),
    "bad-frequency": Message(
        ERROR,
        N_("'{value}' is not a frequency."),
        N_("Write one of: daily, weekly, monthly, quarterly, yearly."),
    ),
    "bad-goal": Message(
        ERROR,
        N_("'{value}' is not a goal."),
        N_("Write reach (a target to reach) or keep (a limit to hold)."),
    ),
    "bad-aggregation": Message(
        ERROR,
        N_("'{value}' is not an aggregation."),
        N_("Write one of: sum, mean, last, min, max."),
    ),
    "bad-kind": Message(
        WARNING,
        N_("'{value}' is not a benchmark type; it is shown as written."),
        N_("Write one of: industry, competitor, internal, best practice."),
    ),
    "bad-date": Message(
        ERROR,
        N_("'{value}' is not a date."),
        N_(
            "Use an Excel date or text like 2026-03-15, 15-03-2026, 2026-03 (a month), 2026-Q1 (a quarter) or 2026-W05 (a week)."
        ),
    ),
    "date-out-of-range": Message(
        ERROR,
        N_("'{value}' is outside the years {first} to {last} that a report can show."),
        N_(
            "Check the year for a typing error. A KPI without a real deadline needs no far-away date such as 9999-12-31: leave the cell empty."
        ),
    ),
    "date-as-number": Message(
        WARNING,
        N_("The date is a plain number ({value}); it is read as {date}."),
        N_("Format the cell as a date so the value is unambiguous."),
    ),
    "coarse-date": Message(
        WARNING,
        N_("'{value}' names a whole {granularity}, but KPI '{kpi}' is measured {frequency}."),
        N_("Give the date of the {frequency_unit} the value belongs to."),
    ),
    "period-mismatch": Message(
        WARNING,
        N_(
            "'{value}' is a {granularity} from {start} to {end}, across two periods of KPI '{kpi}'; it is counted in {period}."
        ),
        N_(
            "Give the date of the measurement, or a period of the KPI's own frequency ({frequency})."
        ),
    ),
    "after-report-date": Message(
        WARNING,
        Nn_(
            "{count} measurement row is dated after the report date {report_date} and is left out of the reports ({first}).",
            "{count} measurement rows are dated after the report date {report_date} and are left out of the reports (the first: {first}).",
        ),
        N_(
            "Set the report date to the date the reports are for, or leave it empty: then the date of the latest measurement is used."
        ),
    ),
    "scale-mismatch": Message(
        WARNING,
        N_(
            "{what} reads as {read}, about 100 times {direction} than the KPI's measurements (around {typical}): did you mean {meant}?"
        ),
        N_(
            "In a % KPI, a cell formatted as a percentage is read as Excel shows it (0.032 shows as 3.2 %), any other cell as the number of percent (3.2 is 3.2 %). Type the value as the measurements are typed, or change the cell's format; if the measurements are the ones on the wrong scale, correct them instead."
        ),
    ),
    "deadline-before-baseline": Message(
        ERROR,
        N_("The deadline {deadline} is before the baseline date {baseline_date}."),
        N_(
            "Set a deadline after the baseline date, or correct the baseline date in {baseline_cell}."
        ),
    ),
    "needs-aggregation": Message(
        ERROR,
        N_(
            "KPI '{kpi}' has {count} measurements in the {frequency} period {period} ({cells}) and no aggregation."
        ),
        N_("Choose how to combine them in this cell: sum, mean, last, min or max."),
    ),
    "bad-weight": Message(
        ERROR,
        N_("The weight '{value}' must be a number of 0 or more."),
        N_("Use 1 for a normal weight, 2 for double, 0 to leave the KPI out of the score."),
    ),
    "target-equals-baseline": Message(
        ERROR,
        N_("The target {target} equals the baseline, so progress cannot be measured."),
        N_("Set a target that differs from the starting value {baseline}."),
    ),
    "plan-wrong-period": Message(
        ERROR,
        N_(
            "The plan period '{value}' is a {granularity}, but KPI '{kpi}' is measured {frequency}."
        ),
        N_("Give the {frequency_unit} the plan is for, or a date in it."),
    ),
    "duplicate-plan-period": Message(
        ERROR,
        N_("KPI '{kpi}' has more than one plan for {period} (also in {other})."),
        N_("Keep one plan row per period: delete the extra row or correct its period."),
    ),
    "plan-before-baseline": Message(
        WARNING,
        N_("The plan for {period} of KPI '{kpi}' ends before its baseline date {baseline_date}."),
        N_("The row is not used: delete it, or correct the period or the baseline date."),
    ),
    "plan-after-deadline": Message(
        WARNING,
        N_("The plan for {period} of KPI '{kpi}' starts after its deadline {deadline}."),
        N_("The row is not used: delete it, or correct the period or the deadline."),
    ),
    "plan-target-mismatch": Message(
        WARNING,
        N_("The plan for {period}, the deadline's period, is {plan}, but the target is {target}."),
        N_(
            "The plan decides the expected values and the target whether the KPI is achieved: make the two agree."
        ),
    ),
    "action-overdue": Message(
        WARNING,
        N_("The action on KPI '{kpi}' was due on {due}, before the report date {report_date}."),
        N_(
            "If it is done, say so in the comment and clear the due date; if not, set the date it will be done by."
        ),
    ),
    "comment-missing": Message(
        WARNING,
        N_(
            "KPI '{kpi}' is {status}, but the '{sheet}' sheet has no comment on it for the report date {report_date}."
        ),
        N_(
            "Add a row with the KPI, the report date, what went wrong and what is being done. A row without a report date is shown in every report and does not count here."
        ),
    ),
    "duplicate-department": Message(
        WARNING,
        N_(
            "The department '{department}' is listed twice (first in {first}); the first row is used."
        ),
        N_("Delete the extra row."),
    ),
    "department-spelling": Message(
        WARNING,
        N_(
            "The department '{department}' is spelled '{name}' elsewhere ({first}); it is counted as '{name}'."
        ),
        N_("Spell it the same way everywhere, or pick it from the dropdown."),
    ),
    "bad-email": Message(
        ERROR,
        N_("'{value}' is not an email address."),
        N_("Write addresses like name@example.com, separated by ',' or ';'."),
    ),
    "bad-color": Message(
        WARNING,
        N_("'{value}' is not a colour; the default colour is used."),
        N_("Write a colour as #RRGGBB, e.g. #1F4E79."),
    ),
    "unknown-setting": Message(
        WARNING,
        N_("The setting '{key}' is not known and is ignored."),
        N_("Use one of: {expected}."),
    ),
    "bad-setting": Message(
        WARNING,
        N_("'{value}' is not a valid {key}; {default} is used."),
        N_("{expected}"),
    ),
    "bad-thresholds": Message(
        ERROR,
        N_(
            "The on-track share {on_track} must be larger than the at-risk share {at_risk}, both between 0 and 1."
        ),
        N_("Use for example on_track 0.95 and at_risk 0.80."),
    ),
    "no-kpis": Message(
        ERROR,
        N_("The '{sheet}' sheet has headers but no KPIs."),
        N_("Add one row per KPI below the header row."),
    ),
    # --- SMART -----------------------------------------------------------------------------
    "S-no-description": Message(
        WARNING,
        N_("Specific: KPI '{kpi}' has no description of what exactly is measured."),
        N_("Describe what is counted and how, e.g. 'New paying customers signed in the month'."),
    ),
    "S-no-owner": Message(
        WARNING,
        N_("Specific: KPI '{kpi}' has no owner."),
        N_("Name the person responsible for the KPI."),
    ),
    "S-two-goals": Message(
        WARNING,
        N_("Specific: the name '{name}' seems to pack two goals into one KPI."),
        N_("Split it into two KPIs, one goal each ('{first}' and '{second}')."),
    ),
    "M-no-unit": Message(
        WARNING,
        N_("Measurable: KPI '{kpi}' has no unit."),
        N_("Write the unit: count, %, DKK, hours, days, score, or your own word."),
    ),
    "M-no-data-source": Message(
        WARNING,
        N_("Measurable: KPI '{kpi}' has no data source."),
        N_("Say where the numbers come from, e.g. 'CRM monthly export'."),
    ),
    "M-few-measurements": Message(
        WARNING,
        N_(
            "Measurable: KPI '{kpi}' has values for {periods}; at least 3 are needed to show a trend."
        ),
        N_("Add the earlier {frequency} values on the '{sheet}' sheet."),
    ),
    "A-unrealistic-pace": Message(
        WARNING,
        N_(
            "Achievable: reaching {target} by {deadline} needs {required} per {period}, {factor}× the best pace in the KPI's history ({best})."
        ),
        N_(
            "Check the target or the deadline; a realistic target is one the team can reach at a pace it has shown."
        ),
    ),
    "A-no-improvement": Message(
        WARNING,
        N_(
            "Achievable: reaching {target} by {deadline} needs {required} per {period}, but the KPI has not improved in any period so far."
        ),
        N_("Check the target or the deadline, or the actions that will change the trend."),
    ),
    "A-met-at-baseline": Message(
        ERROR,
        N_("Achievable: the target {target} is already met at the baseline ({baseline})."),
        N_(
            "Set a target beyond the starting value, or check the direction; for a level to hold rather than reach, write {keep} in the {goal} column."
        ),
    ),
    "R-no-objective": Message(
        WARNING,
        N_("Relevant: KPI '{kpi}' has no objective."),
        N_("Write the business goal the KPI serves, e.g. 'Grow recurring revenue'."),
    ),
    "R-unknown-department": Message(
        WARNING,
        N_("Relevant: the department '{department}' is not on the '{departments_sheet}' sheet."),
        N_("Add it there (with its head and email) or correct the spelling{suggestion}."),
    ),
    "bad-logo": Message(
        WARNING,
        N_("The logo '{logo}' is not used: {reason}."),
        N_(
            "Put a PNG, JPEG or GIF file (at most 2 MB) in the same folder as the workbook and write its file name, e.g. logo.png. The report is made without the logo."
        ),
    ),
    "T-no-deadline": Message(
        WARNING,
        N_("Time-bound: KPI '{kpi}' has no deadline."),
        N_("Set the date by which the target is to be reached."),
    ),
    "T-deadline-passed": Message(
        WARNING,
        N_("Time-bound: the deadline {deadline} passed before the report date {report_date}."),
        N_("Set a new deadline and target, or retire the KPI."),
    ),
}
