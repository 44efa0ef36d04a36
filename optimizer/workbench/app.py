"""The workbench web app (FastAPI): the page, and the JSON API it calls (docs/workbench.md lists the endpoints).

Rules every endpoint keeps:

* it writes only into the workspace (optimizer/workbench/workspace.py checks every name the page sends);
* bad input is answered with 422 and `{"errors": [{"field", "message"}]}` — the scenario check's own
  messages, fields named by id — and nothing is written; an unexpected failure is a 500 with one line,
  never a traceback;
* runs and sweeps go through the CLI's pipeline in a job process (optimizer/workbench/tasks.py).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from optimizer.errors import PlannerError
from optimizer.inputs.datasets import load_datasets
from optimizer.inputs.scenario_loading import load_scenario
from optimizer.workbench import fields, forms, results
from optimizer.workbench.jobs import JobManager
from optimizer.workbench.scenario_files import variant_text
from optimizer.workbench.validation import FieldError, check_text, field_errors, save_checked
from optimizer.workbench.workspace import Source, Workspace, WorkspaceError

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"


class Edit(BaseModel):
    """A scenario and the changes the planner made to its form (field path → what was typed)."""

    source: Source
    name: str
    changes: dict[str, Any] = Field(default_factory=dict)
    note: str = Field(default="", max_length=2000)


class Save(Edit):
    """An edit saved under a new name in the workspace."""

    new_name: str


class RunRequest(BaseModel):
    """A scenario to run."""

    source: Source
    name: str


class SweepRequest(RunRequest):
    """A budget sweep: from `low_pct` to `high_pct` of the scenario's budget in `steps` levels."""

    low_pct: float = Field(default=60, ge=0, le=1000)
    high_pct: float = Field(default=140, ge=0, le=1000)
    steps: int = Field(default=5, ge=1, le=41)


