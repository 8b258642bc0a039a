"""``python -m kpireport``."""

from kpireport.cli import main

main()
