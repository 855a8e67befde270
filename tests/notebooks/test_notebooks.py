"""The demo notebooks: saved clean, and executed headless on the simulator with nbclient.

Each notebook runs in its own temporary copy of ``notebooks/`` (the kernel's working folder,
as in Jupyter), with ``HAILUO_WAIT=1``, short simulated jobs, its own journal and video
folder, and no API key, then is checked by what it printed (notebook_checks.py).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from notebook_checks import EXPECTED, NAMES, NOTEBOOKS, check_executed, check_videos, kernel_env

#: What a notebook's code must never do: keys and simulator knobs belong to the environment.
FORBIDDEN_IN_CODE = re.compile(r"%env|os\.environ|_API_KEY|HAILUO_(SIM|WAIT|PROVIDER|HOME|OUTPUT)")


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def test_every_notebook_is_covered() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_saved_notebook_is_clean(name: str) -> None:
    nb = _read(name)
    nbformat.validate(nb)
    assert "widgets" not in nb.metadata, "saved widget state: clear outputs before saving"
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        assert cell.outputs == [], f"cell {cell.id} has saved outputs"
        assert cell.execution_count is None, f"cell {cell.id} has an execution count"
        assert not FORBIDDEN_IN_CODE.search(cell.source), f"cell {cell.id} sets a key or setting"
    last = code[-1].source
    # %hailuo export waits for every generation of the session before writing its page.
    assert any(w in last for w in ("%hailuo wait", "wait_all(", "%hailuo export")), \
        "the last cell must wait for every generation"


def test_no_env_file_next_to_the_notebooks() -> None:
    # hailuo_nb reads ./.env; one in notebooks/ would be a key on its way into git.
    assert not (NOTEBOOKS / ".env").exists()


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_headless(name: str, tmp_path: Path) -> None:
    work = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, work, ignore=shutil.ignore_patterns(".*", "hailuo_videos", "*.mp4"))
    videos = work / "hailuo_videos"  # the default place, under the notebook's folder
    env = kernel_env(dict(os.environ), home=tmp_path / "home", videos=videos)

    nb = nbformat.read(work / name, as_version=4)
    resources = {"metadata": {"path": str(work)}}  # the kernel's working folder
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources=resources)
    started = time.perf_counter()
    client.execute(env=env)
    elapsed = time.perf_counter() - started
    nbformat.write(nb, tmp_path / f"executed-{name}")  # kept in tmp_path for a failing run

    check_executed(nb, name, work)
    check_videos(videos, EXPECTED[name].files)
    assert elapsed < 90, f"{name} took {elapsed:.1f} s headless"
