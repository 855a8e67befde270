"""A JupyterLab server for browser tests, and helpers to drive it through Playwright.

The recipe is browser-testing.md's: Lab on a free loopback port with a random token, all
Jupyter config/data/runtime/settings/workspace dirs in a temp folder, started in its own
session and stopped by process group. ``expose_app_in_browser`` gives the page
``window.jupyterapp``, so tests run commands and read kernel state directly instead of
clicking menus. Every wait is on a condition with a deadline.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

# Settings that keep Lab quiet and offline (news and update checks would hit the network),
# and render every cell (no windowing), so tests can query any cell's output DOM.
_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


@dataclass
class LabServer:
    """A running JupyterLab: its URL, token, notebook folder and process."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path

    def api(self, method: str, path: str) -> Any:
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as reply:
            body = reply.read()
        return json.loads(body) if body else None

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?reset&token={self.token}"

    def shutdown_kernels(self) -> None:
        """Stop every kernel (through the REST API, as the Kernel menu would)."""
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")
        for kernel in self.api("GET", "/api/kernels"):
            self.api("DELETE", f"/api/kernels/{kernel['id']}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_lab(tmp: Path, env: dict[str, str], timeout: float = 60.0) -> LabServer:
    """Start JupyterLab serving ``tmp / "notebooks"``; return once its API answers."""
    root = tmp / "notebooks"
    root.mkdir(parents=True, exist_ok=True)
    dirs = {
        name: tmp / "jupyter" / name.lower()
        for name in (
            "JUPYTER_CONFIG_DIR",
            "JUPYTER_DATA_DIR",
            "JUPYTER_RUNTIME_DIR",
            "JUPYTERLAB_SETTINGS_DIR",
            "JUPYTERLAB_WORKSPACES_DIR",
        )
    }
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    for rel, values in _SETTINGS.items():
        target = dirs["JUPYTERLAB_SETTINGS_DIR"] / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    # The language-server and terminal extensions add seconds to start-up; not needed here.
    server_config = {
        "ServerApp": {"jpserver_extensions": {"jupyter_lsp": False, "jupyter_server_terminals": False}}
    }
    (dirs["JUPYTER_CONFIG_DIR"] / "jupyter_server_config.json").write_text(json.dumps(server_config))
    port, token = _free_port(), secrets.token_hex(16)
    log = tmp / "jupyterlab.log"
    base = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    full_env = {**base, **{k: str(v) for k, v in dirs.items()}, **env}
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), full_env.get("PYTHONPATH")]))
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--port={port}",
        f"--ServerApp.token={token}",
        "--ServerApp.ip=127.0.0.1",
        "--allow-root",
        f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",
        "--ServerApp.open_browser=False",
        "--LabApp.news_url=",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            cmd, cwd=root, env=full_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = LabServer(f"http://127.0.0.1:{port}", token, root, process, log)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited early:\n{log.read_text()[-3000:]}")
        try:
            server.api("GET", "/api/status")
            return server
        except (urllib.error.URLError, ConnectionError, OSError):
            if time.monotonic() > deadline:
                stop_lab(server)
                raise RuntimeError(f"JupyterLab did not answer:\n{log.read_text()[-3000:]}") from None
            time.sleep(0.1)  # polling a port that is not open yet; no event to wait on


def stop_lab(server: LabServer) -> None:
    """Stop Lab and its kernels (the whole process group)."""
    if server.process.poll() is not None:
        return
    # Kernels first (each DELETE returns once its kernel is gone), then the server.
    with contextlib.suppress(urllib.error.URLError, OSError):
        server.shutdown_kernels()
    try:
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=5)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """JupyterLab on the simulator, with jobs long enough to watch the live status."""
    tmp = tmp_path_factory.mktemp("lab")
    env = {
        "HAILUO_PROVIDER": "sim",
        "HAILUO_SIM_SECONDS": "4",
        "HAILUO_POLL_INTERVAL": "0.2",
        "HAILUO_HOME": str(tmp / "home"),
        # blank = the defaults: videos in hailuo_videos/ beside the notebook, no waiting
        "HAILUO_OUTPUT_DIR": "",
        "HAILUO_WAIT": "",
        "HAILUO_BUDGET_USD": "",
    }
    server = start_lab(tmp, env)
    try:
        yield server
    finally:
        stop_lab(server)


def write_notebook(path: Path, cells: list[str]) -> None:
    """A notebook of code cells with the python3 kernelspec."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nbformat.write(nb, str(path))


# ---------------------------------------------------------------- page helpers

KERNEL_STATUS_JS = (
    "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
    " const k = w && w.sessionContext && w.sessionContext.session"
    " && w.sessionContext.session.kernel; return k ? k.status : null; }"
)


def open_notebook(page: Any, server: LabServer, name: str, timeout: float = 60_000) -> None:
    """Open ``name`` and wait until its kernel is attached and idle."""
    page.goto(server.notebook_url(name))
    wait_notebook(page, timeout)


def wait_notebook(page: Any, timeout: float = 60_000) -> None:
    """Wait until the page's notebook shows its cells and its kernel is attached and idle."""
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
        " && window.jupyterapp.shell.currentWidget.content"
        " && window.jupyterapp.shell.currentWidget.content.widgets.length > 0",
        timeout=timeout,
    )
    wait_kernel(page, "idle", timeout)


def wait_kernel(page: Any, status: str, timeout: float = 60_000) -> None:
    page.wait_for_function(f"() => ({KERNEL_STATUS_JS})() === {json.dumps(status)}", timeout=timeout)


def command(page: Any, name: str) -> None:
    """Run a JupyterLab command (``notebook:run-all-cells``, ``docmanager:save``...)."""
    page.evaluate("(name) => window.jupyterapp.commands.execute(name)", name)


def screenshot(target: Any, name: str) -> Path:
    """Save a PNG under test-artifacts/ (a page or an element)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    target.screenshot(path=str(path))
    return path
