"""Reading a scenario file: TOML with `tomllib`, the `extends` defaults chain, and errors a planner can act on.

`load_scenario` reports every problem at once as `file: field.path: message`, so a planner fixes a
file in one pass: unreadable bytes, TOML syntax (with a hint for flags written as words), unknown or
missing fields and out-of-range numbers all become `Problem`s of one `ScenarioError`. A byte-order
mark is accepted. Paths inside a scenario are relative to the scenario file (`resolve`);
`scenario_hash` fingerprints the file for manifests. The schema itself is `optimizer.inputs.scenario`.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from optimizer.errors import Problem, ScenarioError
from optimizer.inputs.field_paths import by_id
from optimizer.inputs.scenario import Scenario

STANDALONE_DEFAULTS = frozenset({"travel", "solver", "objective", "facility_standards"})


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file, merged over the defaults file it `extends`, if any.

    A scenario may start with `extends = "defaults/national.toml"` (relative to the scenario): the
    national rules the plans quote live there once, and the scenario overrides what its plan says
    differently. Tables merge key by key; arrays and values in the scenario replace the defaults.

    Raises
    ------
    ScenarioError
        With every problem found, each naming the file, the field and what to change.
    """
    path = Path(path)
    raw = _read_toml(path)
    _anchor_standards(raw, path)
    base_name = raw.pop("extends", None)
    if base_name is not None:
        if not isinstance(base_name, str):
            raise ScenarioError([Problem(path, "extends", "must be the path of a defaults .toml file")])
        base_path = resolve(path, Path(base_name))
        defaults = _read_toml(base_path)
        _anchor_standards(defaults, base_path)
        # An optional block (ambulances, sub-centres) takes defaults only when the scenario declares it.
        defaults = {k: v for k, v in defaults.items() if k in raw or k in STANDALONE_DEFAULTS}
        raw = _merge(defaults, raw)
    _load_standards(raw, path)
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError([_problem(path, error, raw) for error in exc.errors()]) from None
    except RecursionError:
        raise ScenarioError(
            [
                Problem(
                    path,
                    "(structure)",
                    "values are nested too deeply; a scenario needs at most a few levels of tables and arrays",
                )
            ]
        ) from None


def _anchor_standards(raw: dict[str, object], path: Path) -> None:
    """Make `[facility_standards] file` absolute, relative to the file that names it (scenario or defaults)."""
    block = raw.get("facility_standards")
    if isinstance(block, dict) and isinstance(block.get("file"), str):
        block["file"] = str(resolve(path, Path(block["file"])))


def _load_standards(raw: dict[str, object], path: Path) -> None:
    """Read the standards file named by `[facility_standards] file` into the block (grades, standards)."""
    block = raw.get("facility_standards")
    if not isinstance(block, dict) or not isinstance(block.get("file"), str):
        return
    standards_path = Path(block["file"])
    if not standards_path.is_file():
        raise ScenarioError(
            [Problem(path, "facility_standards.file", f"{standards_path} does not exist; give the standards TOML")]
        )
    content = _read_toml(standards_path)
    unknown = sorted(set(content) - {"grades", "standards"})
    if unknown:
        raise ScenarioError(
            [Problem(standards_path, ", ".join(unknown), "a standards file holds only [grades.*] and [[standards]]")]
        )
    block.setdefault("grades", content.get("grades", {}))
    block.setdefault("standards", content.get("standards", []))


def _read_toml(path: Path) -> dict[str, object]:
    if not path.is_file():
        raise ScenarioError([Problem(path, "(file)", "not found; pass the path of a scenario .toml file")])
    try:
        text = path.read_bytes().decode("utf-8-sig")  # a byte-order mark (Windows editors) is not an error
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem(path, "(file)", f"is not UTF-8 text ({exc.reason}); save it as UTF-8")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(path, "(file)", f"cannot be read ({exc.strerror}); check the path")]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([Problem(path, "(syntax)", f"invalid TOML: {exc}; {_syntax_hint(text, exc)}")]) from None
    except RecursionError:
        raise ScenarioError(
            [
                Problem(
                    path,
                    "(syntax)",
                    "arrays or tables are nested too deeply for TOML to be read; a scenario needs at most a few levels",
                )
            ]
        ) from None


_WORD_FLAG = re.compile(r"=\s*(yes|no|on|off|True|False|TRUE|FALSE|是|否|对|错)\s*(#.*)?$")


def _syntax_hint(text: str, exc: tomllib.TOMLDecodeError) -> str:
    """The fix for a TOML syntax error; flags written as words get their own explanation."""
    line_number = getattr(exc, "lineno", None)
    match = re.search(r"at line (\d+)", str(exc))
    if line_number is None and match:
        line_number = int(match.group(1))
    lines = text.splitlines()
    if line_number is not None and 1 <= line_number <= len(lines):
        flag = _WORD_FLAG.search(lines[line_number - 1])
        if flag:
            return f"flags are written `true` or `false` (lower case, no quotes), not `{flag.group(1)}`"
    return "fix the line shown"


def _merge(base: dict[str, object], override: dict[str, object]) -> dict[str, object]:
    """`override` over `base`: nested tables merge, everything else is replaced.

    A citation (a table with `seed` or `basis`) is one source and replaces the default's whole: merged key
    by key, a scenario's `basis` would keep the default's `seed` and `line` and cite another plan.
    """
    merged = dict(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, dict) and not {"seed", "basis"} & set(value):
            merged[key] = _merge(current, value)
        else:
            merged[key] = value
    return merged


def _problem(path: Path, error: object, raw: Mapping[str, Any]) -> Problem:
    """A pydantic error as a planner reads it: located by element id (`field_paths.by_id`), with the fix."""
    details = error if isinstance(error, dict) else {}
    location = by_id(".".join(str(part) for part in details.get("loc", ())), raw) or "(top level)"
    message = str(details.get("msg", "invalid value"))
    if details.get("type") == "extra_forbidden":
        message = "unknown field; remove it or check its spelling against docs/scenario.md"
    elif details.get("type") == "missing":
        message = "required field is missing; add it"
    elif details.get("type") in ("bool_type", "bool_parsing"):
        message = f"{message}: got {details.get('input')!r}; write `true` or `false` (lower case, no quotes)"
    elif details.get("type") in ("finite_number",):
        message = f"{message}: got {details.get('input')!r}; give a finite number (not nan or inf)"
    elif details.get("type") in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        message = (
            f"{message} (got {details.get('input')!r}); give a value in that range, in the unit the field name says"
        )
    return Problem(path, location, message)


def scenario_hash(path: Path) -> str:
    """SHA-256 of the scenario file's bytes, for manifests and caches."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def resolve(scenario_path: Path, relative: Path) -> Path:
    """A data path from the scenario, resolved against the scenario file's folder."""
    return (Path(scenario_path).parent / relative).resolve()
