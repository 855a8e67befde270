"""``hailuo_nb.Form()``: a form for exploring prompts, with a gallery of its generations.

State flows one way per direction (style.md). Python → browser: the synced traits of
:class:`~hailuo_nb.notebook.widgets.form_state.FormState`, all set before the comm
opens. Browser → Python: one typed custom message, ``{"type": ..., ...}``, dispatched
by :meth:`Form._handle_message`; the browser never sets a trait itself. Files chosen in
the browser stay in the kernel (inputs.py); nothing secret is ever synced.

After every change :class:`FormState` fits the fields to what the model allows
(capabilities.py: sent to the browser as data, so the front end builds its controls from
it) and checks them with the gateway's own ``build_request`` (fields.py), showing each
:class:`~hailuo_nb.ValidationError` next to its field. Submitting calls
:func:`hailuo_nb.generate` with ``wait=False`` (submission.py); the gallery follows the
generations (gallery.py). The camera-move picker, Enhance and a card's Finalize live in
form_actions.py.

The front end is ``common.js``, ``form_prompt.js`` and ``form.js`` joined into one module
(esm.py); the cards are drawn by the status widget's own ``createStatusView``, whose
module arrives as the ``_status_esm`` trait and is imported as a ``blob:`` module.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hailuo_nb.errors import HailuoError, ValidationError
from hailuo_nb.gateway.catalog import DEFAULT_MODEL
from hailuo_nb.gateway.config import resolve_provider
from hailuo_nb.gateway.generation import Generation
from hailuo_nb.gateway.images import load_frame
from hailuo_nb.notebook.widgets.capabilities import reference_limits
from hailuo_nb.notebook.widgets.fields import (
    FRAME_FIELDS,
    check_fields,
    field_message,
    model_spec,
    unsendable,
)
from hailuo_nb.notebook.widgets.form_actions import FormActions
from hailuo_nb.notebook.widgets.form_state import FORM_CSS, FORM_ESM, FORM_JS
from hailuo_nb.notebook.widgets.gallery import Gallery, video_file
from hailuo_nb.notebook.widgets.inputs import ChunkedUploads, FileInputs, MediaFile, decode_upload, too_big
from hailuo_nb.notebook.widgets.submission import SETTINGS, image_model_for, settings_of, start

log = logging.getLogger(__name__)
Handler = Callable[[dict[str, Any], list[bytes]], None]


class Form(FormActions):
    """Interactive prompt exploration: fields, live validation and cost, and a gallery.

    Examples:
        >>> form = hailuo_nb.Form(prompt="a red fox in the snow")  # doctest: +SKIP
        >>> form = hailuo_nb.Form(model="hailuo-02-image-to-video-standard",
        ...                       first_frame="cat.png")           # doctest: +SKIP
        >>> form.generations[0].video_path                         # doctest: +SKIP
        >>> form.insert_moves(["Pan left", "Zoom in"], cursor=5)   # doctest: +SKIP
        >>> form.finalize_plan(form.generations[0])                # doctest: +SKIP
    """

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
        self._inputs = FileInputs()
        for field, value in (("first_frame", first_frame), ("last_frame", last_frame)):
            if value is not None:
                self._inputs.put_frame(field, load_frame(value, field))
        self._uploads = ChunkedUploads()
        self._retry: Callable[[], Any] | None = None
        self._sync_lock = threading.RLock()
        self._gallery = Gallery(self._publish_gallery)
        self._handlers: dict[str, Handler] = {
            name.removeprefix("_on_"): getattr(self, name)
            for cls in type(self).__mro__
            for name in vars(cls)
            if name.startswith("_on_")
        }
        self._start_actions()
        # Every field is set, fitted and checked before the comm opens, so the browser's
        # first state is complete (the view draws each initial value; form.js).
        with self._batched():
            self.provider, self.model, self.prompt = endpoint.name, chosen, prompt
            self.prompt_optimizer = prompt_optimizer
            if duration is not None:
                self.duration = int(duration)
            if resolution is not None:
                self.resolution = str(resolution).lower()
        super().__init__()
        self.on_msg(self._handle_message)

    # ------------------------------------------------------------------ Python API

    @property
    def generations(self) -> list[Generation]:
        """The generations started from this form, newest first."""
        return self._gallery.generations

    def submit(self, *, force: bool = False) -> Generation | None:
        """Generate from the fields (what Submit does); returns the Generation, or None."""
        return self._start(self.values, force=force)

    def set_frame(self, field: str, value: Any, *, name: str | None = None) -> bool:
        """Use ``value`` (path, bytes, PIL image, URL, finished Generation) as a frame."""
        if field not in FRAME_FIELDS:
            raise ValueError(f"field must be one of {FRAME_FIELDS}, not {field!r}")
        ok = self._inputs.load_frame(field, value, name)
        self._revalidate()
        return ok

    def clear_frame(self, field: str) -> None:
        """Remove a chosen frame."""
        self._inputs.put_frame(field, None)
        self._revalidate()

    def rerun(self, gen: Generation, *, force: bool = False) -> Generation | None:
        """Generate ``gen``'s request again (an identical one is reused unless ``force``)."""
        return self._start(settings_of(gen), force=force)

    def tweak(self, gen: Generation) -> None:
        """Load ``gen``'s settings (prompt, model, frames, ...) back into the fields."""
        args = settings_of(gen)
        with self._batched():
            for name in SETTINGS:
                setattr(self, name, args[name])
            for field in FRAME_FIELDS:
                self._inputs.put_frame(field, args[field])

    def use_last_frame(self, gen: Generation) -> bool:
        """Make ``gen``'s last frame the next first frame (switching to an image model if needed)."""
        path = video_file(gen.to_dict())
        if path is None:
            self._notify("error", "That generation has no video yet, so it has no last frame.")
            return False
        with self._batched():
            endpoint = resolve_provider(self.provider)
            spec = model_spec(endpoint, self.model)
            if spec is None or not spec.first_frame:
                self.model = image_model_for(endpoint, self.model, gen.model)
            return self.set_frame("first_frame", gen, name=f"last frame of {path.name}")

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

    def _on_hello(self, msg: dict[str, Any], _buffers: list[bytes]) -> None:
        """A view's first word: the server root its ``files/`` URLs start from."""
        if isinstance(msg.get("server_root"), str) and msg["server_root"]:
            self._gallery.set_server_root(Path(msg["server_root"]).expanduser())
        self.send({"type": "hello"})  # the cards' paths are final now

    def _on_set(self, msg: dict[str, Any], _buffers: list[bytes]) -> None:
        with self._batched():
            for name, value in (msg.get("values") or {}).items():
                self._assign(name, value)

    def _on_frame(self, msg: dict[str, Any], buffers: list[bytes]) -> None:
        field = str(msg.get("field"))
        if field not in FRAME_FIELDS:
            raise ValidationError("field", field, FRAME_FIELDS)
        if msg.get("url"):
            self.set_frame(field, str(msg["url"]).strip())
        elif (data := self._received(field, msg, buffers)) is not None:
            self.set_frame(field, data, name=str(msg.get("name") or "image"))

    def _on_clear_frame(self, msg: dict[str, Any], _buffers: list[bytes]) -> None:
        if (field := str(msg.get("field"))) in FRAME_FIELDS:
            self.clear_frame(field)

    def _on_reference(self, msg: dict[str, Any], buffers: list[bytes]) -> None:
        kind, name = str(msg.get("kind")), str(msg.get("name") or "file")
        slot = f"reference:{kind}:{msg.get('upload')}"  # several files of a kind upload at once
        if (data := self._received("references", msg, buffers, slot)) is not None:
            item = MediaFile(kind=kind, name=name, mime=str(msg.get("mime") or ""), data=data)
            self._inputs.add_reference(item, reference_limits(self.capabilities))
            self._revalidate()

    def _on_remove_reference(self, msg: dict[str, Any], _buffers: list[bytes]) -> None:
        self._inputs.remove_reference(str(msg.get("kind")), int(msg.get("index", -1)))
        self._revalidate()

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
        path = video_file(entry.gen.to_dict()) if entry else None
        if path is None:
            self.send({"type": "video", "id": gen_id, "error": "the video file is not available"})
            return
        reply = {"type": "video", "id": gen_id, "name": path.name, "mime": "video/mp4"}
        self.send(reply, buffers=[path.read_bytes()])

    # ------------------------------------------------------------------ internals

    def _received(
        self, field: str, msg: dict[str, Any], buffers: list[bytes], slot: str = ""
    ) -> bytes | None:
        """An upload's bytes once complete (one base64 message, or binary chunks)."""
        name = str(msg.get("name") or "file")
        error = too_big(field, name, int(msg.get("size") or 0))
        if error is not None:  # refused unread
            self._inputs.refuse(field, f"{name}: {field_message(error)}")
            self._revalidate()
            return None
        if "data" in msg:
            return decode_upload(msg, field, name)
        return self._uploads.add(slot or field, msg, buffers)

    def _assign(self, name: str, value: Any) -> None:
        """Set one field from the browser; a value of the wrong type becomes a field message."""
        if name in ("prompt", "provider", "model", "resolution", "ratio"):
            setattr(self, name, "" if value is None else str(value))
        elif name == "duration":
            try:
                self.duration = int(str(value).removesuffix("s"))
            except ValueError:
                raise ValidationError("duration", value, "whole seconds") from None
        elif name == "prompt_optimizer":
            self.prompt_optimizer = bool(value)
        else:
            raise ValidationError("field", name, (*SETTINGS, "ratio"))

    def _start(self, args: dict[str, Any], *, force: bool) -> Generation | None:
        self._retry = None
        try:
            for error in unsendable(args).values():
                raise error
            gen = start(args, force=force)
        except ValidationError as err:
            self.errors = {**self.errors, err.field: field_message(err)}
            self._notify("error", err.message, err.hint)
            return None
        except HailuoError as err:  # BudgetExceededError, an uncertain earlier submission, ...
            self._notify("error", err.message, err.hint)
            return None
        self._gallery.add(gen, reused=gen.reused)
        if gen.reused:
            self._retry = lambda: self._start(args, force=True)  # the notice's "Generate anew"
            text = "Identical to an earlier generation: reused it, nothing new was paid for."
            self._notify("info", text, action="Generate anew")
        else:
            self.notice = {}
        return gen

    def _publish_gallery(self, states: list[dict[str, Any]]) -> None:
        with self._sync_lock:
            self.gallery = states  # from the engine thread too: one comm message per change


__all__ = ["FORM_CSS", "FORM_ESM", "FORM_JS", "Form"]
