"""%%hailuo in JupyterLab, in headless Chromium, against the simulator.

Two %%hailuo cells and an ordinary cell: the status widgets move on while the kernel is
idle, each video replaces the widget in its own cell and plays; the saved notebook plays
both videos again after the kernel is shut down and the page reloaded.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest

_spec = importlib.util.spec_from_file_location(
    "hailuo_ui_jupyterlab", Path(__file__).with_name("jupyterlab.py")
)
lab = importlib.util.module_from_spec(_spec)  # by path: the name "jupyterlab" is taken
sys.modules[_spec.name] = lab
_spec.loader.exec_module(lab)
lab_server = lab.lab_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCS_PNG = lab.ROOT / "docs" / "status-widget.png"
CELLS = [
    "%load_ext hailuo_nb",
    "%%hailuo --out first\na paper lantern drifts over a dark lake at night",
    "%%hailuo --out second --model hailuo-02-text-to-video-standard --duration 10\n"
    "a red <b>kite</b> over a grey sea",
    "print('ordinary cell', 6 * 7)",
]

# Records every status a widget shows, with the kernel's status at that moment.
RECORDER = """() => {
  window.__hailuoSeen = [];
  const app = window.jupyterapp;
  const kernel = () => {
    const s = app.shell.currentWidget.sessionContext.session;
    return s && s.kernel ? s.kernel.status : null;
  };
  const cellOf = (el) => app.shell.currentWidget.content.widgets.findIndex((c) => c.node.contains(el));
  const record = () => {
    for (const el of document.querySelectorAll('.hailuo-status')) {
      const entry = {cell: cellOf(el), status: el.dataset.status, kernel: kernel()};
      const last = window.__hailuoSeen.filter((e) => e.cell === entry.cell).pop();
      if (!last || last.status !== entry.status || last.kernel !== entry.kernel) {
        window.__hailuoSeen.push(entry);
      }
    }
  };
  new MutationObserver(record).observe(document.body, {
    subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'],
  });
}"""

# Per cell: the output videos (not the widget's own) and whether each is loaded.
VIDEOS = """() => window.jupyterapp.shell.currentWidget.content.widgets.map((cell) =>
  Array.from(cell.node.querySelectorAll('.jp-OutputArea video:not(.hailuo-status__video)')).map((v) => ({
    src: v.getAttribute('src'), loaded: v.readyState >= 2 && v.duration > 0 && v.videoWidth > 0,
  })))"""

WIDGETS = "() => document.querySelectorAll('.hailuo-status').length"


def cell_videos(page: Any) -> list[list[dict]]:
    return page.evaluate(VIDEOS)


def wait_videos_loaded(page: Any, cells: tuple[int, ...], timeout: float = 60_000) -> None:
    page.wait_for_function(
        f"""() => {{
          const per = ({VIDEOS})();
          return {json.dumps(list(cells))}.every((i) => per[i] && per[i].length === 1 && per[i][0].loaded);
        }}""",
        timeout=timeout,
    )


def play_all(page: Any) -> None:
    """Start every output video and wait until each has advanced (it really plays)."""
    page.evaluate(
        "() => Promise.all(Array.from(document.querySelectorAll('.jp-OutputArea video'))"
        ".map((v) => { v.muted = true; return v.play(); }))"
    )
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.jp-OutputArea video'))"
        ".every((v) => v.currentTime > 0 && !v.paused)",
        timeout=30_000,
    )


def saved_outputs(path: Path) -> list[list[dict]]:
    nb = json.loads(path.read_text())
    return [cell.get("outputs", []) for cell in nb["cells"]]


def wait_saved_with_videos(path: Path, timeout: float = 30.0) -> list[list[dict]]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            outputs = saved_outputs(path)
        except (OSError, json.JSONDecodeError):  # mid-write
            outputs = []
        html = ["".join("".join(o.get("data", {}).get("text/html", "")) for o in c) for c in outputs]
        if len(html) == 4 and "<video" in html[1] and "<video" in html[2]:
            return outputs
        if time.monotonic() > deadline:
            raise AssertionError(f"the saved notebook has no videos: {outputs}")
        time.sleep(0.05)  # polling the file JupyterLab writes; there is no event to wait on


def test_magic_cells_in_jupyterlab(chromium_browser: Any, lab_server: Any) -> None:
    notebook = lab_server.root / "magic.ipynb"
    lab.write_notebook(notebook, CELLS)
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    try:
        lab.open_notebook(page, lab_server, notebook.name)
        page.evaluate(RECORDER)
        lab.command(page, "notebook:run-all-cells")

        # Both widgets appear and the cells return at once: the kernel goes idle while
        # the generations are still running.
        page.wait_for_function(f"() => ({WIDGETS})() === 2", timeout=60_000)
        page.wait_for_function(
            f"""() => ({lab.KERNEL_STATUS_JS})() === 'idle'
              && window.jupyterapp.shell.currentWidget.content.widgets[3].node
                   .innerText.includes('ordinary cell 42')
              && document.querySelectorAll('.hailuo-status:not([data-status="succeeded"])').length === 2""",
            timeout=60_000,
        )
        first = page.locator(".hailuo-status").first
        page.wait_for_function(
            "() => { const el = document.querySelector('.hailuo-status');"
            " return el && el.dataset.status === 'running'"
            " && el.querySelector('.hailuo-status__fill').style.width !== '0.0%'; }",
            timeout=30_000,
        )
        # The prompt's markup is shown as text, never parsed.
        prompt = page.locator(".hailuo-status").nth(1).locator(".hailuo-status__prompt")
        assert prompt.text_content() == "a red <b>kite</b> over a grey sea"
        assert prompt.locator("b").count() == 0
        assert first.locator(".hailuo-status__task-id").text_content().strip()
        shot = lab.screenshot(first, "status-widget-running.png")
        if not DOCS_PNG.exists() or os.environ.get("HAILUO_UPDATE_DOCS") == "1":
            DOCS_PNG.parent.mkdir(exist_ok=True)
            shutil.copyfile(shot, DOCS_PNG)

        # Each video replaces the widget in its own cell; the ordinary cell has none.
        wait_videos_loaded(page, (1, 2))
        page.wait_for_function(f"() => ({WIDGETS})() === 0", timeout=30_000)
        per_cell = cell_videos(page)
        assert [len(v) for v in per_cell] == [0, 1, 1, 0], per_cell
        assert per_cell[1][0]["src"] != per_cell[2][0]["src"]
        play_all(page)
        lab.screenshot(page, "magic-notebook-done.png")

        seen = page.evaluate("() => window.__hailuoSeen")
        idle = {e["status"] for e in seen if e["cell"] == 1 and e["kernel"] == "idle"}
        assert len(idle & {"submitting", "queued", "running", "downloading", "succeeded"}) >= 2, seen

        lab.command(page, "docmanager:save")
        outputs = wait_saved_with_videos(notebook)
        for index in (1, 2):
            [video] = [o for o in outputs[index] if "<video" in "".join(o["data"].get("text/html", ""))]
            html = "".join(video["data"]["text/html"])
            src = html.split('<video src="', 1)[1].split('"', 1)[0]
            assert (lab_server.root / src).is_file(), src  # relative to the notebook
            assert not any(
                "application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs[index]
            )

        # No kernel: the saved outputs alone play the videos. (Reopening a notebook makes
        # Lab start a fresh kernel; let it come up, then shut that one down as well.)
        lab_server.shutdown_kernels()
        lab.open_notebook(page, lab_server, notebook.name)
        lab_server.shutdown_kernels()
        wait_videos_loaded(page, (1, 2))
        play_all(page)
        assert [len(v) for v in cell_videos(page)] == [0, 1, 1, 0]
        # Lab resolved the saved relative paths to its file server, not to the kernel.
        for videos in cell_videos(page)[1:3]:
            assert "/files/hailuo_videos/" in videos[0]["src"], videos
        lab.screenshot(page, "magic-notebook-reopened.png")
    except Exception:
        lab.screenshot(page, "magic-notebook-failure.png")
        raise
    finally:
        context.close()


# ---------------------------------------------------------------- no pushes from threads

POLL_CELLS = [
    # As in Colab, where widget updates sent from the kernel's worker threads never reach
    # the page: the engine pushes nothing; the page must ask.
    "import os\nos.environ['HAILUO_STATUS_UPDATES'] = 'poll'\n%load_ext hailuo_nb",
    "%%hailuo --out polled\na lighthouse beam sweeps over calm water",
    "%hailuo models",
]
MATH = "() => document.querySelectorAll('.jp-OutputArea mjx-container, .jp-OutputArea .MathJax').length"


def test_status_moves_by_polling_when_threads_cannot_push(chromium_browser: Any, lab_server: Any) -> None:
    notebook = lab_server.root / "polling.ipynb"
    lab.write_notebook(notebook, POLL_CELLS)
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    try:
        lab.open_notebook(page, lab_server, notebook.name)
        page.evaluate(RECORDER)
        lab.command(page, "notebook:run-all-cells")
        page.wait_for_function(f"() => ({WIDGETS})() === 1", timeout=60_000)
        # The video replaces the widget, sent while the kernel answered a poll.
        wait_videos_loaded(page, (1,))
        seen = page.evaluate("() => window.__hailuoSeen")
        statuses = [e["status"] for e in seen if e["cell"] == 1]
        assert {"queued", "running"} & set(statuses), seen  # it moved while the kernel was idle
        assert any(e["kernel"] == "idle" and e["status"] in ("running", "downloading") for e in seen), seen

        # %hailuo models: prices with "$" are text, not LaTeX.
        models = page.locator(".jp-OutputArea .hailuo-table").first
        models.wait_for(timeout=30_000)
        assert "$0.49" in models.inner_text()
        assert page.evaluate(MATH) == 0
    except Exception:
        lab.screenshot(page, "polling-failure.png")
        raise
    finally:
        context.close()
        lab_server.shutdown_kernels()


# ---------------------------------------------------------------- H3: a video with sound

H3_CELLS = [
    "%load_ext hailuo_nb",
    "%%hailuo --model hailuo-h3-text-to-video --ratio 16:9 --duration 4 --out waves\n"
    "waves crash on a rocky shore at dusk, gulls crying",
]

# The saved <video> of cell 1: not muted for good, with an audio track Chromium decodes.
H3_VIDEO = ("window.jupyterapp.shell.currentWidget.content.widgets[1].node"
            ".querySelector('.jp-OutputArea video:not(.hailuo-status__video)')")
SOUND = f"""async () => {{
  const v = {H3_VIDEO};
  const caption = v.closest('figure').querySelector('figcaption');
  const state = {{mutedAttribute: v.hasAttribute('muted'), controls: v.controls,
                  caption: caption ? caption.innerText : ''}};
  v.muted = true;  // headless autoplay needs it for play(); the attribute above is what a user gets
  await v.play();
  return state;
}}"""
DECODING = f"() => {{ const v = {H3_VIDEO}; return v.webkitAudioDecodedByteCount > 0 && v.currentTime > 0; }}"


def test_h3_cell_plays_with_sound(chromium_browser: Any, lab_server: Any) -> None:
    notebook = lab_server.root / "h3.ipynb"
    lab.write_notebook(notebook, H3_CELLS)
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        lab.open_notebook(page, lab_server, notebook.name)
        lab.command(page, "notebook:run-all-cells")
        wait_videos_loaded(page, (1,))
        state = page.evaluate(SOUND)
        assert state["mutedAttribute"] is False and state["controls"], state  # sound is one click away
        assert "with sound" in state["caption"], state
        page.wait_for_function(DECODING, timeout=30_000)  # an audio track, decoded while it plays
    except Exception:
        lab.screenshot(page, "h3-sound-failure.png")
        raise
    finally:
        context.close()
