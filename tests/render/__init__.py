"""Tests of kpireport.render."""
