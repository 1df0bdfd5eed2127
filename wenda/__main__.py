"""``python -m wenda``."""

from wenda.cli import main

main()
