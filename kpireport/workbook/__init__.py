"""Stage 1: read a workbook file into the KPI model (see docs/workbook-format.md)."""

from kpireport.workbook.reader import email_address, read_workbook, split_addresses

__all__ = ["email_address", "read_workbook", "split_addresses"]
