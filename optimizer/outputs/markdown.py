"""Markdown tables for the report sections: one header, one rule line, one line per row.

Cells are written as given (the sections format their numbers and Chinese labels themselves); a `|`
inside a cell would split it, so it is replaced by `/`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def table_lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """The lines of a GitHub-flavoured Markdown table with `header` and `rows`."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell).replace("|", "/") for cell in row) + " |" for row in rows]
    return lines
