"""Terminal set-up for the CLI only: rich logging and progress; library modules never import this."""

from __future__ import annotations

import logging

from rich.console import Console
from rich.logging import RichHandler

console = Console(stderr=False)
error_console = Console(stderr=True)


def configure_logging(*, verbose: bool) -> None:
    """Send the package loggers to a RichHandler; DEBUG with --verbose, else WARNING and above."""
    handler = RichHandler(console=error_console, show_path=False, show_time=False)
    for package in ("optimizer", "models"):
        package_logger = logging.getLogger(package)
        package_logger.handlers[:] = [handler]
        package_logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
        package_logger.propagate = False
