"""Outputs survive being killed: the folder holds the previous complete result or none, never a mix."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from optimizer.outputs import atomic_write_text, staged_folder
from tests.conftest import LU_SCENARIO, ROOT

pytestmark = pytest.mark.slow


def _complete(folder: Path) -> bool:
    """A finished run: the manifest lists its files, each present and readable, no temporary files."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for name in manifest["files"]:
        path = folder / name
        assert path.stat().st_size > 0, name
        if name.endswith(".csv"):
            pd.read_csv(path, encoding="utf-8-sig")
    assert not [p for p in folder.iterdir() if p.name.startswith(".") or p.name.endswith(".tmp")]
    return True


def _run(out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "optimizer", "run", str(LU_SCENARIO), "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_killed_runs_leave_the_previous_result_or_none(tmp_path: Path) -> None:
    out = tmp_path / "run"
    started = time.monotonic()
    assert _run(out).wait(timeout=300) == 0
    duration = time.monotonic() - started
    first = (out / "allocation.csv").read_bytes()
    for fraction in (0.3, 0.8, 0.97):
        process = _run(out)
        time.sleep(duration * fraction)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        if out.exists():
            assert _complete(out)
            assert (out / "allocation.csv").read_bytes() == first
        else:  # killed between the two renames of the swap: the previous result is kept aside
            assert list(tmp_path.glob(".run.previous-*"))


def test_a_failed_write_leaves_the_previous_folder_untouched(tmp_path: Path) -> None:
    out = tmp_path / "result"
    with staged_folder(out) as staging:
        atomic_write_text(staging / "a.txt", "first")
    with pytest.raises(RuntimeError), staged_folder(out) as staging:
        atomic_write_text(staging / "a.txt", "second")
        raise RuntimeError("solver crashed")
    assert (out / "a.txt").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result"]
