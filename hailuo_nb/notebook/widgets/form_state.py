"""The form's state: every trait the browser sees, and how they are kept consistent.

Kept apart from the behaviour (form.py: the Python API and the browser's messages) so
the browser-facing state reads in one place: the traits, each with ``help=``
(``form.js``'s ``KEYS`` lists the same names; a test holds them equal), and the one
routine that, after any change, fits the fields to what the provider and model allow
(capabilities.py) and checks them with the gateway (fields.py). Nothing secret and no
file bytes are synced: frames and reference files travel as small previews, videos as
paths relative to the Jupyter server's root.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anywidget
import traitlets as t

from hailuo_nb.errors import AuthenticationError, ValidationError
from hailuo_nb.film.camera_moves import CAMERA_MOVES, MAX_MOVES_PER_BRACKET
from hailuo_nb.gateway.catalog import DEFAULT_MODEL, MODELS, ModelSpec
from hailuo_nb.gateway.config import PROVIDER_NAMES, resolve_provider
from hailuo_nb.gateway.pricing import list_price
from hailuo_nb.notebook.widgets.capabilities import (
    Capabilities,
    fitted,
    frame_fields,
    provider_catalog,
    reference_limits,
)
from hailuo_nb.notebook.widgets.esm import COMMON_JS, bundle
from hailuo_nb.notebook.widgets.fields import (
    FIELD_ORDER,
    LABELS,
    check_fields,
    field_message,
    model_spec,
    prompt_warnings,
    provider_option,
)
from hailuo_nb.notebook.widgets.inputs import FileInputs
from hailuo_nb.notebook.widgets.status import STATUS_CSS, STATUS_ESM
from hailuo_nb.notebook.widgets.submission import SETTINGS

_HERE = Path(__file__).parent
FORM_JS = _HERE / "form.js"
#: the prompt's tools (move picker, Enhance, warnings), which form.js imports
FORM_PROMPT_JS = _HERE / "form_prompt.js"
FORM_CSS = _HERE / "form.css"
#: What anywidget loads: common.js, form_prompt.js and form.js joined into one module (esm.py).
FORM_ESM = bundle(COMMON_JS, FORM_PROMPT_JS, FORM_JS)


class FormState(anywidget.AnyWidget):
    """The synced traits of :class:`~hailuo_nb.notebook.widgets.form.Form`, kept consistent."""

    _inputs: FileInputs  # the chosen files (kernel side), set before the first change
    _batch = 0  # > 0 while several changes are applied: fit and check once, after them
    _catalog_key: tuple[str, str] | None = None
    # The gallery is published from the engine thread; ipywidgets' hold_sync is not
    # thread-safe, so batched syncs and gallery updates take turns.
    _sync_lock: threading.RLock

    _esm = FORM_ESM
    _css = STATUS_CSS.read_text(encoding="utf-8") + "\n" + FORM_CSS.read_text(encoding="utf-8")

    _status_esm = t.Unicode(
        STATUS_ESM,
        help="status.js (with common.js), the status widget's front-end: the gallery draws its cards with it",
    ).tag(sync=True)

    # -- the fields (set from the browser by "set" messages, or from Python) -------------
    prompt = t.Unicode("", help="The prompt (shown as text, never as HTML)").tag(sync=True)
    provider = t.Unicode("", help="Provider name: 'sim', 'minimax', 'runapi', ...").tag(sync=True)
    model = t.Unicode(DEFAULT_MODEL, help="Model id (canonical, docs/design.md §3)").tag(sync=True)
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
    prompt_warnings = t.List(
        t.Unicode(),
        help="Prompt check (film/shots.py): unknown camera moves, an over-long prompt; warnings, Submit"
        " stays enabled",
    ).tag(sync=True)
    notice = t.Dict(
        help="The last action's outcome: {kind: 'info'|'error', text, hint, action} ({} for none)"
    ).tag(sync=True)
    gallery = t.List(
        t.Dict(),
        help="This form's generations, newest first: status snapshots plus 'video' (name, size, path"
        " relative to the server root) and 'reused'",
    ).tag(sync=True)

    # -- the prompt's tools (form_actions.py) ----------------------------------------------
    camera_moves = t.Dict(
        {"names": list(CAMERA_MOVES), "per_bracket": MAX_MOVES_PER_BRACKET},
        help="The move picker's choices: MiniMax's camera commands and how many one bracket takes",
    ).tag(sync=True)
    enhancement = t.Dict(
        {"status": "", "text": "", "error": "", "undo": ""},
        help="Enhance (enhancement.py): status ''|'running'|'ready'|'failed', the expanded text to read,"
        " the error, and the prompt 'Use it' replaced (for Undo)",
    ).tag(sync=True)

    # -- derived from the fields

    @property
    def capabilities(self) -> Capabilities:
        """What the chosen model allows here (an entry of ``catalog``; ``{}`` if unknown)."""
        return dict(self.catalog.get(self.model) or {})

    @property
    def values(self) -> dict[str, Any]:
        """The request as :func:`hailuo_nb.generate` arguments (shown controls only)."""
        caps = self.capabilities
        values: dict[str, Any] = {name: getattr(self, name) for name in SETTINGS}
        values.update({f: self._inputs.frames[f] for f in frame_fields(caps)})
        if caps.get("ratios"):
            values["ratio"] = self.ratio
        if limits := reference_limits(caps):
            values.update(self._inputs.reference_values(limits))
        return values

    # -- keeping options and messages in step with the fields ---------------------------

    @t.observe(*SETTINGS, "ratio", "catalog")
    def _field_changed(self, _change: Any) -> None:
        if self._batch == 0 and hasattr(self, "_inputs"):
            self._revalidate()

    @contextmanager
    def _batched(self) -> Iterator[None]:
        """Apply several field changes, then fit options and validate once."""
        self._batch += 1
        try:
            yield
        finally:
            self._batch -= 1
        self._revalidate()

    def _revalidate(self) -> None:
        """Fit options to provider and model, then check every field with the gateway."""
        if self._batch:
            return
        self._batch += 1  # the adjustments below must not re-enter
        try:
            with self._sync_lock, self.hold_sync():
                self._fit_options()
                self._check()
        finally:
            self._batch -= 1

    def _fit_options(self) -> None:
        self.provider_options = [provider_option(name) for name in PROVIDER_NAMES]
        try:
            endpoint = resolve_provider(self.provider)
        except ValidationError:
            return
        spec = model_spec(endpoint, self.model) or _closest(endpoint.protocol.models, self.model)
        key = (endpoint.name, "" if spec.id in MODELS else spec.id)
        if key != self._catalog_key:  # only a new provider (or native model) rebuilds it
            self._catalog_key, self.catalog = key, provider_catalog(endpoint, spec)
        self.model = spec.id
        caps = self.capabilities
        if caps:
            for name, value in fitted(
                caps, duration=self.duration, resolution=self.resolution, ratio=self.ratio
            ).items():
                setattr(self, name, value)
        est = list_price(endpoint.name, spec.id, self.duration, self.resolution)
        self.cost = str(est) if est else ""
        self.cost_note = est.source if est else f"{endpoint.name} publishes no price for this"

    def _check(self) -> None:
        values = self.values
        errors = {field: field_message(err) for field, err in check_fields(**values)[0].items()}
        if "provider" not in errors:
            endpoint = resolve_provider(self.provider)
            if not endpoint.simulated:
                try:
                    endpoint.api_key()  # only whether it is set: the value is dropped at once
                except AuthenticationError as err:
                    errors["provider"] = err.message
        errors.update({f: m for f, m in self._inputs.errors.items() if f in values})
        self.errors = errors
        first = next((f for f in FIELD_ORDER if f in errors), None) or next(iter(errors), None)
        self.blocker = f"{LABELS.get(first, first)}: {errors[first]}" if first else ""
        caps, long_prompt = self.capabilities, "prompt" in errors
        self.prompt_warnings = prompt_warnings(self.prompt, caps, length_error=long_prompt)
        self.frames = self._inputs.frame_infos()
        self.references = self._inputs.reference_infos()



def _closest(served_ids: Any, model: str) -> ModelSpec:
    """The served model closest to ``model`` (same input, family, tier; else the default)."""
    old = MODELS.get(model, MODELS[DEFAULT_MODEL])
    served = [MODELS[m] for m in MODELS if m in served_ids]
    return min(
        served,
        key=lambda s: (
            s.input != old.input,
            s.family != old.family,
            s.tier != old.tier,
            s.id != DEFAULT_MODEL,
        ),
    )


__all__ = ["COMMON_JS", "FORM_CSS", "FORM_ESM", "FORM_JS", "FORM_PROMPT_JS", "FormState"]
