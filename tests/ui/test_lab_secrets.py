"""No key and no script leave the kernel: JupyterLab with widget-state saving on (issue 7).

A simulator in this process answers MiniMax requests for a distinctive key; JupyterLab
(``@jupyter-widgets/jupyterlab-manager:plugin`` ``saveState: true``, so every synced trait
of every live widget goes into the .ipynb) runs a notebook whose prompts carry an HTML/script
payload and whose gateway failures echo that payload together with the key:

- cell 1 succeeds: its video plays, its caption shows the payload as text;
- cell 3 fails remotely with ``<img ... onerror=...> key <KEY>``: the error is shown as text,
  with the key scrubbed;
- cell 4 is a ``Form`` whose own generation fails the same way, so the key-bearing error
  reaches a widget that is still alive when the notebook is saved (its gallery card).

Checked: no payload ever becomes an element (a MutationObserver watches the whole page from
the start of each page load), ``window.__pwned`` stays undefined (with a positive control showing that an
injected ``onerror`` would have run), the key occurs 0 times in the saved notebook and in
every file under the test's temp folder (Lab root, journal, videos, Jupyter dirs, Lab log),
widget state *was* saved, and a reload without a kernel still runs nothing.
Every wait is on a condition with a deadline.
"""

from __future__ import annotations

import json
import secrets
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from form_lab import VIDEO_READY, lab
from waiting import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KEY = "sk-LABSECRET-" + secrets.token_hex(12)
MODEL = "hailuo-02-text-to-video-standard"
PAYLOAD = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
GATEWAY_PAYLOAD = "<img src=x onerror=window.__pwned=3>"
FAILURE = f"{GATEWAY_PAYLOAD} key {KEY}"
FORM_PAYLOAD = '<img src=x onerror="window.__pwned=4">'
WIDGET_PLUGIN = "@jupyter-widgets/jupyterlab-manager:plugin"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WAIT = 30_000

CELLS = [
    "%load_ext hailuo_nb",
    f"%%hailuo --model {MODEL}\na paper lantern {PAYLOAD} drifts over a dark lake",
    # Cell 1's generation ends before cell 3 submits: the simulator's queued faults
    # (consumed in arrival order) then hit exactly cells 3 and 4.
    "%hailuo wait",
    f"%%hailuo --model {MODEL}\na grey heron wading at dusk",
    "import hailuo_nb\n"
    f"form = hailuo_nb.Form(model={MODEL!r}, prompt={f'a red kite {FORM_PAYLOAD} over the sea'!r})\n"
    "form_gen = form.submit()\n"
    "form",
]

# Installed at the start of every page load, before Lab renders anything: remembers each
# element a payload could have become, and whether the live status widget ever showed the
# payload as text.
OBSERVER = """() => {
  const seen = window.__hailuoSeen = {imgs: [], scripts: [], statusText: false};
  const check = (node) => {
    if (!(node instanceof Element)) return;
    for (const el of [node, ...node.querySelectorAll('img, script')]) {
      if (el.tagName === 'IMG' && el.getAttribute('src') === 'x') seen.imgs.push(el.outerHTML);
      if (el.tagName === 'SCRIPT' && (el.textContent || '').includes('__pwned')) {
        seen.scripts.push(el.outerHTML);
      }
    }
  };
  new MutationObserver((records) => {
    for (const r of records) r.addedNodes.forEach(check);
    for (const el of document.querySelectorAll('.hailuo-status__prompt')) {
      if (el.textContent.includes('<img src=x')) seen.statusText = true;
    }
  }).observe(document, {subtree: true, childList: true, characterData: true});
}"""

# Positive control: an onerror handler injected the way a payload would be does run here
# (no CSP or sandbox makes the __pwned check vacuous).
CONTROL = """() => new Promise((resolve) => {
  const holder = document.createElement('div');
  holder.innerHTML = '<img src=x-control onerror="window.__control=1">';
  document.body.appendChild(holder);
  const start = Date.now();
  (function poll() {
    if (window.__control === 1) { holder.remove(); resolve(true); }
    else if (Date.now() - start > 10000) { holder.remove(); resolve(false); }
    else requestAnimationFrame(poll);
  })();
})"""

