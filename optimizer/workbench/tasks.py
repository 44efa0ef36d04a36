"""What a workbench job does, in its own process: a run or a what-if sweep, exactly as the CLI does them.

A run is `optimizer run`: the scenario and its data are loaded and checked, the travel matrix built
(`pipeline.prepare_loaded`), the output folder checked and locked (`outputs.folders.output_folder`),
the plan solved and verified (`pipeline.plan_scenario`) and every output written (`write_outputs`)
into the staging folder that replaces the run folder at the end. A sweep is `optimizer whatif
--budget LOW%..HIGH% --steps N --sequential` (`whatif.sweep.run_sweep`, `write_sweep`), without the
greedy baseline and the budget duals, which the page does not show.

Progress goes to the parent as `(event, …)` tuples on a queue: `("phase", name)`, `("level", done,
total, value, outcome)`, then `("done",)` or `("error", kind, message)`. The phases inside
`plan_scenario` (model built → solving → verifying) are read from the pipeline's own log records, so
the pipeline is not changed for the page; a record it stops writing only leaves the phase shown longer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

from optimizer.errors import PlannerError
from optimizer.inputs.datasets import load_datasets
from optimizer.inputs.run_inputs import scenario_inputs
from optimizer.inputs.scenario_loading import load_scenario
from optimizer.outputs.folders import output_folder
from optimizer.outputs.geo_report import GeoInputs
from optimizer.outputs.report import write_outputs
from optimizer.outputs.tradeoff import write_sweep
from optimizer.pipeline import plan_scenario, prepare_loaded
from optimizer.whatif.levels import LevelOptions, LevelOutcome, budget_levels
from optimizer.whatif.sweep import run_sweep

logger = logging.getLogger(__name__)

Emit = Callable[..., None]


class _PhaseWatch(logging.Handler):
    """Turns the pipeline's log records into phases: the model's size is logged when it is built, the
    solver's outcome when the solve ends."""

    def __init__(self, emit: Emit) -> None:
        super().__init__(logging.INFO)
        self._emit = emit
        self._phase = "build"

    def emit(self, record: logging.LogRecord) -> None:
        template = str(record.msg)
        if self._phase == "build" and record.name == "optimizer.pipeline" and template.startswith("model %s"):
            self._phase = "solve"
            self._emit("phase", "solve")
        elif self._phase == "solve" and record.name == "optimizer.solving.solve" and " in %.2f s" in template:
            self._phase = "verify"
            self._emit("phase", "verify")


@contextmanager
def _watching(emit: Emit) -> Iterator[None]:
    watch = _PhaseWatch(emit)
    package = logging.getLogger("optimizer")
    level = package.level
    package.addHandler(watch)
    package.setLevel(logging.INFO)
    try:
        yield
    finally:
        package.removeHandler(watch)
        package.setLevel(level)


def run_plan(scenario_path: Path, out: Path, emit: Emit) -> None:
    """`optimizer run SCENARIO --out OUT`, reporting each phase."""
    emit("phase", "read")
    scenario = load_scenario(scenario_path)
    data = load_datasets(scenario, scenario_path)
    emit("phase", "travel")
    prepared = prepare_loaded(scenario_path, scenario, data)
    with output_folder(out, scenario_inputs(scenario_path), command="run") as staging:
        emit("phase", "build")
        with _watching(emit):
            result = plan_scenario(prepared)
        emit("phase", "write")
        geography = GeoInputs(prepared.scenario, prepared.data, prepared.matrix, result.allocation, prepared.road)
        write_outputs(result, geography, scenario_path, staging)


def run_budget_sweep(
    scenario_path: Path, out: Path, emit: Emit, *, low_pct: float, high_pct: float, steps: int
) -> None:
    """`optimizer whatif SCENARIO --budget LOW%..HIGH% --steps N --sequential --no-greedy --no-duals`."""
    emit("phase", "read")
    scenario = load_scenario(scenario_path)
    spec = budget_levels(
        f"{low_pct:g}%..{high_pct:g}%", steps=steps, scenario_budget_cny=scenario.budget.budget_cny.value
    )
    with output_folder(out, scenario_inputs(scenario_path), command="whatif") as staging:
        emit("phase", "solve")
        done = 0

        def level_done(outcome: LevelOutcome) -> None:
            nonlocal done
            if outcome.level.index < 0:  # the scenario's own budget, solved beside the levels as their base
                return
            done += 1
            emit("level", done, len(spec.values), outcome.level.value, str(outcome.row.get("outcome")))

        result = run_sweep(
            scenario_path,
            spec,
            mode="sequential",
            options=LevelOptions(greedy=False, duals=False),
            on_level=level_done,
        )
        emit("phase", "write")
        write_sweep(result, scenario_path, staging)


def execute(kind: str, scenario_path: str, out: str, params: dict[str, Any], events: Queue[tuple[Any, ...]]) -> None:
    """The job process's entry point: run the job and report its end; never raises."""

    def emit(*event: Any) -> None:
        events.put(event)

    try:
        if kind == "run":
            run_plan(Path(scenario_path), Path(out), emit)
        else:
            run_budget_sweep(Path(scenario_path), Path(out), emit, **params)
    except PlannerError as error:
        emit("error", type(error).__name__, str(error))
    except Exception as error:  # noqa: BLE001 - the page gets one line, the server log the traceback
        logger.exception("workbench job %s on %s failed", kind, scenario_path)
        emit("error", "internal", f"{type(error).__name__}: {error}")
    else:
        emit("done")
