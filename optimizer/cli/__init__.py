"""The command line: `optimizer check/run/map/compare/whatif/diff/audit` (`commands`, `whatif`, `audit`), option checks
(`options`), console and logging set-up (`console`) and the documented exit codes (`exit_codes`). Parses
options and calls `optimizer.pipeline`; holds no planning logic.
"""

from optimizer.cli.commands import app

__all__ = ["app"]
