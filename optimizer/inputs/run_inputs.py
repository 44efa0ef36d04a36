"""The files a command reads: to keep its outputs away from them, and to tell when they changed.

A scenario's inputs are the scenario file, every file of its `extends` chain, the standards file and
every data file it names (tables, base-year stock, boundaries, road network). Outputs may not be,
contain or lie inside any of them or their folders, so a `--out` can never replace a planner's data.
Their SHA-256 go into the output manifest, so `optimizer map` can refuse to re-render a run whose
data changed since it was solved.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from optimizer.errors import PlannerError
from optimizer.inputs.scenario_loading import load_scenario, resolve

MAX_EXTENDS_DEPTH = 16


@dataclass(frozen=True)
class Inputs:
    """Resolved input files (hashed into manifests) and the folders outputs must stay out of."""

    files: frozenset[Path] = frozenset()
    folders: frozenset[Path] = frozenset()

    def __or__(self, other: Inputs) -> Inputs:
        return Inputs(self.files | other.files, self.folders | other.folders)

    def hashes(self) -> dict[str, str]:
        """SHA-256 of every input file that exists, keyed by its resolved path (sorted, for manifests)."""
        return {str(path): file_sha256(path) for path in sorted(self.files) if path.is_file()}


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB blocks (road files can be large)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def scenario_chain(path: Path) -> list[Path]:
    """The scenario file and every file its `extends` chain names, resolved; a missing or unreadable link ends it.

    A file that does not exist is no input (and its folder is not protected); the command reports it.
    """
    first = Path(path).resolve()
    chain = [first] if first.is_file() else []
    while chain and len(chain) <= MAX_EXTENDS_DEPTH:
        try:
            raw = tomllib.loads(chain[-1].read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            break
        base = raw.get("extends")
        if not isinstance(base, str):
            break
        following = resolve(chain[-1], Path(base))
        if following in chain or not following.is_file():
            break
        chain.append(following)
    return chain


def scenario_inputs(path: Path) -> Inputs:
    """The inputs of one scenario: its `extends` chain and data files, with their folders.

    The folders are each file's folder and the common parent of the data folders (e.g. `data/` for
    `data/population/…` and `data/facilities/…`) when it lies below the common parent of all input
    folders: data spread over unrelated places (the bundled tables and a road file in /tmp) must not
    make their shared ancestor, /tmp or a home folder, an input folder. A scenario that does not load still protects its
    own chain; the command reports its error elsewhere.
    """
    chain = scenario_chain(path)
    folders = {p.parent for p in chain}
    try:
        scenario = load_scenario(path)
    except PlannerError:
        return Inputs(frozenset(chain), _without_roots(folders))
    sources = scenario.data
    if scenario.facility_standards is not None:  # already absolute: resolved against the file naming it
        chain.append(scenario.facility_standards.file.resolve())
        folders.add(chain[-1].parent)
    named = [value for value in sources.model_dump().values() if isinstance(value, Path)]
    data = [resolve(path, p) for p in named]
    data_folders = {p.parent for p in data}
    if data_folders:
        data_root = Path(os.path.commonpath(sorted(str(f) for f in data_folders)))
        project_root = Path(os.path.commonpath(sorted(str(f) for f in data_folders | folders)))
        if project_root in data_root.parents:  # e.g. data/ below the project; never /tmp or a home folder
            data_folders.add(data_root)
    return Inputs(frozenset([*chain, *data]), _without_roots(folders | data_folders))


def recorded_inputs(manifest: Mapping[str, object]) -> Inputs:
    """The input files a tool-written manifest lists under `inputs`, and their folders."""
    recorded = manifest.get("inputs")
    files = {Path(p) for p in recorded} if isinstance(recorded, Mapping) else set()
    return Inputs(frozenset(files), _without_roots({p.parent for p in files}))


def changed_inputs(recorded: Mapping[str, str]) -> list[Path]:
    """The recorded input files that are gone or whose SHA-256 differs from the manifest's."""
    return [
        Path(name)
        for name, digest in sorted(recorded.items())
        if not Path(name).is_file() or file_sha256(Path(name)) != digest
    ]


def folder_inputs(folders: Iterable[Path]) -> Inputs:
    """Folders read as a whole (the run folders `diff` compares)."""
    return Inputs(folders=_without_roots({Path(f).resolve() for f in folders}))


def _without_roots(folders: set[Path]) -> frozenset[Path]:
    """Drop filesystem roots: a common parent of `/` would protect (and so refuse) everything."""
    return frozenset(f for f in folders if f != Path(f.anchor))
