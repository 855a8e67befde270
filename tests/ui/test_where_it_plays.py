"""Videos play wherever the notebook goes (docs/design.md §8), checked in headless Chromium.

1. A notebook run headless (nbclient) with VS Code's and Colab's detections forced, saved,
   copied *alone* to another folder, converted by ``jupyter nbconvert --to html`` and opened
   from disk: every clip plays, and the saved notebook is small and names no absolute path.
2. ``hailuo_nb.export()``'s page, opened from disk with the network off, plays every clip,
   inline and with the videos in a folder beside the page.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

import hailuo_nb

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CELLS = [
    "%load_ext hailuo_nb",
    "%%hailuo --out a\na glass marble rolls across a desk",
    "%%hailuo --out b --model hailuo-02-text-to-video-standard\nrain on a tin roof, $5 umbrella",
    "print('ordinary', a.status, b.status)",
]
PLAYING = """() => { const v = Array.from(document.querySelectorAll('video'));
  return v.length > 0 && v.every((x) => x.readyState >= 2 && x.duration > 0 && x.videoWidth > 0); }"""
COUNT = "() => document.querySelectorAll('video').length"


def _run_headless(work: Path, frontend: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
    env.update(HAILUO_FRONTEND=frontend, HAILUO_OUTPUT_MODE="auto", HAILUO_WAIT="1", HAILUO_PROVIDER="sim",
               HAILUO_SIM_SECONDS="0.3", HAILUO_POLL_INTERVAL="0.05", HAILUO_HOME=str(work / "home"),
               HAILUO_OUTPUT_DIR="",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(work)}})
    client.execute(env=env)
    path = work / f"{frontend}.ipynb"
    nbformat.write(nb, str(path))
    return path


def _open_and_play(browser: Any, page_path: Path, expected: int, *, offline: bool = False) -> None:
    context = browser.new_context(offline=offline)
    if offline:  # and nothing but the file itself may load
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                      else route.abort())
    page = context.new_page()
    try:
        page.goto(page_path.as_uri())
        page.wait_for_function(PLAYING, timeout=30_000)
        assert page.evaluate(COUNT) == expected
    except Exception:
        page.screenshot(path=str(ROOT / "test-artifacts" / f"plays-{page_path.stem}-failed.png"))
        raise
    finally:
        context.close()


@pytest.mark.parametrize("frontend", ["vscode", "colab"])
def test_saved_notebook_alone_plays_from_its_html(frontend, chromium_browser, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    saved = _run_headless(work, frontend)
    text = saved.read_text()
    assert "ordinary succeeded succeeded" in text
    assert str(work) not in text and str(Path.home()) not in text  # no local paths travel
    widgets = json.loads(text)["metadata"].get("widgets", {})
    assert len(json.dumps(widgets)) < 4_000 * len(CELLS), "saved widget state grows with each clip"
    assert "createStatusView" not in json.dumps(widgets)  # no widget code saved per clip

    alone = tmp_path / "elsewhere"
    alone.mkdir()
    shutil.copy(saved, alone / saved.name)  # without hailuo_videos/
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", str(alone / saved.name)],
                   check=True, capture_output=True, timeout=120)
    _open_and_play(chromium_browser, alone / f"{saved.stem}.html", expected=2)


@pytest.fixture
def two_clips(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    monkeypatch.setenv("HAILUO_PROVIDER", "sim")
    monkeypatch.setenv("HAILUO_POLL_INTERVAL", "0.05")
    monkeypatch.chdir(tmp_path)
    return [hailuo_nb.generate(p, model="hailuo-02-text-to-video-standard")
            for p in ("a paper boat on a puddle", "a kite over the sea")]


@pytest.mark.parametrize("inline_max_mb", [50.0, 0.001])
def test_exported_page_plays_offline_from_disk(inline_max_mb, two_clips, chromium_browser, tmp_path):
    page = hailuo_nb.export(tmp_path / "share" / "clips.html", two_clips, inline_max_mb=inline_max_mb)
    assert page.clips == 2 and (page.folder is None) == (inline_max_mb > 1)
    _open_and_play(chromium_browser, page.path, expected=2, offline=True)
