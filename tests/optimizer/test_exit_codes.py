"""Exit codes (optimizer/cli/exit_codes.py), bad option values, literal error messages and fail-fast schedulers.

Every CLI case checks the exit code, that the message names the option or file, and that no traceback
is printed. The solve-outcome codes 4-6 replace the pipeline by one raising the error; exit 3 solves
Lu County for real with `mip_rel_gap = 0.5` (HiGHS stops at a ~20 % gap and calls it optimal).
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import optimizer.cli.commands
from optimizer.cli.commands import app
from optimizer.cli.exit_codes import ExitCode
from optimizer.errors import InfeasiblePlanError, PlannerError, SolverError, VerificationError
from optimizer.whatif.runner import _client
from tests.support import LU_SCENARIO, lu_variant


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def _clean(result: Result, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, (fragment, result.output)


@pytest.fixture(scope="module")
def gap_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real Lu run with a 50 % gap tolerance: written, not proven optimal."""
    root = tmp_path_factory.mktemp("gap")
    scenario = lu_variant(root / "project", append="\n[solver]\nmip_rel_gap = 0.5\n")
    result = _invoke("run", str(scenario), "--out", str(root / "run"))
    _clean(result, ExitCode.FEASIBLE_GAP, "feasible_with_gap (gap ", "not proven optimal")
    return root / "run"


def test_a_plan_with_a_gap_is_written_and_exits_3(gap_run: Path) -> None:
    summary = json.loads((gap_run / "summary.json").read_text(encoding="utf-8-sig"))
    assert summary["outcome"] == "feasible_with_gap" and summary["proven_optimal"] is False
    assert summary["gap"] > summary["optimal_rel_gap"]
    first = (gap_run / "report.md").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "NOT PROVEN OPTIMAL" in first and f"gap {summary['gap']:.1%}" in first
    assert (gap_run / "allocation.csv").is_file()


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InfeasiblePlanError("the budget cannot meet bed_ratio[510521]; raise budget.budget_cny"), ExitCode.INFEASIBLE),
        (SolverError("the highs solver failed; try --solver cbc"), ExitCode.SOLVER),
        (VerificationError(["bed_ratio[510521]: 7.0 < 7.11"]), ExitCode.VERIFICATION),
    ],
)
def test_solve_failures_have_their_own_exit_code(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, error: PlannerError, code: ExitCode
) -> None:
    def fails(*_: object, **__: object) -> None:
        raise error

    monkeypatch.setattr(optimizer.cli.commands, "plan_scenario", fails)
    _clean(
        _invoke("run", str(LU_SCENARIO), "--out", str(tmp_path / "out")),
        code,
        "bed_ratio[510521]" if code is not ExitCode.SOLVER else "--solver cbc",
    )


def test_error_messages_are_printed_literally(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def fails(*_: object, **__: object) -> None:
        raise SolverError("value [1,2] and [red]x[/red] and [/] stay as written")

    monkeypatch.setattr(optimizer.cli.commands, "plan_scenario", fails)
    result = _invoke("run", str(LU_SCENARIO), "--out", str(tmp_path / "out"))
    _clean(result, ExitCode.SOLVER, "value [1,2] and [red]x[/red] and [/] stay as written")


def test_a_missing_scenario_is_an_input_error(tmp_path: Path) -> None:
    _clean(_invoke("run", str(tmp_path / "absent.toml"), "--out", str(tmp_path / "out")), ExitCode.INPUT, "absent.toml")


def test_compare_where_every_scenario_fails_exits_non_zero(tmp_path: Path) -> None:
    result = _invoke("compare", str(tmp_path / "one.toml"), str(tmp_path / "two.toml"), "--out", str(tmp_path / "c"))
    _clean(result, ExitCode.INPUT, "one.toml", "two.toml")
    assert not (tmp_path / "c" / "compare.csv").exists()


@pytest.mark.parametrize("value", ["-5", "0", "nan", "inf", "-inf"])
@pytest.mark.parametrize("command", ["run", "whatif"])
def test_time_limit_must_be_finite_and_positive(tmp_path: Path, command: str, value: str) -> None:
    result = _invoke(command, str(LU_SCENARIO), "--out", str(tmp_path / "out"), "--time-limit", value)
    _clean(result, ExitCode.USAGE, "--time-limit")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("option", "value"), [("--steps", "0"), ("--steps", "-3"), ("--workers", "-1"), ("--workers", "0")]
)
def test_whatif_counts_must_be_positive(tmp_path: Path, option: str, value: str) -> None:
    result = _invoke("whatif", str(LU_SCENARIO), "--out", str(tmp_path / "out"), option, value)
    _clean(result, ExitCode.USAGE, option)


