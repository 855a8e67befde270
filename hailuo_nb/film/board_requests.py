"""From a storyboard's shots to validated requests, prices and journal look-ups.

The glue between the pure planning of :mod:`hailuo_nb.film.plan` and the gateway: a
shot's effective parameters become a :class:`GenerationRequest` through the one
``build_request``, so a board validates exactly like ``generate()``. A continuing shot's
first frame is the previous shot's finished Generation (its last frame); before that
exists, a plain stand-in image takes its place so the whole board can be validated and
priced before anything is sent.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping
from functools import cache
from typing import Any

from hailuo_nb.errors import HailuoError, ValidationError
from hailuo_nb.film.plan import effective
from hailuo_nb.film.shots import Shot
from hailuo_nb.gateway.catalog import DEFAULT_MODEL, MODELS
from hailuo_nb.gateway.request import GenerationRequest, build_request
from hailuo_nb.gateway.session import REUSE_DONE, reuse_state

#: What a reusable request's journal row means for the plan.


def image_model(model: str) -> str:
    """The image-to-video twin of a text-to-video model (a continuing shot needs a frame)."""
    spec = MODELS.get(model)
    if spec is None or spec.input != "text":
        return model
    twin = model.replace("text-to-video", "image-to-video")
    return twin if twin in MODELS else model


def shot_request(shot: Shot, defaults: Mapping[str, Any], first_frame: Any = None) -> GenerationRequest:
    """The validated request of ``shot``; ValidationError naming the shot and the field."""
    params = effective(shot, defaults)
    prompt = params.pop("prompt")
    model = params.pop("model", None) or DEFAULT_MODEL
    if not shot.continues:
        first_frame = params.pop("first_frame", None)
    else:
        params.pop("first_frame", None)
    if first_frame is not None:
        model = image_model(model)
    spec = MODELS.get(model)
    if "ratio" in params and "ratio" not in shot.options and spec is not None and not spec.ratios:
        params.pop("ratio")  # the board's ratio applies to the shots whose model has one
    try:
        return build_request(prompt, model=model, first_frame=first_frame, **params)
    except ValidationError as exc:
        raise ValidationError(f"shot {shot.index} (line {shot.line}): {exc.field}", exc.value, exc.allowed,
                              reason=_reason(exc), provider=exc.provider) from None


def _reason(exc: ValidationError) -> str | None:
    text = str(exc.message if hasattr(exc, "message") else exc)
    head = text.split("; allowed:", 1)[0]
    return head.split(": ", 1)[1] if ": " in head else None


@cache
def stand_in_frame() -> bytes:
    """A plain 320×320 grey PNG: the shape of a frame that does not exist yet (planning only)."""
    side = 320
    raw = b"".join(b"\x00" + b"\x80" * side for _ in range(side))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def finished_generation(key: str) -> Any:
    """The finished Generation of an identical earlier request (to plan a continuation from), or None."""
    from hailuo_nb.api import Generation
    from hailuo_nb.gateway import session

    if reuse_state(key) != REUSE_DONE:
        return None
    try:
        return session.find_reusable(key, Generation)
    except HailuoError:
        return None
