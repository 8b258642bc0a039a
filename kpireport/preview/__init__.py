"""``kpireport preview``: the reports of one workbook served on this machine, rebuilt and
reloaded in the browser whenever the workbook is saved (docs/preview.md)."""
