"""Fixtures: a real IPython shell with ``%load_ext hailuo_nb``, on the loopback simulator."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hailuo_nb.gateway.secrets import KEY_VARIABLES  # noqa: E402


@pytest.fixture
def sim_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Simulator with 0.3 s jobs; journal and videos in tmp_path, which is also the cwd."""
    for name in KEY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name in ("HAILUO_BUDGET_USD", "HAILUO_WAIT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HAILUO_PROVIDER", "sim")
    monkeypatch.setenv("HAILUO_SIM_SECONDS", "0.3")
    monkeypatch.setenv("HAILUO_POLL_INTERVAL", "0.05")
    monkeypatch.setenv("HAILUO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HAILUO_OUTPUT_DIR", str(tmp_path / "hailuo_videos"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def sim(sim_env: Path) -> Any:
    from hailuo_nb.sim import shared_server

    return shared_server()


@pytest.fixture
def ip(sim_env: Path) -> Iterator[Any]:
    """The process-wide InteractiveShell with the extension loaded and a clean namespace."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    if "hailuo_nb" not in shell.extension_manager.loaded:
        shell.run_line_magic("load_ext", "hailuo_nb")
    from hailuo_nb.notebook.magic import HailuoMagics

    magics = shell.magics_manager.registry["HailuoMagics"]
    assert isinstance(magics, HailuoMagics)
    magics.frontend, magics.wait, magics.embed = "auto", False, False
    yield shell
    settle()
    for name in [n for n in shell.user_ns if n.startswith("_hailuo") or n.startswith("gen")]:
        shell.user_ns.pop(name, None)


def settle(timeout: float = 20.0) -> None:
    """Let every generation of this process end (tests must not leak work into each other)."""
    import hailuo_nb

    for gen in hailuo_nb.pending():
        gen.cancel()
    deadline = time.monotonic() + timeout
    for gen in hailuo_nb.pending():
        gen.wait(timeout=max(0.1, deadline - time.monotonic()))
    from hailuo_nb.notebook import display

    with display._SHOWN_LOCK:  # settled: a later test's %hailuo wait counts only its own
        display._SHOWN.clear()
