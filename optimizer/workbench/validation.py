"""The check behind the page's "validate as you type" and "save": exactly `optimizer check`, on a candidate file.

The candidate TOML is written into a temporary folder inside the workspace (`scenarios/.check-…`, removed
afterwards whatever happens), then `pipeline.prepare` — the call `optimizer check` makes — loads the
scenario and its data and builds the travel matrix. Every `Problem` becomes a `FieldError` whose field
names list elements by id (`targets[beds_per_1000].value`, optimizer/workbench/fields.py) and whose
message is the check's own. Saving links the checked file to its new name, so a file is written into
the workspace only when it passed and never over an existing one.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optimizer.errors import InputError, PlannerError
from optimizer.inputs.field_paths import by_id
from optimizer.pipeline import prepare
from optimizer.workbench.workspace import WorkspaceError

logger = logging.getLogger(__name__)

_VALUE_ERROR = "Value error, "
_RULE = re.compile(r"^([a-z_][a-z0-9_.]*): (.+)$", re.DOTALL)
_NEXT_RULE = re.compile(r"; (?=[a-z_][a-z0-9_.]*: )")


@dataclass(frozen=True)
class FieldError:
    """One problem of a candidate scenario: the form field it belongs to and the check's message."""

    field: str
    message: str


@dataclass(frozen=True)
class CheckReport:
    """The outcome of checking a candidate: its problems (none when it passed) and counts when it passed."""

    errors: tuple[FieldError, ...]
    summary: dict[str, int]


def field_errors(error: PlannerError, raw: dict[str, Any]) -> list[FieldError]:
    """The problems of a failed check as field errors (a scenario rule's joined messages split per field)."""
    if not isinstance(error, InputError):
        return [FieldError("(scenario)", " ".join(str(error).split()))]
    found: list[FieldError] = []
    for problem in error.problems:
        if problem.field == "(top level)" and problem.message.startswith(_VALUE_ERROR):
            for part in _NEXT_RULE.split(problem.message.removeprefix(_VALUE_ERROR)):
                rule = _RULE.match(part)
                found.append(FieldError(by_id(rule.group(1), raw), rule.group(2)) if rule else FieldError("", part))
        else:
            found.append(FieldError(by_id(problem.field, raw), problem.message))
    return found


@contextmanager
def _candidate(folder: Path, text: str, file_name: str) -> Iterator[Path]:
    """The candidate text as a file in a temporary folder under `folder`, removed on leaving."""
    with tempfile.TemporaryDirectory(prefix=".check-", dir=folder) as staging:
        path = Path(staging) / file_name
        path.write_text(text, encoding="utf-8")
        yield path


def _check(path: Path, text: str) -> CheckReport:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        raw = {}
    try:
        prepared = prepare(path)
    except PlannerError as error:
        return CheckReport(tuple(field_errors(error, raw)), {})
    summary = {
        "targets": len(prepared.scenario.targets),
        "townships": len(prepared.data.townships),
        "facilities": len(prepared.data.facilities),
    }
    return CheckReport((), summary)


def check_text(folder: Path, text: str, file_name: str) -> CheckReport:
    """Check a candidate scenario as `optimizer check` does, writing nothing that outlives the call."""
    with _candidate(folder, text, file_name) as path:
        return _check(path, text)


def save_checked(folder: Path, text: str, destination: Path) -> CheckReport:
    """Check the candidate and, when it passes, give it its name in the workspace (never replacing a file).

    Raises
    ------
    WorkspaceError
        When `destination` appeared meanwhile (another save took the name).
    """
    with _candidate(folder, text, destination.name) as path:
        report = _check(path, text)
        if report.errors:
            return report
        try:
            os.link(path, destination)  # atomic, and fails instead of replacing an existing file
        except FileExistsError:
            raise WorkspaceError("name", f"a scenario '{destination.stem}' is already in the workspace") from None
    logger.info("saved %s", destination)
    return report
