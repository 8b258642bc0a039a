"""Default templates, shipped inside the wheel as ``kpireport.templates``."""