@pytest.fixture
def refused_address() -> str:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"tcp://127.0.0.1:{port}"


@pytest.fixture
def not_dask_address() -> Iterator[str]:
    """A loopback TCP server that answers like a web server, for at most 20 s."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.settimeout(20)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello")
                time.sleep(0.2)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        server.close()
        thread.join(timeout=5)


@pytest.mark.parametrize("kind", ["refused", "not_dask"])
def test_a_bad_scheduler_fails_fast_naming_the_address(request: pytest.FixtureRequest, kind: str) -> None:
    address = request.getfixturevalue(f"{kind}_address")
    started = time.perf_counter()
    with pytest.raises(PlannerError) as raised:
        _client(None, address)
    assert time.perf_counter() - started < 10
    assert address in str(raised.value) and "dask scheduler" in str(raised.value)


def test_whatif_with_a_non_dask_scheduler_is_a_clean_error(tmp_path: Path, not_dask_address: str) -> None:
    started = time.perf_counter()
    result = _invoke(
        "whatif", str(LU_SCENARIO), "--out", str(tmp_path / "out"), "--steps", "2", "--scheduler", not_dask_address
    )
    _clean(result, ExitCode.INPUT, not_dask_address, "--scheduler")
    assert time.perf_counter() - started < 30  # prepare + check of the levels, then < 10 s to give up


def _damaged(gap_run: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "damaged"
    shutil.copytree(gap_run, copy)
    return copy


def test_diff_of_a_run_without_a_beds_column_names_the_file(gap_run: Path, tmp_path: Path) -> None:
    damaged = _damaged(gap_run, tmp_path)
    allocation = damaged / "allocation.csv"
    lines = allocation.read_text(encoding="utf-8-sig").splitlines()
    column = lines[0].split(",").index("beds")
    rows = [",".join(v for i, v in enumerate(line.split(",")) if i != column) for line in lines]
    allocation.write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    _clean(_invoke("diff", str(gap_run), str(damaged)), ExitCode.INPUT, "allocation.csv", "beds")


@pytest.mark.parametrize(
    ("name", "text"), [("summary.json", '{"outcome": "opt'), ("targets.csv", ""), ("towns.csv", '"code,name\n"1')]
)
def test_diff_of_a_truncated_run_is_a_clean_error(gap_run: Path, tmp_path: Path, name: str, text: str) -> None:
    damaged = _damaged(gap_run, tmp_path)
    (damaged / name).write_text(text, encoding="utf-8")
    _clean(_invoke("diff", str(gap_run), str(damaged)), ExitCode.INPUT, name)


def test_diff_of_a_folder_missing_files_lists_them(gap_run: Path, tmp_path: Path) -> None:
    damaged = _damaged(gap_run, tmp_path)
    (damaged / "towns.csv").unlink()
    _clean(_invoke("diff", str(damaged), str(gap_run)), ExitCode.INPUT, "towns.csv", "not found")


def test_map_of_a_truncated_allocation_is_a_clean_error(gap_run: Path, tmp_path: Path) -> None:
    damaged = _damaged(gap_run, tmp_path)
    (damaged / "allocation.csv").write_text("facility_id,name\n", encoding="utf-8-sig")
    _clean(_invoke("map", str(damaged)), ExitCode.INPUT, "allocation.csv")


@pytest.mark.parametrize(
    ("outcomes", "violations", "code"),
    [
        (["infeasible", "optimal", "optimal"], [None, 0, 0], ExitCode.OK),
        (["optimal", "feasible_with_gap"], [0, 0], ExitCode.FEASIBLE_GAP),
        (["optimal", "optimal"], [0, 2], ExitCode.VERIFICATION),
        (["infeasible", "infeasible"], [None, None], ExitCode.INFEASIBLE),
        (["infeasible", "no_solution"], [None, None], ExitCode.SOLVER),
    ],
)
def test_a_sweep_exit_code_follows_its_levels(
    outcomes: list[str], violations: list[float | None], code: ExitCode
) -> None:
    import pandas as pd

    from optimizer.cli.whatif import sweep_exit_code
    from optimizer.whatif.levels import SweepSpec
    from optimizer.whatif.sweep import SweepResult

    table = pd.DataFrame({"outcome": outcomes, "violations": violations})
    result = SweepResult(SweepSpec("budget.budget_cny", (1.0,), 1.0), table, "sequential", False, 0.0, 1)
    assert sweep_exit_code(result) is code
