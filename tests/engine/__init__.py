"""Tests of kpireport.engine."""
