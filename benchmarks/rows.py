"""What every benchmark script does with its rows: format values, read peak memory, write the CSV atomically.

The province benchmarks (`province.py`, `province_planner.py`) also share their solve options
(`add_solve_options`) and their output loop (`stream_rows`: one line per row as it finishes, then the CSV).
"""

from __future__ import annotations

import argparse
import csv
import platform
import resource
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

Row = dict[str, Any]
SOLVE_COLUMNS = ("outcome", "objective", "bound", "gap")
"""What every benchmark row says of a solve: the solver's outcome, its objective, proven bound and gap."""


def fmt(value: Any) -> str:
    """A cell as text: empty for None, 6 significant digits for floats (tiny ones in exponent form)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.2e}"
    return str(value)


def peak_mb() -> float:
    """Peak resident memory of this process in MB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    scale = 1024 * 1024 if platform.system() == "Darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


def row_line(row: Row, columns: Sequence[str], separator: str = " ") -> str:
    """One row as `column=value` pairs, for progress output."""
    return separator.join(f"{c}={fmt(row.get(c))}" for c in columns)


def write_rows_csv(rows: Iterable[Row], columns: Sequence[str], out: Path) -> None:
    """Write atomically: a temporary file in the target folder, then os.replace."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", newline="", encoding="utf-8", dir=out.parent, delete=False, suffix=".tmp"
    ) as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows({c: fmt(r.get(c)) for c in columns} for r in rows)
    Path(handle.name).replace(out)


def add_solve_options(parser: argparse.ArgumentParser, *, time_limit_s: float, threads: int) -> None:
    """`--time-limit` (seconds per solve), `--gap` (relative, default 0.5 %) and `--threads`."""
    parser.add_argument("--time-limit", type=float, default=time_limit_s)
    parser.add_argument("--gap", type=float, default=0.005)
    parser.add_argument("--threads", type=int, default=threads)


def stream_rows(rows: Iterable[Row], columns: Sequence[str], out: Path | None) -> list[Row]:
    """Print each row to stdout as it is produced (a long run shows progress), then write `out` if given."""
    done = []
    for row in rows:
        done.append(row)
        sys.stdout.write(row_line(row, columns, " | ") + "\n")
        sys.stdout.flush()
    if out:
        write_rows_csv(done, columns, out)
    return done
