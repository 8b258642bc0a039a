"""Tests of kpireport.workbook."""
