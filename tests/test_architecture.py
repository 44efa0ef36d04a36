"""The import rule of docs/architecture.md, checked on the source: packages import only downward.

`models/` imports the standard library, NumPy, PuLP and itself; `optimizer/` sub-packages import only
packages earlier in the pipeline order (or themselves). A new upward import (an output module
reaching back into the pipeline, the schema importing the solver) fails here with the offending line.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

# Pipeline order of docs/architecture.md: each layer may import the layers before it, never after.
OPTIMIZER_LAYERS = (
    "errors",
    "inputs",
    "geography",
    "instance",
    "solving",
    "analysis",
    "pipeline",
    "whatif",
    "audit",
    "outputs",
    "rerender",
    "workbench",
    "cli",
)
MODELS_ALLOWED = {"numpy", "pulp", "models", "__future__"}


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) of every absolute import in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _layer(module: str) -> str:
    """The layer of a dotted `optimizer.…` module: its sub-package or top-level module name."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", _sources("models"), ids=lambda p: str(p.relative_to(ROOT)))
def test_models_import_only_the_standard_library_numpy_and_pulp(path: Path) -> None:
    bad = [
        (line, module)
        for line, module in _imports(path)
        if module.split(".")[0] not in MODELS_ALLOWED | set(sys.stdlib_module_names)
    ]
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}: models/ may import only stdlib, numpy and pulp"


@pytest.mark.parametrize("path", _sources("optimizer"), ids=lambda p: str(p.relative_to(ROOT)))
def test_optimizer_packages_import_only_earlier_layers(path: Path) -> None:
    relative = path.relative_to(ROOT / "optimizer")
    own = relative.parts[0].removesuffix(".py")
    if own in ("__init__", "__main__"):
        return
    assert own in OPTIMIZER_LAYERS, f"optimizer/{relative}: layer {own!r} is not in docs/architecture.md"
    rank = OPTIMIZER_LAYERS.index(own)
    upward = [
        (line, module)
        for line, module in _imports(path)
        if module.startswith("optimizer.") and OPTIMIZER_LAYERS.index(_layer(module)) > rank
    ]
    assert not upward, f"optimizer/{relative} ({own}) imports later layers: {upward}"


def test_every_optimizer_layer_exists() -> None:
    present = {p.name.removesuffix(".py") for p in (ROOT / "optimizer").iterdir() if not p.name.startswith("_")}
    assert set(OPTIMIZER_LAYERS) - {"rerender"} <= present
