"""Fixtures of the reliability proofs: simulator subprocesses and an IPython shell with the extension."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def sim_process() -> Iterator[Callable[..., Any]]:
    """``sim_process(seconds=..., api_key=...)`` starts a simulator subprocess, stopped at teardown."""
    from .simproc import SimProcess

    started: list[SimProcess] = []

    def start(**kw: Any) -> SimProcess:
        proc = SimProcess(**kw)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def ip(hailuo_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The process-wide InteractiveShell with ``%load_ext hailuo_nb`` (cwd = tmp_path)."""
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.chdir(hailuo_env)
    shell = InteractiveShell.instance()
    if "hailuo_nb" not in shell.extension_manager.loaded:
        shell.run_line_magic("load_ext", "hailuo_nb")
    magics = shell.magics_manager.registry["HailuoMagics"]
    magics.frontend, magics.wait, magics.embed = "text", False, False
    yield shell
    import hailuo_nb

    for gen in hailuo_nb.pending():
        gen.cancel()
    for gen in hailuo_nb.pending():
        gen.wait(timeout=20)
