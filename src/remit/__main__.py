"""``python -m remit`` runs the CLI."""

from remit.cli import main

main()
