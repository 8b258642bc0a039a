"""Stage 1: read a workbook file into the KPI model (see docs/workbook-format.md)."""

from kpireport.workbook.addresses import email_address, split_addresses
from kpireport.workbook.reader import read_workbook

__all__ = ["email_address", "read_workbook", "split_addresses"]
