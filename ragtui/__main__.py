"""``python -m ragtui``."""

from ragtui.cli import main

main()
