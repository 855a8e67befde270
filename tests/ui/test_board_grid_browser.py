"""The storyboard and comparison widgets in JupyterLab (headless Chromium, simulator).

One Lab session: the board widget shows a tile per shot, then the stitched film playing;
the grid's row control plays every clip of its row together, in step.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

_spec = importlib.util.spec_from_file_location("hailuo_ui_jupyterlab", Path(__file__).with_name("jupyterlab.py"))
lab = sys.modules.get("hailuo_ui_jupyterlab") or importlib.util.module_from_spec(_spec)
if "hailuo_ui_jupyterlab" not in sys.modules:
    sys.modules[_spec.name] = lab
    _spec.loader.exec_module(lab)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CELLS = [
    "%load_ext hailuo_nb",
    "%%storyboard --model hailuo-02-text-to-video-standard --out board\n"
    "1. A lighthouse at dusk [Pan left]\n2. -> The keeper climbs the stairs\n3. The sea at night",
    "import hailuo_nb\ngrid = hailuo_nb.compare(['a paper boat on a pond'],"
    " models=['hailuo-02-text-to-video-standard', 'hailuo-2.3-text-to-video-standard'])\ngrid",
]


@pytest.fixture(scope="module")
def quick_lab(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("boardlab")
    env = {"HAILUO_PROVIDER": "sim", "HAILUO_SIM_SECONDS": "1.5", "HAILUO_POLL_INTERVAL": "0.2",
           "HAILUO_HOME": str(tmp / "home"), "HAILUO_OUTPUT_DIR": "", "HAILUO_WAIT": "", "HAILUO_BUDGET_USD": ""}
    server = lab.start_lab(tmp, env)
    try:
        yield server
    finally:
        lab.stop_lab(server)


TILES = "() => Array.from(document.querySelectorAll('.hailuo-board__tile')).map((t) => t.dataset.status)"
FILM = ("() => { const v = document.querySelector('.hailuo-board__movie');"
        " return !!v && v.readyState >= 2 && v.duration > 0 && !v.paused; }")
ROW_VIDEOS = ("() => Array.from(document.querySelectorAll('.hailuo-grid__row[data-row=\"0\"] video'))"
              ".map((v) => ({ready: v.readyState >= 2 && v.duration > 0, paused: v.paused, t: v.currentTime}))")


def test_board_tiles_then_film_and_grid_row_plays_together(chromium_browser: Any, quick_lab: Any) -> None:
    notebook = quick_lab.root / "board.ipynb"
    lab.write_notebook(notebook, CELLS)
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 1400})
    page = context.new_page()
    try:
        lab.open_notebook(page, quick_lab, notebook.name)
        lab.command(page, "notebook:run-all-cells")
        page.wait_for_function(f"() => ({TILES})().length === 3", timeout=60_000)
        early = page.evaluate(TILES)
        assert early != ["succeeded"] * 3, "the tiles should show the shots before they are done"
        page.wait_for_function(f"() => ({TILES})().every((s) => s === 'succeeded')", timeout=60_000)
        page.wait_for_function(FILM, timeout=60_000)
        assert page.evaluate("() => document.querySelectorAll('.hailuo-board__tile video').length") == 3
        page.wait_for_function("() => document.querySelector('.hailuo-board__sheet').naturalWidth > 0",
                               timeout=10_000)
        lab.screenshot(page.locator(".hailuo-board"), "storyboard-widget.png")

        page.wait_for_function(f"() => {{ const v = ({ROW_VIDEOS})(); return v.length === 2 && v.every((x) => x.ready); }}",
                               timeout=60_000)
        page.locator('.hailuo-grid__row[data-row="0"] .hailuo-grid__play').click()
        page.wait_for_function(
            f"() => {{ const v = ({ROW_VIDEOS})(); return v.every((x) => !x.paused && x.t > 0.5); }}", timeout=20_000)
        times = [v["t"] for v in page.evaluate(ROW_VIDEOS)]
        assert max(times) - min(times) < 0.35, times
        page.locator('.hailuo-grid__row[data-row="0"] .hailuo-grid__play').click()
        page.wait_for_function(f"() => ({ROW_VIDEOS})().every((x) => x.paused)", timeout=10_000)
        # Finalize on the picked cell asks first: the cost with Confirm and Cancel; Cancel sends nothing.
        first_cell = page.locator('.hailuo-grid__row[data-row="0"] [data-column="0"]')
        first_cell.locator(".hailuo-grid__pick").click()
        first_cell.locator(".hailuo-grid__finalize").click()
        confirm = page.locator('.hailuo-grid__row[data-row="0"] .hailuo-grid__confirm')
        confirm.wait_for(state="visible", timeout=10_000)
        assert confirm.locator(".hailuo-grid__confirm-label").inner_text().startswith("Finalize at 1080p: $")
        lab.screenshot(page.locator(".hailuo-grid"), "compare-grid.png")
        confirm.locator(".hailuo-grid__confirm-no").click()
        confirm.wait_for(state="hidden", timeout=10_000)
        assert page.locator('.hailuo-grid__row[data-row="0"] .hailuo-grid__final').inner_text() == ""
    finally:
        context.close()
        quick_lab.shutdown_kernels()
