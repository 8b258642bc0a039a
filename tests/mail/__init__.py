"""Tests of kpireport.mail."""
