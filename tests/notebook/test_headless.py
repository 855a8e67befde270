"""Headless runs (nbclient): every video is saved in its own cell; a rerun pays nothing."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[2]

CELLS = [
    "%load_ext hailuo_nb",
    "%%hailuo --out a\na glass marble rolls across a desk",
    "%%hailuo --out b --model hailuo-02-text-to-video-standard --duration 10\nrain on a tin roof",
    "print('ordinary', a.status, b.status)",
]


def make_notebook(path: Path, cells: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, str(path))


def execute(path: Path) -> Any:
    nb = nbformat.read(str(path), as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    nbformat.write(nb, str(path))
    return nb


def html_of(cell: Any) -> str:
    return "".join("".join(out.get("data", {}).get("text/html", "")) for out in cell.get("outputs", []))


def text_of(cell: Any) -> str:
    return "".join("".join(out.get("text", "")) for out in cell.get("outputs", []))


@pytest.fixture
def headless_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The kernel nbclient starts inherits this environment."""
    for name in list(os.environ):
        if name.endswith("_API_KEY") or name.endswith("_BASE_URL"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HAILUO_PROVIDER", "sim")
    monkeypatch.setenv("HAILUO_SIM_SECONDS", "0.5")
    monkeypatch.setenv("HAILUO_POLL_INTERVAL", "0.05")
    monkeypatch.setenv("HAILUO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HAILUO_OUTPUT_DIR", "")  # default: hailuo_videos/ beside the notebook
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return tmp_path


def assert_videos_saved(nb: Any, folder: Path) -> list[str]:
    sources = []
    for index in (1, 2):
        html = html_of(nb.cells[index])
        match = re.search(r'<video src="([^"]+)"', html)
        assert match, nb.cells[index].outputs
        assert (folder / match.group(1)).is_file()
        sources.append(match.group(1))
    assert "<video" not in html_of(nb.cells[0]) + html_of(nb.cells[3])
    assert sources[0] != sources[1]
    return sources


def test_hailuo_wait_saves_every_video_and_a_rerun_reuses_them(headless_env, monkeypatch):
    monkeypatch.setenv("HAILUO_WAIT", "1")
    path = headless_env / "run.ipynb"
    make_notebook(path, CELLS)
    nb = execute(path)
    first = assert_videos_saved(nb, headless_env)
    assert "ordinary succeeded succeeded" in text_of(nb.cells[3])

    nb = execute(path)  # Run All again, new kernel, same journal
    assert assert_videos_saved(nb, headless_env) == first
    for index in (1, 2):
        assert "reusing the identical generation" in text_of(nb.cells[index])


def test_line_wait_at_the_end_saves_the_videos(headless_env, monkeypatch):
    monkeypatch.delenv("HAILUO_WAIT", raising=False)
    path = headless_env / "end.ipynb"
    make_notebook(path, [*CELLS[:3], "%hailuo wait", "print('ordinary', a.status, b.status)"])
    nb = execute(path)
    assert_videos_saved(nb, headless_env)
    assert "2 succeeded" in text_of(nb.cells[3])
