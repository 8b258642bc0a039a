"""Tests of kpireport.cli."""
