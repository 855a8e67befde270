"""The form's fields: the gateway's validation per field, options, and frame previews.

Kept apart from the widget (form.py) so the rules the form applies can be read, and
tested, on their own. Nothing here knows about widgets or the browser.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from hailuo_nb.errors import ValidationError, _short_repr
from hailuo_nb.gateway.catalog import MAX_IMAGE_BYTES, MODELS, ModelSpec
from hailuo_nb.gateway.config import Endpoint, resolve_provider
from hailuo_nb.gateway.images import FrameImage
from hailuo_nb.gateway.request import GenerationRequest, build_request

FRAME_FIELDS = ("first_frame", "last_frame")
#: Field order: the first invalid one is the reason shown beside Submit.
FIELD_ORDER = ("provider", "model", "prompt", "duration", "resolution", *FRAME_FIELDS)
LABELS = {
    "provider": "Provider",
    "model": "Model",
    "prompt": "Prompt",
    "duration": "Duration",
    "resolution": "Resolution",
    "first_frame": "First frame",
    "last_frame": "Last frame",
}
#: A stand-in frame for checking the other fields while a frame is missing or invalid.
PLACEHOLDER_FRAME = FrameImage(url="https://placeholder.invalid/frame.png")
#: Browser uploads arrive in chunks below the server's websocket message limit (10 MiB);
#: anything this large is refused unread (the gateway's own limit is MAX_IMAGE_BYTES).
MAX_UPLOAD_BYTES = 4 * MAX_IMAGE_BYTES
THUMB_PX = 192


def check_fields(**args: Any) -> tuple[dict[str, ValidationError], GenerationRequest | None]:
    """Every field's :class:`ValidationError` from ``build_request``, and the request if valid.

    ``build_request`` stops at the first problem; to show each field's message at once, a
    failing field is replaced by a neutral value and the rest checked again.
    """
    errors: dict[str, ValidationError] = {}
    for _ in range(len(FIELD_ORDER) + 1):
        try:
            request = build_request(**args)
        except ValidationError as err:
            if err.field in errors:
                break
            errors[err.field] = err
            if err.field == "prompt":
                args["prompt"] = "x"
            elif err.field in ("duration", "resolution", "last_frame"):
                args[err.field] = None
            elif err.field == "first_frame":
                args["first_frame"] = PLACEHOLDER_FRAME
            else:  # provider or model: nothing else can be judged without them
                break
        else:
            return errors, (None if errors else request)
    return errors, None


def field_message(err: ValidationError) -> str:
    """The gateway's message without its leading ``field=value:``: the form shows it by the field."""
    head = f"{err.field}={_short_repr(err.value)}: "
    return err.message[len(head) :] if err.message.startswith(head) else err.message


def model_spec(endpoint: Endpoint, model: str) -> ModelSpec | None:
    """The rules ``model`` follows on ``endpoint`` (canonical or provider-native), or None."""
    if model in MODELS and model in endpoint.protocol.models:
        return MODELS[model]
    return endpoint.protocol.native_models.get(model)


def thumbnail(frame: FrameImage) -> str:
    """A small JPEG data URL of ``frame`` for the picker's preview (its URL if remote)."""
    if frame.data is None:
        return frame.url or ""
    from PIL import Image

    with Image.open(io.BytesIO(frame.data)) as img:
        img.thumbnail((THUMB_PX, THUMB_PX))
        out = io.BytesIO()
        img.convert("RGB").save(out, format="JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def provider_option(name: str) -> dict[str, Any]:
    endpoint = resolve_provider(name)
    has_key = endpoint.simulated
    if not has_key:
        from hailuo_nb.gateway.secrets import read_key

        has_key = read_key(endpoint.protocol.key_env) is not None  # only whether it is set
    label = "sim — offline simulator" if endpoint.simulated else name + ("" if has_key else " (no key)")
    return {
        "name": name,
        "label": label,
        "simulated": endpoint.simulated,
        "has_key": has_key,
        "image_mode": endpoint.protocol.image_mode,
    }


def model_option(spec: ModelSpec) -> dict[str, Any]:
    return {
        "id": spec.id,
        "label": spec.label,
        "input": spec.input,
        "first_frame": spec.first_frame,
        "last_frame": spec.last_frame,
    }


def frame_info(frame: FrameImage | None, seq: int) -> dict[str, Any] | None:
    if frame is None:
        return None
    return {
        "name": frame.name,
        "width": frame.width,
        "height": frame.height,
        "size": len(frame.data) if frame.data is not None else None,
        "url": frame.url,
        "thumb": thumbnail(frame),
        "seq": seq,
    }
