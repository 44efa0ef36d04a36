"""`optimizer serve` as a planner starts it: the installed command in its own process, on 127.0.0.1 only,
serving the page and the bundled Lu County plan, creating its workspace and writing nothing else."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

START_TIMEOUT_S = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, int]]:
    """`optimizer serve --no-browser` on a free port, workspace in a fresh folder; stopped after the tests."""
    workspace = tmp_path_factory.mktemp("serve") / "工作区"
    port = _free_port()
    executable = shutil.which("optimizer", path=str(Path(sys.executable).parent))
    assert executable is not None, "the optimizer command is not installed beside this Python"
    command = [executable, "serve", "--port", str(port), "--workspace", str(workspace), "--no-browser"]
    log = workspace.parent.parent / "serve.log"  # outside the watched folder; a file, so no pipe fills up
    with log.open("wb") as sink:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            assert process.poll() is None, log.read_text(encoding="utf-8", errors="replace")
            try:
                httpx.get(url + "/", timeout=2.0)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "optimizer serve did not answer within a minute"
                time.sleep(0.3)
        yield url, workspace, port
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_serve_answers_with_the_chinese_page(served: tuple[str, Path, int]) -> None:
    url, _, _ = served
    page = httpx.get(url + "/", timeout=10.0)
    assert page.status_code == 200
    assert 'lang="zh' in page.text
    assert "规划" in page.text


def test_serve_offers_the_bundled_lu_county_plan_as_a_form(served: tuple[str, Path, int]) -> None:
    url, _, _ = served
    listed = httpx.get(url + "/api/scenarios", timeout=10.0).json()
    assert "lu_county" in str(listed)
    form = httpx.get(url + "/api/scenarios/bundled/lu_county/form", timeout=30.0)
    assert form.status_code == 200
    assert "budget" in form.text and "beds_per_1000" in form.text


def test_serve_listens_on_this_machine_only(served: tuple[str, Path, int]) -> None:
    """The kernel's table of listening sockets (Linux: /proc/net/tcp, /proc/net/tcp6) has the port on 127.0.0.1
    (0100007F) and on no other address."""
    _, _, port = served
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not tables[0].exists():
        pytest.skip("no /proc/net/tcp: not Linux")
    listening = []
    for table in tables:
        for line in table.read_text().splitlines()[1:] if table.exists() else []:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                listening.append(address)
    assert listening == ["0100007F"]


def test_serve_creates_its_workspace_and_nothing_else(served: tuple[str, Path, int]) -> None:
    _, workspace, _ = served
    assert workspace.is_dir()
    assert sorted(p.name for p in workspace.parent.iterdir()) == [workspace.name]
