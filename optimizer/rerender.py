"""`optimizer map RESULT_DIR`: re-render the geographic outputs of a finished run from its folder.

The scenario named in `manifest.json` is prepared again for its data, road graph and travel matrix
(`optimizer.pipeline.prepare`), and the plan itself is read from `allocation.csv`, so no model is
solved. The scenario and every input file the manifest lists must still have the SHA-256 recorded by
the run; the folder is re-written through the same locked, staged swap as a run
(optimizer/outputs/folders.py). This module sits after both the pipeline and the outputs, so the
output modules never reach back into the pipeline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.errors import OutputError
from optimizer.inputs.run_inputs import changed_inputs, recorded_inputs
from optimizer.inputs.scenario_loading import scenario_hash
from optimizer.outputs.files import CSV_ENCODING
from optimizer.outputs.folders import MANIFEST, output_folder
from optimizer.outputs.geo_report import GeoInputs, write_geo_outputs
from optimizer.pipeline import prepare


def inputs_from_run(result_dir: Path) -> GeoInputs:
    """Rebuild the geography inputs of a finished run from its folder (no solve).

    Raises
    ------
    OutputError
        When the folder has no manifest or allocation, or the scenario or a data file changed since the run.
    """
    manifest = _run_manifest(result_dir)
    allocation_path = result_dir / "allocation.csv"
    scenario_path = _scenario_path(manifest, result_dir)
    if scenario_hash(scenario_path) != manifest.get("scenario_sha256"):
        raise OutputError(
            f"{scenario_path}: changed since the run in {result_dir} (sha256 differs from "
            "manifest.json); re-run `optimizer run` to map the current scenario"
        )
    recorded = manifest.get("inputs")
    if not isinstance(recorded, dict) or not recorded:
        raise OutputError(
            f"{result_dir / MANIFEST}: records no input hashes (written by an older version); "
            f"re-run `optimizer run --out {result_dir}` before `optimizer map`"
        )
    changed = changed_inputs(recorded)
    if changed:
        raise OutputError(
            f"{changed[0]}: changed or removed since the run in {result_dir} was solved (sha256 "
            f"differs from {MANIFEST} inputs); re-run `optimizer run --out {result_dir}` to map "
            "the current data"
        )
    prepared = prepare(scenario_path)
    allocation = _run_allocation(
        allocation_path, {"facility_id", "ambulances", "is_subcentre", *prepared.scenario.resources}
    )
    known = set(prepared.matrix.destinations)
    unknown = sorted(set(allocation["facility_id"]) - known)
    if unknown:
        raise OutputError(
            f"{allocation_path}: facilities {', '.join(unknown)} are not in the scenario's data; re-run `optimizer run`"
        )
    allocation["is_subcentre"] = allocation["is_subcentre"].astype(str).str.lower().eq("true")
    return GeoInputs(prepared.scenario, prepared.data, prepared.matrix, allocation, prepared.road)


def _run_allocation(path: Path, required: set[str]) -> pd.DataFrame:
    """A run's allocation.csv; a truncated or foreign file, or a missing column, is an OutputError naming it."""
    rerun = f"re-run `optimizer run --out {path.parent}`"
    try:
        allocation = pd.read_csv(path, encoding=CSV_ENCODING, dtype={"facility_id": str, "town_code": str})
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise OutputError(f"{path}: cannot be read as CSV ({' '.join(str(exc).split())[:200]}); {rerun}") from None
    missing = sorted(required - set(allocation.columns))
    if missing:
        raise OutputError(
            f"{path}: column(s) {', '.join(missing)} missing (damaged or not written by `optimizer run`); {rerun}"
        )
    if allocation["facility_id"].isna().any() or allocation["facility_id"].duplicated().any():
        raise OutputError(f"{path}: facility_id has empty or repeated values; {rerun}")
    return allocation


def _run_manifest(result_dir: Path) -> dict[str, Any]:
    """The manifest of a finished run, after checking that the run's manifest and allocation exist."""
    manifest_path = result_dir / MANIFEST
    for required in (manifest_path, result_dir / "allocation.csv"):
        if not required.is_file():
            raise OutputError(f"{required}: not found; give the --out folder of a finished `optimizer run`")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise OutputError(f"{manifest_path}: is not JSON; re-run `optimizer run --out {result_dir}`") from None
    if not isinstance(manifest, dict):
        raise OutputError(f"{manifest_path}: is not a run manifest; re-run `optimizer run --out {result_dir}`")
    return manifest


def _scenario_path(manifest: dict[str, Any], result_dir: Path) -> Path:
    candidates = [manifest.get("scenario_resolved"), manifest.get("scenario")]
    paths = [Path(c) for c in candidates if c]
    paths += [result_dir / p for p in paths if not p.is_absolute()]
    for path in paths:
        if path.is_file():
            return path
    raise OutputError(
        f"{result_dir / 'manifest.json'}: the scenario it names ({manifest.get('scenario')}) "
        "is not found from here; run `optimizer map` from the folder the run was started in"
    )


def rerender(result_dir: Path) -> list[Path]:
    """Re-write the geographic outputs of a finished run (the `optimizer map` command); returns their paths.

    The run folder is locked, copied into a staging folder, re-rendered there and swapped back, as
    a run writes it; inputs that changed since the run are refused before anything is written.
    """
    inputs = recorded_inputs(_run_manifest(result_dir))
    with output_folder(result_dir, inputs, command="run", option="RUN_DIR", keep_existing=True) as staging:
        written = write_geo_outputs(inputs_from_run(result_dir), staging)
    return [result_dir / path.name for path in written]
