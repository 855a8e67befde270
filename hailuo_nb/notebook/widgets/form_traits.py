"""The form's synced state: every trait the browser sees, each with ``help=``.

Kept apart from the behaviour (form.py) so the whole browser-facing state reads in one
screen; ``form.js``'s ``KEYS`` lists the same names (a test holds them equal). Nothing
secret and no file bytes are synced: frames and reference files travel as small
previews, videos as paths relative to the Jupyter server's root.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import traitlets as t

from hailuo_nb.gateway.catalog import DEFAULT_MODEL
from hailuo_nb.notebook.status import STATUS_CSS, STATUS_JS
from hailuo_nb.notebook.widgets.esm import bundle

_HERE = Path(__file__).parent
COMMON_JS = _HERE / "common.js"
FORM_JS = _HERE / "form.js"
FORM_CSS = _HERE / "form.css"
#: What anywidget loads: common.js and form.js joined into one module (esm.py).
FORM_ESM = bundle(COMMON_JS, FORM_JS)


class FormTraits(anywidget.AnyWidget):
    """The synced traits of :class:`~hailuo_nb.notebook.widgets.form.Form`."""

    _esm = FORM_ESM
    _css = STATUS_CSS.read_text(encoding="utf-8") + "\n" + FORM_CSS.read_text(encoding="utf-8")

    _status_esm = t.Unicode(
        STATUS_JS.read_text(encoding="utf-8"),
        help="status.js, the status widget's front-end: the gallery draws its cards with it",
    ).tag(sync=True)

    # -- the fields (set from the browser by "set" messages, or from Python) -------------
    prompt = t.Unicode("", help="The prompt (shown as text, never as HTML)").tag(sync=True)
    provider = t.Unicode("", help="Provider name: 'sim', 'minimax', 'runapi', ...").tag(sync=True)
    model = t.Unicode(DEFAULT_MODEL, help="Model id (canonical, DESIGN §3)").tag(sync=True)
    duration = t.Int(6, help="Clip length in seconds").tag(sync=True)
    resolution = t.Unicode("768p", help="Resolution, e.g. '768p'").tag(sync=True)
    ratio = t.Unicode("", help="Aspect ratio, e.g. '16:9' ('' for models without a choice)").tag(sync=True)
    prompt_optimizer = t.Bool(True, help="Let the gateway rewrite the prompt for better results").tag(
        sync=True
    )

    # -- what the chosen provider and its models allow -----------------------------------
    provider_options = t.List(
        t.Dict(), help="Providers: name, label, simulated, has_key, image_mode ('url': URL images only)"
    ).tag(sync=True)
    catalog = t.Dict(
        help="Capabilities of each model the provider serves, by model id (capabilities.py):"
        " durations (set or range), resolutions, ratios, frames, references, prompt_max"
    ).tag(sync=True)
    frames = t.Dict(
        help="Chosen frames by field: {name, width, height, size, thumb} (a small preview, never the"
        " image itself) or None"
    ).tag(sync=True)
    references = t.Dict(
        help="Chosen reference files by kind ('image', 'video', 'audio'): lists of {name, mime, size,"
        " thumb} previews"
    ).tag(sync=True)

    # -- validation, estimate, messages --------------------------------------------------
    errors = t.Dict(help="Validation message per field, the gateway's own (build_request)").tag(sync=True)
    blocker = t.Unicode("", help="Why Submit is disabled ('' when the request is valid)").tag(sync=True)
    cost = t.Unicode("", help="Estimated price of one generation, e.g. '$0.49'; '' if unpublished").tag(
        sync=True
    )
    cost_note = t.Unicode("", help="Where the price estimate comes from").tag(sync=True)
    notice = t.Dict(
        help="The last action's outcome: {kind: 'info'|'error', text, hint, action} ({} for none)"
    ).tag(sync=True)
    gallery = t.List(
        t.Dict(),
        help="This form's generations, newest first: status snapshots plus 'video' (name, size, path"
        " relative to the server root) and 'reused'",
    ).tag(sync=True)


__all__ = ["COMMON_JS", "FORM_CSS", "FORM_ESM", "FORM_JS", "FormTraits"]
