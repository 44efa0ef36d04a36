"""`optimizer serve`: the workbench app on 127.0.0.1 under uvicorn, and the planner's browser opened on it."""

from __future__ import annotations

import threading
import webbrowser
from pathlib import Path

import uvicorn

from optimizer.workbench.app import create_app
from optimizer.workbench.workspace import Workspace

HOST = "127.0.0.1"
"""Only this machine: the workbench has no accounts, so it is never served to the network."""
BUNDLED_SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
"""The project's scenarios/ folder (read-only to the workbench)."""


def serve(workspace: Path, *, port: int, open_browser: bool, bundled: Path = BUNDLED_SCENARIOS) -> None:
    """Serve the workbench for `workspace` (created when absent) until interrupted."""
    app = create_app(Workspace.create(workspace, bundled))
    server = uvicorn.Server(uvicorn.Config(app, host=HOST, port=port, log_config=None))
    if open_browser:
        threading.Timer(1.0, webbrowser.open, args=(f"http://{HOST}:{port}/",)).start()
    server.run()
