"""Reading and checking inputs never imports a solver: `optimizer check` and the schema need no highspy or PuLP.

Each module of `optimizer.inputs` is imported in a fresh interpreter (the test process has long since
imported the solvers), and the solver packages must be absent from `sys.modules` afterwards. A schema
module that imports the adapter `optimizer.solving.solve` for a type fails here.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support import ROOT

INPUT_MODULES = (
    "optimizer.inputs.schema_types",
    "optimizer.inputs.solver_settings",
    "optimizer.inputs.scenario",
    "optimizer.inputs.scenario_loading",
    "optimizer.inputs.tables",
    "optimizer.inputs.boundaries",
    "optimizer.inputs.dataset_checks",
    "optimizer.inputs.datasets",
    "optimizer.inputs.run_inputs",
)
SOLVER_PACKAGES = ("highspy", "pulp", "cbcbox")


@pytest.mark.parametrize("module", INPUT_MODULES)
def test_input_module_imports_no_solver(module: str) -> None:
    code = f"import sys, {module}\nprint(','.join(name for name in {SOLVER_PACKAGES!r} if name in sys.modules))"
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    loaded = run.stdout.strip()
    assert not loaded, f"importing {module} imports {loaded}; the input layer must not import a solver"