class RejectedInputError(Exception):
    """Field errors to answer with 422."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


def _errors(errors: list[FieldError], status: int = 422) -> JSONResponse:
    return JSONResponse({"errors": [{"field": e.field, "message": e.message} for e in errors]}, status_code=status)


def create_app(workspace: Workspace) -> FastAPI:
    """The app serving `workspace` (its folders exist: `Workspace.create`)."""
    jobs = JobManager()
    naming = threading.Lock()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.shutdown()

    app = FastAPI(title="县域医疗卫生资源规划工作台", lifespan=lifespan)
    app.state.workspace, app.state.jobs = workspace, jobs
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(WorkspaceError)
    async def _workspace_error(_: Request, error: WorkspaceError) -> JSONResponse:
        return _errors([FieldError(error.field, error.message)], 404 if error.missing else 422)

    @app.exception_handler(RejectedInputError)
    async def _input_problem(_: Request, error: RejectedInputError) -> JSONResponse:
        return _errors(error.errors)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_: Request, error: RequestValidationError) -> JSONResponse:
        found = [
            FieldError(".".join(str(p) for p in e.get("loc", ())[1:]) or "(request)", str(e.get("msg")))
            for e in error.errors()
        ]
        return _errors(found)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, error: Exception) -> JSONResponse:
        logger.exception("workbench request failed")
        return _errors([FieldError("(server)", f"内部错误 internal error: {type(error).__name__}: {error}")], 500)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/api/scenarios")
    def scenarios() -> list[dict[str, Any]]:
        listed = []
        for source in ("bundled", "workspace"):
            for path in workspace.listed(source):
                try:
                    name_zh = load_scenario(path).scenario.name_zh
                except PlannerError:
                    name_zh = None
                listed.append({"source": source, "name": path.stem, "name_zh": name_zh})
        return listed

    def _loaded(source: Source, name: str) -> tuple[Path, Any]:
        path = workspace.scenario_path(source, name)
        try:
            return path, load_scenario(path)
        except PlannerError as error:
            raise RejectedInputError(field_errors(error, {})) from None

    @app.get("/api/scenarios/{source}/{name}/form")
    def form(source: Source, name: str) -> dict[str, Any]:
        path, scenario = _loaded(source, name)
        try:
            data = load_datasets(scenario, path)
        except PlannerError as error:
            raise RejectedInputError(field_errors(error, {})) from None
        return {"source": source, "name": name, **forms.form_of(scenario, data)}

    @app.get("/api/scenarios/{source}/{name}/toml", response_class=PlainTextResponse)
    def toml(source: Source, name: str) -> str:
        return workspace.scenario_path(source, name).read_text(encoding="utf-8-sig")

    def _candidate(edit: Edit) -> tuple[str, list[dict[str, Any]]]:
        """The variant's TOML text and its changes, or `RejectedInputError` for fields the page cannot change."""
        path, scenario = _loaded(edit.source, edit.name)
        current = scenario.model_dump(mode="json")
        changes: dict[str, tuple[Any, Any]] = {}
        problems: list[FieldError] = []
        for field_path, typed in edit.changes.items():
            spec = forms.editable(field_path)
            owner = field_path.rsplit(".", 1)[0]
            if spec is None:
                problems.append(FieldError(field_path, "this field cannot be changed from the page"))
                continue
            if fields.read(current, owner) is None:
                problems.append(FieldError(field_path, f"the scenario has no {owner}, so it cannot be changed here"))
                continue
            old, new = fields.read(current, field_path), forms.coerce(spec, typed)
            if new != old:
                changes[field_path] = (old, new)
        if problems:
            raise RejectedInputError(problems)
        try:
            text = variant_text(path, changes, note=edit.note, today=date.today())
        except fields.FieldPathError as error:
            raise RejectedInputError([FieldError("(scenario)", str(error))]) from None
        return text, [{"field": k, "old": o, "new": n} for k, (o, n) in changes.items()]

    @app.post("/api/check")
    def check(edit: Edit) -> dict[str, Any]:
        text, changes = _candidate(edit)
        report = check_text(workspace.scenarios, text, f"{edit.name}.toml")
        if report.errors:
            raise RejectedInputError(list(report.errors))
        return {"ok": True, "summary": report.summary, "changes": changes}

    @app.post("/api/scenarios", status_code=201)
    def save(edit: Save) -> dict[str, Any]:
        destination = workspace.new_scenario_path(edit.new_name)
        text, changes = _candidate(edit)
        report = save_checked(workspace.scenarios, text, destination)
        if report.errors:
            raise RejectedInputError(list(report.errors))
        return {"source": "workspace", "name": destination.stem, "changes": changes}

    def _submit(kind: Literal["run", "whatif"], request: RunRequest, params: dict[str, Any]) -> dict[str, Any]:
        path = workspace.scenario_path(request.source, request.name)
        folder = workspace.runs if kind == "run" else workspace.whatif
        with naming:  # the folder name is reserved by the queued job before another request picks one
            out = folder / workspace.next_output_name("runs" if kind == "run" else "whatif", path.stem, jobs.reserved())
            job = jobs.submit(kind, f"{request.source}/{request.name}", path, out, params)
        return job.view()

    @app.post("/api/runs", status_code=202)
    def run(request: RunRequest) -> dict[str, Any]:
        return _submit("run", request, {})

    @app.post("/api/whatif", status_code=202)
    def whatif(request: SweepRequest) -> dict[str, Any]:
        if request.low_pct > request.high_pct:
            raise RejectedInputError([FieldError("low_pct", "the lower end must not exceed the upper end")])
        params = {"low_pct": request.low_pct, "high_pct": request.high_pct, "steps": request.steps}
        return _submit("whatif", request, params)

    @app.get("/api/jobs")
    def job_list() -> list[dict[str, Any]]:
        return [job.view() for job in jobs.all()]

    def _job(job_id: str) -> dict[str, Any]:
        job = jobs.get(job_id)
        if job is None:
            raise WorkspaceError("job", f"no job '{job_id}'", missing=True)
        return job.view()

    @app.get("/api/jobs/{job_id}")
    def job_view(job_id: str) -> dict[str, Any]:
        return _job(job_id)

    @app.post("/api/jobs/{job_id}/cancel")
    def cancel(job_id: str) -> dict[str, Any]:
        jobs.cancel(job_id)
        return _job(job_id)

    @app.get("/api/runs")
    def run_list() -> list[dict[str, Any]]:
        return results.run_names(workspace.runs)

    @app.get("/api/runs/{name}")
    def run_view(name: str) -> dict[str, Any]:
        return results.run_view(workspace.output_folder("runs", name))

    @app.get("/api/runs/{name}/files/{file_name}")
    def run_file(name: str, file_name: str) -> FileResponse:
        return FileResponse(workspace.output_file("runs", name, file_name))

    @app.get("/api/whatif/{name}")
    def sweep_view(name: str) -> dict[str, Any]:
        folder = workspace.output_folder("whatif", name)
        return results.sweep_view(folder, _target_labels(folder))

    @app.get("/api/whatif/{name}/files/{file_name}")
    def sweep_file(name: str, file_name: str) -> FileResponse:
        return FileResponse(workspace.output_file("whatif", name, file_name))

    @app.get("/api/compare")
    def compare(a: str, b: str) -> dict[str, Any]:
        try:
            return results.compare_view(workspace.output_folder("runs", a), workspace.output_folder("runs", b))
        except PlannerError as error:
            raise RejectedInputError(field_errors(error, {})) from None

    return app


def _target_labels(folder: Path) -> dict[str, str]:
    """Indicator names of the swept scenario's targets, by id (empty when the scenario no longer loads)."""
    manifest = folder / "sweep_manifest.json"
    try:
        scenario = load_scenario(Path(json.loads(manifest.read_text(encoding="utf-8"))["scenario"]))
    except (PlannerError, OSError, KeyError, ValueError):
        return {}
    return {t.id: t.indicator_zh for t in scenario.targets}
