"""``hailuo_nb.Form()``: a form for exploring prompts, with a gallery of its generations.

State flows one way per direction (style.md). Python → browser: synced traits, each with
``help=`` (the fields, the options the chosen provider and model allow, validation
messages, the cost estimate, the gallery). Browser → Python: one typed custom message,
``{"type": ..., ...}``, handled by :meth:`Form._handle_message`; the browser never sets a
trait itself. Frame images travel as bytes in those messages and stay in the kernel; only
a small thumbnail is synced. Nothing secret is ever synced.

Validation is the gateway's own: every change runs
:func:`hailuo_nb.gateway.request.build_request` (via :mod:`hailuo_nb.notebook.fields`) and shows its
:class:`~hailuo_nb.ValidationError` messages next to their fields. Submitting calls
:func:`hailuo_nb.generate` with ``wait=False, reuse=True``, so the journal, reuse and
budget rules are the magic's.

The gallery's cards are drawn by the status widget's own front-end (``status.js``'s
``createStatusView``): anywidget loads one module per widget and an ES module cannot
import a sibling file, so its source is synced once as ``_status_esm`` and ``form.js``
imports it as a ``blob:`` module; ``status.css`` is bundled into this widget's CSS.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import traitlets as t

from hailuo_nb.errors import AuthenticationError, HailuoError, ValidationError
from hailuo_nb.gateway.catalog import DEFAULT_MODEL, MAX_IMAGE_BYTES, MAX_PROMPT_CHARS, MODELS, ModelSpec
from hailuo_nb.gateway.config import PROVIDER_NAMES, resolve_provider
from hailuo_nb.gateway.images import FrameImage, load_frame
from hailuo_nb.gateway.pricing import list_price as price
from hailuo_nb.notebook.fields import (
    FIELD_ORDER,
    FRAME_FIELDS,
    LABELS,
    MAX_UPLOAD_BYTES,
    check_fields,
    field_message,
    frame_info,
    model_option,
    model_spec,
    provider_option,
)
from hailuo_nb.notebook.gallery import Gallery, video_file
from hailuo_nb.notebook.status import STATUS_CSS, STATUS_JS

log = logging.getLogger(__name__)

_HERE = Path(__file__).parent
FORM_JS = _HERE / "form.js"
FORM_CSS = _HERE / "form.css"


class Form(anywidget.AnyWidget):
    """Interactive prompt exploration: fields, live validation and cost, and a gallery.

    Examples:
        >>> form = hailuo_nb.Form()                                # doctest: +SKIP
        >>> form = hailuo_nb.Form(model="hailuo-02-image-to-video-standard",
        ...                       first_frame="cat.png")           # doctest: +SKIP
        >>> form.generations[0].video_path                         # doctest: +SKIP
    """

    _esm = FORM_JS
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
    prompt_optimizer = t.Bool(True, help="Let the gateway rewrite the prompt for better results").tag(
        sync=True
    )

    # -- what the chosen provider and model allow ----------------------------------------
    provider_options = t.List(
        t.Dict(), help="Providers: name, label, simulated, has_key, image_mode ('url': URL images only)"
    ).tag(sync=True)
    model_options = t.List(
        t.Dict(), help="Models the provider serves: id, label, input, first_frame, last_frame"
    ).tag(sync=True)
    duration_options = t.List(t.Int(), help="Durations (s) the model allows").tag(sync=True)
    resolution_options = t.List(t.Unicode(), help="Resolutions the model allows here").tag(sync=True)
    frame_pickers = t.List(
        t.Unicode(), help="Frame pickers shown for the model: 'first_frame', 'last_frame'"
    ).tag(sync=True)
    first_frame_required = t.Bool(False, help="True when the model needs a first frame").tag(sync=True)
    frames = t.Dict(
        help="Chosen frames by field: {name, width, height, size, thumb} (a small preview, never the"
        " image itself) or None"
    ).tag(sync=True)
    max_prompt_chars = t.Int(MAX_PROMPT_CHARS, help="The longest prompt allowed").tag(sync=True)

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
        t.Dict(), help="This form's generations, newest first: status snapshots plus 'video' and 'reused'"
    ).tag(sync=True)

    def __init__(
        self,
        provider: str | None = None,
        model: str | None = None,
        *,
        prompt: str = "",
        duration: int | None = None,
        resolution: str | None = None,
        prompt_optimizer: bool = True,
        first_frame: Any = None,
        last_frame: Any = None,
        **kwargs: Any,
    ) -> None:
        if kwargs:
            raise TypeError(f"Form() got unexpected keyword argument(s): {', '.join(sorted(kwargs))}")
        endpoint = resolve_provider(provider)  # a bad provider raises ValidationError here
        chosen = model or DEFAULT_MODEL
        # Explicit arguments are checked by the gateway's rules and raise, as generate() would.
        errors, _ = check_fields(
            prompt="x", provider=endpoint.name, model=chosen, duration=duration, resolution=resolution
        )
        for field in ("provider", "model", "duration", "resolution"):
            if field in errors:
                raise errors[field]
        frames = {
            field: load_frame(value, field)
            for field, value in (("first_frame", first_frame), ("last_frame", last_frame))
            if value is not None
        }
        super().__init__()
        self._frames: dict[str, FrameImage | None] = dict.fromkeys(FRAME_FIELDS)
        self._frame_infos: dict[str, dict[str, Any] | None] = dict.fromkeys(FRAME_FIELDS)
        self._frame_errors: dict[str, str] = {}
        self._uploads: dict[str, dict[str, Any]] = {}
        self._retry: Callable[[], Any] | None = None
        self._batch = 0
        self._frame_seq = 0
        # The gallery is published from the engine thread; ipywidgets' hold_sync is not
        # thread-safe, so batched syncs and gallery updates take turns.
        self._sync_lock = threading.RLock()
        self._gallery = Gallery(self._publish_gallery)
        self._handlers: dict[str, Callable[[dict[str, Any], list[bytes]], None]] = {
            "set": self._on_set,
            "frame": self._on_frame,
            "clear_frame": self._on_clear_frame,
            "submit": self._on_submit,
            "retry": self._on_retry,
            "dismiss": self._on_dismiss,
            "rerun": self._on_rerun,
            "tweak": self._on_tweak,
            "use_last_frame": self._on_use_last_frame,
            "cancel": self._on_cancel,
            "remove": self._on_remove,
            "video": self._on_video,
        }
        with self._batched():
            self.provider = endpoint.name
            self.model = chosen
            self.prompt = prompt
            self.prompt_optimizer = prompt_optimizer
            if duration is not None:
                self.duration = int(duration)
            if resolution is not None:
                self.resolution = str(resolution).lower()
            for field, frame in frames.items():
                self._put_frame(field, frame)
        self.on_msg(self._handle_message)

    # ------------------------------------------------------------------ Python API

    @property
    def generations(self) -> list[Any]:
        """The generations started from this form, newest first."""
        return self._gallery.generations

    @property
    def values(self) -> dict[str, Any]:
        """The request as :func:`hailuo_nb.generate` arguments (frames of shown pickers only)."""
        return {
            "prompt": self.prompt,
            "model": self.model,
            "provider": self.provider,
            "duration": self.duration,
            "resolution": self.resolution,
            "prompt_optimizer": self.prompt_optimizer,
            **{f: self._frames[f] for f in FRAME_FIELDS if f in self.frame_pickers},
        }

    def submit(self, *, force: bool = False) -> Any:
        """Generate from the fields (what Submit does); returns the Generation, or None."""
        return self._start(self.values, force=force)

    def set_frame(self, field: str, value: Any, *, name: str | None = None) -> bool:
        """Use ``value`` (path, bytes, PIL image, URL, finished Generation) as a frame."""
        if field not in FRAME_FIELDS:
            raise ValueError(f"field must be one of {FRAME_FIELDS}, not {field!r}")
        try:
            frame = load_frame(value, field)
        except ValidationError as err:
            self._put_frame(field, None, f"{name}: {field_message(err)}" if name else field_message(err))
            return False
        if name:
            frame = dataclasses.replace(frame, name=name)
        self._put_frame(field, frame)
        return True

    def clear_frame(self, field: str) -> None:
        """Remove a chosen frame."""
        self._put_frame(field, None)

    def rerun(self, gen: Any, *, force: bool = False) -> Any:
        """Generate ``gen``'s request again (an identical one is reused unless ``force``)."""
        return self._start(self._settings_of(gen), force=force)

    def tweak(self, gen: Any) -> None:
        """Load ``gen``'s settings (prompt, model, frames, ...) back into the fields."""
        args = self._settings_of(gen)
        with self._batched():
            for name in ("provider", "model", "prompt", "duration", "resolution", "prompt_optimizer"):
                setattr(self, name, args[name])
            for field in FRAME_FIELDS:
                self._put_frame(field, args.get(field))

    def use_last_frame(self, gen: Any) -> bool:
        """Make ``gen``'s last frame the next first frame (switching to an image model if needed)."""
        if video_file(gen) is None:
            self._notify("error", "That generation has no video yet, so it has no last frame.")
            return False
        with self._batched():
            spec = model_spec(resolve_provider(self.provider), self.model)
            if spec is None or not spec.first_frame:
                self.model = self._image_model_for(gen)
            ok = self.set_frame("first_frame", gen, name=f"last frame of {Path(gen.video_path).name}")
        return ok

    def close(self) -> None:
        """Close the widget; its generations go on in the background."""
        gallery = getattr(self, "_gallery", None)  # None when __init__ raised
        if gallery is not None:
            gallery.close()
        super().close()

    # ------------------------------------------------------------------ messages

    def _handle_message(self, _widget: Any, content: Any, buffers: Any) -> None:
        """The browser's one typed message: ``{"type": ..., ...}`` (+ binary buffers)."""
        if not isinstance(content, dict):
            return
        handler = self._handlers.get(str(content.get("type")))
        if handler is None:
            log.warning("hailuo_nb.Form: unknown message %r", content.get("type"))
            return
        try:
            handler(content, [bytes(b) for b in buffers or ()])
        except HailuoError as err:
            self._notify("error", err.message, err.hint)
        except Exception as err:  # a broken message must not break the widget
            log.exception("hailuo_nb.Form: %s message failed", content.get("type"))
            self._notify("error", f"{type(err).__name__}: {err}")

    def _on_set(self, msg: dict[str, Any], _buffers: list[bytes]) -> None:
        values = msg.get("values") or {}
        with self._batched():
            for name, value in values.items():
                self._assign(name, value)

    def _on_frame(self, msg: dict[str, Any], buffers: list[bytes]) -> None:
        field = str(msg.get("field"))
        if field not in FRAME_FIELDS:
            raise ValidationError("field", field, FRAME_FIELDS)
        name = str(msg.get("name") or "image")
        if msg.get("url"):
            self.set_frame(field, str(msg["url"]).strip())
            return
        size = int(msg.get("size") or 0)
        if size > MAX_UPLOAD_BYTES:
            too_big = ValidationError(
                field, name, f"images up to {MAX_IMAGE_BYTES // 2**20} MB", reason=f"{size / 2**20:.1f} MB"
            )
            self._put_frame(field, None, f"{name}: {field_message(too_big)}")
            return
        if "data" in msg:  # one message, base64
            try:
                data = base64.b64decode(str(msg["data"]), validate=True)
            except (binascii.Error, ValueError):
                raise ValidationError(field, name, "base64 image bytes", reason="invalid base64") from None
            self.set_frame(field, data, name=name)
            return
        # Chunked binary upload: {upload, index, count} with the chunk as the buffer.
        upload_id = str(msg.get("upload") or "")
        index, count = int(msg.get("index", 0)), max(1, int(msg.get("count", 1)))
        if index == 0:
            self._uploads = {k: v for k, v in self._uploads.items() if v["field"] != field}
            self._uploads[upload_id] = {"field": field, "chunks": []}
        upload = self._uploads.get(upload_id)
        if upload is None:
            return  # superseded by a newer upload to the same picker
        upload["chunks"].append(b"".join(buffers))
        if index + 1 >= count:
            del self._uploads[upload_id]
            self.set_frame(field, b"".join(upload["chunks"]), name=name)

    def _on_clear_frame(self, msg: dict[str, Any], _buffers: list[bytes]) -> None:
        field = str(msg.get("field"))
        if field in FRAME_FIELDS:
            self.clear_frame(field)

    def _on_submit(self, msg: dict[str, Any], buffers: list[bytes]) -> None:
        if msg.get("values"):  # the latest keystrokes travel with the submit itself
            self._on_set(msg, buffers)
        self.submit(force=bool(msg.get("force")))

    def _on_retry(self, _msg: dict[str, Any], _buffers: list[bytes]) -> None:
        retry, self._retry = self._retry, None
        if retry is not None:
            retry()

    def _on_dismiss(self, _msg: dict[str, Any], _buffers: list[bytes]) -> None:
        self.notice, self._retry = {}, None

    def _on_rerun(self, msg: dict[str, Any], _buffers: list[bytes]) -> None:
        self.rerun(self._entry_gen(msg), force=bool(msg.get("force")))

    def _on_tweak(self, msg: dict[str, Any], _buffers: list[bytes]) -> None:
        self.tweak(self._entry_gen(msg))

    def _on_use_last_frame(self, msg: dict[str, Any], _buffers: list[bytes]) -> None:
        self.use_last_frame(self._entry_gen(msg))

    def _on_cancel(self, msg: dict[str, Any], _buffers: list[bytes]) -> None:
        self._entry_gen(msg).cancel()

    def _on_remove(self, msg: dict[str, Any], _buffers: list[bytes]) -> None:
        self._gallery.remove(str(msg.get("id")))

    def _on_video(self, msg: dict[str, Any], _buffers: list[bytes]) -> None:
        """The browser could not play the ``files/`` URL: send the bytes (binary buffer)."""
        gen_id = str(msg.get("id"))
        entry = self._gallery.get(gen_id)
        path = video_file(entry.gen) if entry else None
        if path is None:
            self.send({"type": "video", "id": gen_id, "error": "the video file is not available"})
            return
        self.send(
            {"type": "video", "id": gen_id, "name": path.name, "mime": "video/mp4"},
            buffers=[path.read_bytes()],
        )

    # ------------------------------------------------------------------ internals

    def _put_frame(self, field: str, frame: FrameImage | None, error: str | None = None) -> None:
        self._frames[field] = frame
        self._frame_seq += 1  # a new upload of the same file still changes the synced value
        self._frame_infos[field] = frame_info(frame, self._frame_seq)  # thumbnail made once
        if error:
            self._frame_errors[field] = error
        else:
            self._frame_errors.pop(field, None)
        self._revalidate()

    def _entry_gen(self, msg: dict[str, Any]) -> Any:
        entry = self._gallery.get(str(msg.get("id")))
        if entry is None:
            raise HailuoError("That card is no longer in this form's gallery.")
        return entry.gen

    def _assign(self, name: str, value: Any) -> None:
        """Set one field from the browser; a value of the wrong type becomes a field message."""
        if name == "prompt":
            self.prompt = "" if value is None else str(value)
        elif name in ("provider", "model", "resolution"):
            setattr(self, name, str(value))
        elif name == "duration":
            try:
                self.duration = int(str(value).removesuffix("s"))
            except ValueError:
                raise ValidationError("duration", value, self.duration_options) from None
        elif name == "prompt_optimizer":
            self.prompt_optimizer = bool(value)
        else:
            raise ValidationError(
                "field", name, ("prompt", "provider", "model", "duration", "resolution", "prompt_optimizer")
            )

    def _start(self, args: dict[str, Any], *, force: bool) -> Any:
        import hailuo_nb

        self._retry = None
        try:
            gen = hailuo_nb.generate(**args, wait=False, reuse=not force)
        except ValidationError as err:
            self.errors = {**self.errors, err.field: field_message(err)}
            self._notify("error", err.message, err.hint)
            return None
        except HailuoError as err:  # BudgetExceededError, an uncertain earlier submission, ...
            self._notify("error", err.message, err.hint)
            return None
        reused = bool(getattr(gen, "reused", False))
        self._gallery.add(gen, reused=reused)
        if reused:
            self._retry = lambda: self._start(args, force=True)  # the notice's "Generate anew"
            self._notify(
                "info",
                "Identical to an earlier generation: reused it, nothing new was paid for.",
                action="Generate anew",
            )
        else:
            self.notice = {}
        return gen

    def _settings_of(self, gen: Any) -> dict[str, Any]:
        request = getattr(gen, "request", None)
        return {
            "prompt": gen.prompt,
            "model": gen.model,
            "provider": gen.provider,
            "duration": gen.duration,
            "resolution": gen.resolution,
            "prompt_optimizer": bool(gen.to_dict().get("prompt_optimizer", True)),
            "first_frame": getattr(request, "first_frame", None),
            "last_frame": getattr(request, "last_frame", None),
        }

    def _image_model_for(self, gen: Any) -> str:
        """An image-to-video model to go on from ``gen``: its own family and tier if served."""
        endpoint = resolve_provider(self.provider)
        for base in (self.model, gen.model):
            twin = base.replace("text-to-video", "image-to-video")
            spec = model_spec(endpoint, twin)
            if spec is not None and spec.first_frame:
                return twin
        return next(m for m in endpoint.protocol.models if m in MODELS and MODELS[m].first_frame)

    def _notify(self, kind: str, text: str, hint: str = "", action: str = "") -> None:
        self.notice = {"kind": kind, "text": text, "hint": hint, "action": action}

    def _publish_gallery(self, states: list[dict[str, Any]]) -> None:
        with self._sync_lock:
            self.gallery = states  # from the engine thread too: one comm message per change

    # -- keeping options and messages in step with the fields ---------------------------

    @t.observe("prompt", "provider", "model", "duration", "resolution", "prompt_optimizer")
    def _field_changed(self, _change: Any) -> None:
        if self._batch == 0 and hasattr(self, "_frames"):
            self._revalidate()

    def _batched(self) -> _Batch:
        return _Batch(self)

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
        served = [MODELS[m] for m in MODELS if m in endpoint.protocol.models]
        spec = model_spec(endpoint, self.model)
        if spec is None:  # e.g. the provider changed: the closest model it serves
            old = MODELS.get(self.model, MODELS[DEFAULT_MODEL])

            def closeness(s: ModelSpec) -> tuple[bool, bool, bool, bool]:
                return (
                    s.input != old.input,
                    s.family != old.family,
                    s.tier != old.tier,
                    s.id != DEFAULT_MODEL,
                )

            spec = min(served, key=closeness)
            self.model = spec.id
        options = [model_option(s) for s in served]
        if spec.id not in MODELS:  # a provider-native id passed in explicitly
            options.insert(0, model_option(spec))
        self.model_options = options
        self.duration_options = list(spec.durations)
        if self.duration not in spec.durations:
            self.duration = spec.default_duration
        resolutions = list(endpoint.protocol.resolutions.get(spec.id, spec.resolutions))
        self.resolution_options = resolutions
        if self.resolution not in resolutions:
            self.resolution = "768p" if "768p" in resolutions else resolutions[0]
        self.frame_pickers = [f for f in FRAME_FIELDS if getattr(spec, f)]
        self.first_frame_required = spec.needs_first_frame
        est = price(endpoint.name, spec.id, self.duration, self.resolution)
        self.cost = str(est) if est else ""
        self.cost_note = est.source if est else f"{endpoint.name} publishes no price for this"

    def _check(self) -> None:
        errors = {field: field_message(err) for field, err in check_fields(**self.values)[0].items()}
        if "provider" not in errors:
            endpoint = resolve_provider(self.provider)
            if not endpoint.simulated:
                try:
                    endpoint.api_key()  # only whether it is set: the value is dropped at once
                except AuthenticationError as err:
                    errors["provider"] = err.message
        for field, message in self._frame_errors.items():
            if field in self.frame_pickers:
                errors[field] = message
        self.errors = errors
        first = next((f for f in FIELD_ORDER if f in errors), None) or next(iter(errors), None)
        self.blocker = f"{LABELS.get(first, first)}: {errors[first]}" if first else ""
        self.frames = dict(self._frame_infos)


class _Batch:
    """Apply several field changes, then fit options and validate once."""

    def __init__(self, form: Form) -> None:
        self.form = form

    def __enter__(self) -> Form:
        self.form._batch += 1
        return self.form

    def __exit__(self, *exc: Any) -> None:
        self.form._batch -= 1
        if self.form._batch == 0:
            self.form._revalidate()


__all__ = ["Form"]