CELL_TEXT = "(i) => window.jupyterapp.shell.currentWidget.content.widgets[i].node.innerText"
CELL_VIDEO_READY = f"""(i) => {{
  const v = window.jupyterapp.shell.currentWidget.content.widgets[i].node
    .querySelector('.jp-OutputArea video');
  return ({VIDEO_READY})(v);
}}"""
CELL_FAILED = """(i) => !!window.jupyterapp.shell.currentWidget.content.widgets[i].node
  .querySelector('.jp-OutputArea figure.hailuo-failed')"""
FORM_CARD_FAILED = """() => Array.from(document.querySelectorAll('.hailuo-form__card'))
  .some((c) => c.innerText.includes('<img src=x onerror=window.__pwned=3>'))"""
PAYLOAD_ELEMENTS = """() => document.querySelectorAll('img[src="x"]').length
  + Array.from(document.querySelectorAll('script'))
      .filter((s) => (s.textContent || '').includes('__pwned')).length"""


def _request(server: Any, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{server.url}{path}",
        data=data,
        method=method,
        headers={"Authorization": f"token {server.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        text = reply.read()
    return json.loads(text) if text else None


def _key_hits(folder: Path) -> dict[str, int]:
    """File (relative to ``folder``) -> occurrences of the key, for every file that has any."""
    hits = {}
    needle = KEY.encode()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            count = path.read_bytes().count(needle)
            if count:
                hits[str(path.relative_to(folder))] = count
    return hits


def _saved_with_outputs(path: Path) -> dict[str, Any] | None:
    """The notebook once Lab saved it with the outputs of cells 1 and 3 (None before)."""
    try:
        nb = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):  # not written yet, or mid-write
        return None
    cells = nb.get("cells") or []
    return nb if len(cells) == len(CELLS) and all(cells[i].get("outputs") for i in (1, 3)) else None


@pytest.fixture
def sim_lab(tmp_path: Path) -> Iterator[tuple[Any, Any, Path]]:
    """A simulator with the distinctive key, and JupyterLab whose kernels use it."""
    from hailuo_nb.sim import SimServer

    srv = SimServer(job_seconds=1.0, api_key=KEY).start()
    server = None
    try:
        env = {
            **srv.env("minimax"),  # HAILUO_PROVIDER, MINIMAX_BASE_URL, MINIMAX_API_KEY
            "HAILUO_HOME": str(tmp_path / "home"),
            "HAILUO_OUTPUT_DIR": str(tmp_path / "notebooks" / "videos"),
            "HAILUO_POLL_INTERVAL": "0.2",
            "HAILUO_WAIT": "",
            "HAILUO_BUDGET_USD": "",
        }
        assert env["MINIMAX_API_KEY"] == KEY and env["HAILUO_PROVIDER"] == "minimax"
        server = lab.start_lab(tmp_path, env)
        # Widget-state saving on, through Lab's settings API (what the Settings editor does).
        _request(server, "PUT", f"/lab/api/settings/{WIDGET_PLUGIN}", {"raw": '{"saveState": true}'})
        setting = _request(server, "GET", f"/lab/api/settings/{WIDGET_PLUGIN}")
        assert setting["settings"]["saveState"] is True, setting
        yield srv, server, tmp_path
    finally:
        if server is not None:
            lab.stop_lab(server)
        srv.stop()


def test_no_key_and_no_script_in_lab_with_widget_state(chromium_browser: Any, sim_lab: Any) -> None:
    srv, server, tmp = sim_lab
    # The simulator consumes faults first-in first-out: cell 1's submit takes the no-op,
    # cells 3 and 4 (the form) take the remote failure that echoes the payload and the key.
    srv.inject("slow", kind="submit", delay=0)
    srv.inject("remote_failure", kind="submit", count=2, message=FAILURE)
    notebook = server.root / "secrets.ipynb"
    lab.write_notebook(notebook, CELLS)
    assert KEY not in notebook.read_text()
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 1400})
    # The observer is in place from the start of every page load, before Lab renders.
    context.add_init_script(script=f"({OBSERVER})()")
    page = context.new_page()
    try:
        lab.open_notebook(page, server, notebook.name)
        lab.command(page, "notebook:run-all-cells")

        page.wait_for_function(CELL_VIDEO_READY, arg=1, timeout=WAIT)
        page.wait_for_function(CELL_FAILED, arg=3, timeout=WAIT)
        page.wait_for_function(FORM_CARD_FAILED, timeout=WAIT)
        page.wait_for_function(f"() => ({lab.KERNEL_STATUS_JS})() === 'idle'", timeout=WAIT)

        # The faults hit the intended generations (cell 1 succeeded, cell 3 and the form failed).
        failed = {t.prompt.split()[2]: t.fail_message for t in srv.accepted_submissions()}
        assert failed == {"lantern": None, "heron": FAILURE, "kite": FAILURE}, failed

        # Payloads are text: the caption, the error and the form's card show them literally.
        cell1 = page.evaluate(CELL_TEXT, 1)
        assert PAYLOAD in cell1, cell1
        cell3 = page.evaluate(CELL_TEXT, 3)
        assert GATEWAY_PAYLOAD in cell3 and "key ***" in cell3, cell3
        assert FORM_PAYLOAD in page.locator(".hailuo-form").inner_text()
        # ... never elements, at any moment since Run All, and nothing ran.
        assert page.evaluate(CONTROL) is True, "an injected onerror handler did not run: vacuous check"
        seen = page.evaluate("() => window.__hailuoSeen")
        assert seen["imgs"] == [] and seen["scripts"] == [], seen
        assert seen["statusText"], "the live status widget never showed the prompt's payload as text"
        assert page.evaluate(PAYLOAD_ELEMENTS) == 0
        assert page.evaluate("() => typeof window.__pwned") == "undefined"
        # The key never reached the page.
        assert KEY not in page.content()
        assert KEY not in page.evaluate("() => document.body.innerText")
        lab.screenshot(page, "lab-secrets.png")

        lab.command(page, "docmanager:save")
        nb = wait_for(lambda: _saved_with_outputs(notebook), 30, "Lab to save the notebook")
        text = notebook.read_text()
        assert text.count(KEY) == 0, "the key is in the saved notebook"
        # Widget state was saved: the saveState setting took effect, so the check above
        # covered every synced trait of the live form (its failed card included).
        state = nb["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
        models = {m["model_name"]: m["state"] for m in state.values()}
        assert "AnyModel" in models, sorted(models)
        form_states = [m["state"] for m in state.values() if "gallery" in m["state"]]
        assert form_states, "the form's state was not saved"
        cards = form_states[0]["gallery"]
        assert cards and cards[0]["status"] == "failed", cards
        assert GATEWAY_PAYLOAD in cards[0]["error_message"], cards[0]
        assert "***" in cards[0]["error_message"]
        # ... and in no other file either: Lab root (notebook, checkpoints, videos),
        # HAILUO_HOME (journal), Jupyter's config/data/runtime/settings/workspace dirs, Lab's log.
        assert (tmp / "home").is_dir() and any((tmp / "home").rglob("*"))
        assert any((tmp / "notebooks" / "videos").glob("*.mp4"))
        assert _key_hits(tmp) == {}

        # Reload without the kernel: the saved outputs and widget state render, nothing runs.
        # Reopening starts a fresh kernel, which knows nothing of the form: the widget
        # manager restores it from the notebook's saved state once that kernel answers
        # (shutting it down earlier aborts the restore). Then that kernel goes too.
        server.shutdown_kernels()
        lab.open_notebook(page, server, notebook.name)
        page.wait_for_function(CELL_VIDEO_READY, arg=1, timeout=WAIT)
        page.wait_for_function(CELL_FAILED, arg=3, timeout=WAIT)
        page.wait_for_function(FORM_CARD_FAILED, timeout=WAIT)  # from the saved widget state
        server.shutdown_kernels()
        page.wait_for_function(f"() => ({lab.KERNEL_STATUS_JS})() === null", timeout=WAIT)
        assert PAYLOAD in page.evaluate(CELL_TEXT, 1)
        assert page.evaluate(CONTROL) is True
        seen = page.evaluate("() => window.__hailuoSeen")
        assert seen["imgs"] == [] and seen["scripts"] == [], seen
        assert page.evaluate(PAYLOAD_ELEMENTS) == 0
        assert page.evaluate("() => typeof window.__pwned") == "undefined"
        assert KEY not in page.content()
    except Exception:
        lab.screenshot(page, "lab-secrets-failure.png")
        raise
    finally:
        context.close()
