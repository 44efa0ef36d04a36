"""`python -m optimizer` runs the command-line interface."""

from optimizer.cli.commands import app

app()
