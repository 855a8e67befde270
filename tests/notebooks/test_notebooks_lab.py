"""The demo notebooks in JupyterLab, as a newcomer runs them: Run All, no waiting mode.

Each notebook is opened in a real JupyterLab (headless Chromium, the harness of tests/ui),
run with Run All, and checked: the last cell printed its summary, every video output
plays, the form (02) rendered with its gallery card playing, and nothing went to stderr.

The six run side by side, as for a user with several notebooks open in one Lab (one browser
page, hence one JupyterLab app and one kernel, per notebook; one shared journal): the
module fixture opens each notebook and starts its Run All without waiting for it to end,
then each test waits on and checks its own page. The simulated jobs are mostly waiting, so
the notebooks overlap instead of queueing.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from notebook_checks import EXPECTED, NAMES, NOTEBOOKS, ROOT

_HARNESS = ROOT / "tests" / "ui" / "jupyterlab.py"
_spec = importlib.util.spec_from_file_location("hailuo_ui_jupyterlab", _HARNESS)
assert _spec is not None and _spec.loader is not None
lab = importlib.util.module_from_spec(_spec)  # by path: the name "jupyterlab" is taken
sys.modules[_spec.name] = lab
_spec.loader.exec_module(lab)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Every shown <video> in the notebook's outputs (the form's gallery included), and whether it
# plays (a status view keeps a hidden, empty <video> until it has a source).
VIDEOS = """() => Array.from(
  window.jupyterapp.shell.currentWidget.content.node.querySelectorAll('.jp-OutputArea video')
).filter((v) => !v.hidden).map((v) => ({
  src: v.getAttribute('src') || '', loaded: v.readyState >= 2 && v.videoWidth > 0,
}))"""
OUTPUT_TEXT = "() => window.jupyterapp.shell.currentWidget.content.node.innerText"
CURRENT_PATH = "() => window.jupyterapp.shell.currentWidget.context.path"
# Starts Run All without awaiting it (the command's promise settles only when the last cell
# has run, and evaluate() would wait for it: the notebooks would run one after the other).
RUN_ALL = "() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }"
STDERR = """() => Array.from(window.jupyterapp.shell.currentWidget.content.node.querySelectorAll(
  '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')).map((e) => e.innerText)"""


@pytest.fixture(scope="module")
def browser(chromium_browser: Any) -> Any:
    """The session's shared Chromium (tests/conftest.py)."""
    return chromium_browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp("demo-lab")
    shutil.copytree(NOTEBOOKS, tmp / "notebooks", ignore=shutil.ignore_patterns(".*", "hailuo_videos"))
    # Cells stay in the DOM (no virtual scrolling), so every output video can be checked.
    tracker = tmp / "jupyter" / "jupyterlab_settings_dir" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    env = {
        # The defaults a newcomer has (no waiting mode, videos beside the notebook), and
        # jobs short enough for a test but long enough that cells really run concurrently.
        "HAILUO_PROVIDER": "",
        "HAILUO_SIM_SECONDS": "3",
        "HAILUO_POLL_INTERVAL": "",
        "HAILUO_HOME": str(tmp / "home"),
        "HAILUO_OUTPUT_DIR": "",
        "HAILUO_WAIT": "",
        "HAILUO_BUDGET_USD": "",
    }
    running = lab.start_lab(tmp, env)
    try:
        yield running
    finally:
        lab.stop_lab(running)


@dataclass
class Run:
    """A notebook's page with Run All started, or why it could not be started."""

    page: Any
    error: BaseException | None = None


@pytest.fixture(scope="module")
def runs(browser: Any, server: Any) -> Iterator[dict[str, Run]]:
    """Every notebook open in its own page with Run All started (their kernels run side by side).

    A notebook that fails to open or start is recorded, not raised, so that it fails its
    own test only. Pages and kernels are closed at teardown.
    """
    started: dict[str, Run] = {}
    try:
        # One at a time: each page loads while the notebooks before it run (six Lab apps
        # loading at once on two cores take as long in all and risk the open timeout).
        for name in NAMES:
            run = started[name] = Run(page=browser.new_page(viewport={"width": 1280, "height": 1000}))
            try:
                lab.open_notebook(run.page, server, name)
                run.page.evaluate(RUN_ALL)
            except Exception as exc:  # noqa: BLE001 - reported by this notebook's test
                run.error = exc
        yield started
    finally:
        for run in started.values():
            run.page.close()
        server.shutdown_kernels()


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_in_jupyterlab(name: str, runs: dict[str, Run]) -> None:
    expected = EXPECTED[name]
    run = runs[name]
    if run.error is not None:
        pytest.fail(f"{name}: could not open and Run All: {run.error}")
    page = run.page
    # Each page is its own JupyterLab app: its current widget is this notebook, not another's.
    assert page.evaluate(CURRENT_PATH) == name
    last = expected.prints[-1]
    try:
        page.wait_for_function(f"() => ({OUTPUT_TEXT})().includes({json.dumps(last)})", timeout=120_000)
    except Exception:
        lab.screenshot(page, f"demo-{Path(name).stem}-failed.png")
        pytest.fail(f"{name}: {last!r} never shown; it shows:\n{page.evaluate(OUTPUT_TEXT)[-3000:]}")
    try:
        page.wait_for_function(
            f"""() => {{ const v = ({VIDEOS})();
                return v.length >= {expected.videos} && v.every((x) => x.loaded); }}""",
            timeout=60_000,
        )
    except Exception:
        lab.screenshot(page, f"demo-{Path(name).stem}-failed.png")
        pytest.fail(f"{name}: videos not all playing: {page.evaluate(VIDEOS)}")
    text = page.evaluate(OUTPUT_TEXT)
    for line in expected.prints:
        assert line in text, f"{name}: {line!r} not shown"
    assert page.evaluate(STDERR) == []
    if name.startswith("02-"):
        assert page.locator(".hailuo-form").count() == 1
        assert page.locator(".hailuo-form__card video").count() >= 1
    assert page.evaluate(CURRENT_PATH) == name
    lab.screenshot(page, f"demo-{Path(name).stem}.png")
