"""The planner's workspace folder: the one place the workbench writes, and the paths it hands out.

Layout (created when absent)::

    WORKSPACE/scenarios/<name>.toml     the planner's own scenarios (saved from the page)
    WORKSPACE/runs/<scenario>-<n>/      one folder per run, written by optimizer/outputs/folders.py
    WORKSPACE/whatif/<scenario>-<n>/    one folder per what-if sweep

Every name the page sends is checked against `NAME` (letters, digits, `_`, `-`; no dots, slashes or
`..`), joined to a fixed folder and resolved; a result outside that folder (a symlink pointing out) is
refused with `WorkspaceError`. Bundled scenarios (`scenarios/*.toml` of the project) are read-only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,79}$")
"""A scenario, run or sweep name: no dot, slash or backslash, so it can never leave its folder."""
FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,119}$")
"""A file inside a run folder (`map.html`, `results.xlsx`); `..` is refused separately."""

Source = Literal["bundled", "workspace"]


class WorkspaceError(ValueError):
    """A name or path the page sent that would leave its folder, or names nothing; `field` is the form field."""

    def __init__(self, field: str, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.missing = missing
        """True when the name is well-formed but names nothing (HTTP 404 rather than 422)."""


def inside(root: Path, name: str, *, field: str, suffix: str = "", pattern: re.Pattern[str] = NAME) -> Path:
    """`root/<name><suffix>`, resolved, after checking the name and that the result stays in `root`.

    Raises
    ------
    WorkspaceError
        For a name with a separator, `..`, an absolute path, or a symlink that resolves outside `root`.
    """
    if not pattern.match(name) or ".." in name:
        raise WorkspaceError(
            field, f"'{name}' is not a plain name; use letters, digits, '_' or '-' (no '/', '\\' or '..')"
        )
    base = root.resolve()
    path = (base / f"{name}{suffix}").resolve()
    if path.parent != base:
        raise WorkspaceError(field, f"'{name}' leads outside {base} (a link?); it is refused")
    return path


@dataclass(frozen=True)
class Workspace:
    """The workspace folder (resolved) and the folder of bundled scenarios (read-only)."""

    root: Path
    bundled: Path

    @classmethod
    def create(cls, root: Path, bundled: Path) -> Workspace:
        """The workspace at `root`, its sub-folders made when absent."""
        resolved = Path(root).expanduser().resolve()
        for folder in ("scenarios", "runs", "whatif"):
            (resolved / folder).mkdir(parents=True, exist_ok=True)
        return cls(resolved, Path(bundled).resolve())

    @property
    def scenarios(self) -> Path:
        """The planner's own scenario files."""
        return self.root / "scenarios"

    @property
    def runs(self) -> Path:
        """Run folders."""
        return self.root / "runs"

    @property
    def whatif(self) -> Path:
        """What-if sweep folders."""
        return self.root / "whatif"

    def scenario_path(self, source: Source, name: str) -> Path:
        """The file of a bundled or workspace scenario; it must exist.

        Raises
        ------
        WorkspaceError
            For a bad name or source, or a scenario that does not exist.
        """
        if source not in ("bundled", "workspace"):
            raise WorkspaceError("source", f"'{source}' is neither 'bundled' nor 'workspace'")
        folder = self.bundled if source == "bundled" else self.scenarios
        path = inside(folder, name, field="scenario", suffix=".toml")
        if not path.is_file():
            raise WorkspaceError("scenario", f"no {source} scenario '{name}'", missing=True)
        return path

    def new_scenario_path(self, name: str) -> Path:
        """Where a newly saved scenario goes; refused when that file exists (saving never overwrites)."""
        path = inside(self.scenarios, name, field="name", suffix=".toml")
        if path.exists():
            raise WorkspaceError("name", f"a scenario '{name}' is already in the workspace; choose another name")
        return path

    def listed(self, source: Source) -> list[Path]:
        """The scenario files of a source, sorted; links that lead out of the folder are left out."""
        folder = self.bundled if source == "bundled" else self.scenarios
        return [
            path
            for path in sorted(folder.glob("*.toml"))
            if NAME.match(path.stem) and path.resolve().parent == folder.resolve()
        ]

    def output_folder(self, kind: Literal["runs", "whatif"], name: str) -> Path:
        """An existing run or sweep folder by name."""
        path = inside(self.root / kind, name, field="run")
        if not path.is_dir():
            raise WorkspaceError("run", f"no {kind} folder '{name}' in the workspace", missing=True)
        return path

    def output_file(self, kind: Literal["runs", "whatif"], name: str, file_name: str) -> Path:
        """A file of a run or sweep folder, checked to stay in that folder."""
        folder = self.output_folder(kind, name)
        path = inside(folder, file_name, field="file", pattern=FILE_NAME)
        if not path.is_file():
            raise WorkspaceError("file", f"{kind}/{name} has no file '{file_name}'", missing=True)
        return path

    def next_output_name(self, kind: Literal["runs", "whatif"], stem: str, taken: set[str]) -> str:
        """`<stem>-<n>` with the first `n` not used by a folder (or a queued job, `taken`)."""
        inside(self.root / kind, stem, field="scenario")
        n = 1
        while (self.root / kind / f"{stem}-{n}").exists() or f"{stem}-{n}" in taken:
            n += 1
        return f"{stem}-{n}"
