"""Background jobs of the workbench: runs and what-if sweeps, one at a time per scenario, queued, cancellable.

Each job runs `optimizer.workbench.tasks.execute` in its own process (spawned, so the server's threads
are not copied), which is what makes cancelling real: the process is terminated, wherever the solver
is. Its output folder is named when the job is queued (`runs/<scenario>-<n>`), and since the folder is
only swapped in after the last file (optimizer/outputs/folders.py), a cancelled or failed job leaves no
run folder; its staging folder and lock file are removed here. A driver thread per job waits until no
earlier job of the same scenario is queued or running, starts the process and turns its events into
the job's phase, level count and outcome.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import queue
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from optimizer.workbench import tasks

logger = logging.getLogger(__name__)

Kind = Literal["run", "whatif"]
Status = Literal["queued", "running", "done", "failed", "cancelled"]
PHASES: dict[str, tuple[tuple[str, str], ...]] = {
    "run": (
        ("read", "读取数据"),
        ("travel", "计算出行时间"),
        ("build", "构建模型"),
        ("solve", "求解"),
        ("verify", "校验"),
        ("write", "写出结果"),
    ),
    "whatif": (("read", "读取数据"), ("solve", "求解各预算水平"), ("write", "写出结果")),
}
Ended = tuple[Status, str | None, str | None]
"""How a job ended: its status, the message shown and the kind of error."""
_POLL_S = 0.1


@dataclass
class Job:
    """One queued, running or finished job (mutated only by its driver thread and `cancel`)."""

    id: str
    kind: Kind
    scenario: str
    """The scenario's reference on the page, e.g. `bundled/lu_county`."""
    path: Path
    out: Path
    params: dict[str, Any] = field(default_factory=dict)
    status: Status = "queued"
    phase: str | None = None
    levels: tuple[int, int] | None = None
    message: str | None = None
    error_kind: str | None = None
    created: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    process: Any = None

    def view(self) -> dict[str, Any]:
        """The job as the page shows it (JSON)."""
        now = time.monotonic()
        elapsed = None if self.started is None else (self.finished or now) - self.started
        labels = dict(PHASES[self.kind])
        return {
            "id": self.id,
            "kind": self.kind,
            "scenario": self.scenario,
            "output": self.out.name,
            "status": self.status,
            "phase": self.phase,
            "phase_zh": labels.get(self.phase or ""),
            "phases": [{"key": k, "label_zh": v} for k, v in PHASES[self.kind]],
            "levels": list(self.levels) if self.levels else None,
            "elapsed_s": None if elapsed is None else round(elapsed, 1),
            "message": self.message,
            "error_kind": self.error_kind,
        }


class JobManager:
    """The jobs of one workbench server."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Condition()
        self._ids = itertools.count(1)
        self._context = multiprocessing.get_context("spawn")

    def submit(self, kind: Kind, scenario: str, path: Path, out: Path, params: dict[str, Any] | None = None) -> Job:
        """Queue a job; it starts when no earlier job of the same scenario is queued or running."""
        with self._lock:
            job = Job(f"job-{next(self._ids)}", kind, scenario, path, out, dict(params or {}))
            self._jobs[job.id] = job
        threading.Thread(target=self._drive, args=(job,), name=job.id, daemon=True).start()
        return job

    def get(self, job_id: str) -> Job | None:
        """The job with this id, if any."""
        with self._lock:
            return self._jobs.get(job_id)

    def all(self) -> list[Job]:
        """Every job of this server, oldest first."""
        with self._lock:
            return list(self._jobs.values())

    def reserved(self) -> set[str]:
        """Output folder names of jobs not yet finished (so a new job does not take the same name)."""
        with self._lock:
            return {j.out.name for j in self._jobs.values() if j.status in ("queued", "running")}

    def cancel(self, job_id: str) -> Job | None:
        """Cancel a queued job, or terminate a running one; a finished job is left as it is."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.status not in ("queued", "running"):
                return job
            if job.status == "queued":
                self._finish(job, "cancelled", "已取消（尚未开始）")
                return job
            process = job.process
            job.message = "正在取消…"
        if process is not None:
            process.terminate()
        return job

    def shutdown(self) -> None:
        """Terminate every running job (the server is stopping)."""
        for job in self.all():
            self.cancel(job.id)

    def _first_in_line(self, job: Job) -> bool:
        for other in self._jobs.values():
            if other is job:
                return True
            if other.scenario == job.scenario and other.status in ("queued", "running"):
                return False
        return True

    def _drive(self, job: Job) -> None:
        with self._lock:
            while job.status == "queued" and not self._first_in_line(job):
                self._lock.wait(timeout=1.0)
            if job.status != "queued":
                return
            events: Any = self._context.Queue()
            process = self._context.Process(
                target=tasks.execute,
                args=(job.kind, str(job.path), str(job.out), job.params, events),
                name=f"workbench-{job.id}",
                daemon=True,
            )
            job.status, job.started, job.process = "running", time.monotonic(), process
            process.start()
        ended = self._follow(job, process, events)
        process.join()
        with self._lock:
            if ended is None:  # the process ended without a word: terminated by `cancel`, or it crashed
                crashed: Ended = ("failed", f"计算进程意外退出（退出码 {process.exitcode}）", "internal")
                cancelled: Ended = ("cancelled", "已取消", None)
                ended = cancelled if job.message == "正在取消…" else crashed
            self._finish(job, *ended)
        if ended[0] != "done":
            _remove_leftovers(job.out, process.pid)

    def _follow(self, job: Job, process: Any, events: Any) -> Ended | None:
        """Apply the process's events to the job until it reports its end (or dies without one)."""
        while True:
            try:
                event = events.get(timeout=_POLL_S)
            except queue.Empty:
                if not process.is_alive():
                    try:
                        event = events.get(timeout=_POLL_S)
                    except queue.Empty:
                        return None
                else:
                    continue
            with self._lock:
                if event[0] == "phase":
                    job.phase = event[1]
                elif event[0] == "level":
                    job.levels = (event[1], event[2])
                elif event[0] == "done":
                    return ("done", None, None)
                elif event[0] == "error":
                    return ("failed", event[2], event[1])

    def _finish(self, job: Job, status: Status, message: str | None, kind: str | None = None) -> None:
        job.status, job.message, job.error_kind = status, message, kind
        job.finished, job.process = time.monotonic(), None
        self._lock.notify_all()
        logger.info("%s (%s %s): %s", job.id, job.kind, job.scenario, status)


def _remove_leftovers(out: Path, pid: int | None) -> None:
    """The staging folder and lock file a terminated job process left beside its output folder."""
    if pid is None or not out.parent.is_dir():
        return
    for entry in out.parent.glob(f".{out.name}.staging-{pid}-*"):
        shutil.rmtree(entry, ignore_errors=True)
    lock = out.parent / f".{out.name}.lock"
    lock.unlink(missing_ok=True)
