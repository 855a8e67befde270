"""RunAPI's MiniMax H3 endpoints (docs/protocols.md §11.2), mounted by `RunAPI`.

`POST /api/v1/minimax_h3/text_to_video` takes text, or text plus
`reference_image_urls` (<= 9), `reference_video_urls` (<= 3), `reference_audio_urls` (<= 3;
audio only with an image or video reference); `aspect_ratio` is required and concrete
when there is no image or video reference. `POST /api/v1/minimax_h3/image_to_video`
takes `first_frame_image_url` and/or `last_frame_image_url` (no `aspect_ratio`). Both:
`model` `minimax-h3`, `prompt` 1-7000 characters, `duration_seconds` integer 4-15
(default 6), `output_resolution` `768p`/`2k` (default `768p`), `callback_url`. Any other
field is refused with 422. Completed polls carry `usage.cost` in USD, computed at
MiniMax's list price: $0.08/s at 768p, $0.13/s at 2k, reference images beyond the fifth
$0.04 each, reference-video seconds (rounded up) at the output rate.
"""

from __future__ import annotations

import math
from typing import Any

from ..core import SimCore
from ..h3 import (
    MAX_REFS,
    PROMPT_LIMIT,
    RATIOS,
    Media,
    MediaError,
    check_clip,
    check_image,
    check_totals,
    nearest_ratio,
)
from .base import Invalid

MODEL = "minimax-h3"
COMMON = ("model", "prompt", "duration_seconds", "output_resolution", "callback_url")
FIELDS = {
    "text_to_video": (*COMMON, "aspect_ratio", "reference_image_urls", "reference_video_urls",
                      "reference_audio_urls"),
    "image_to_video": (*COMMON, "first_frame_image_url", "last_frame_image_url"),
}
RESOLUTIONS = {"768p": "768P", "2k": "2K"}
PER_SECOND = {"768P": 0.08, "2K": 0.13}


def _refs(core: SimCore, body: dict[str, Any]) -> list[Media]:
    media: list[Media] = []
    for kind, limit in MAX_REFS.items():
        key = f"reference_{kind}_urls"
        urls = body.get(key)
        if urls is None:
            continue
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise Invalid(f"{key} must be a list of URLs")
        if len(urls) > limit:
            raise Invalid(f"{key} has {len(urls)} items, at most {limit}")
        for i, url in enumerate(urls):
            what = f"{key}[{i}]"
            media.append(check_image(core, url, what) if kind == "image"
                         else check_clip(core, url, kind, what))
    kinds = {m.kind for m in media}
    if "audio" in kinds and not kinds & {"image", "video"}:
        raise Invalid("reference_audio_urls needs at least one reference image or video")
    check_totals(media, "reference media")
    return media


def _ratio(body: dict[str, Any], media: list[Media]) -> str:
    value = body.get("aspect_ratio")
    if value is not None and value != "adaptive" and value not in RATIOS:
        raise Invalid(f"aspect_ratio={value!r} not allowed; allowed: {['adaptive', *RATIOS]}")
    visual = [m for m in media if m.kind in ("image", "video")]
    if not visual and value in (None, "adaptive"):
        raise Invalid("aspect_ratio is required (and must not be adaptive) without reference "
                      f"images or videos; allowed: {list(RATIOS)}")
    if value in (None, "adaptive"):
        return nearest_ratio(next((m.aspect for m in visual if m.aspect), None))
    return str(value)


def _frames(core: SimCore, body: dict[str, Any]) -> tuple[Media | None, Media | None]:
    first, last = body.get("first_frame_image_url"), body.get("last_frame_image_url")
    if first is None and last is None:
        raise Invalid("first_frame_image_url or last_frame_image_url is required")
    return (check_image(core, first, "first_frame_image_url") if first is not None else None,
            check_image(core, last, "last_frame_image_url") if last is not None else None)


def _duration(body: dict[str, Any]) -> int:
    value = body.get("duration_seconds", 6)
    if not isinstance(value, int) or isinstance(value, bool) or not 4 <= value <= 15:
        raise Invalid(f"duration_seconds must be an integer 4-15, got {value!r}")
    return value


def cost(resolution: str, seconds: int, media: list[Media]) -> float:
    """usage.cost in USD at MiniMax's list price (RunAPI's own price is not published)."""
    rate = PER_SECOND[resolution]
    images = sum(1 for m in media if m.kind == "image")
    video_s = math.ceil(sum(m.seconds for m in media if m.kind == "video"))
    return round(rate * (seconds + video_s) + 0.04 * max(0, images - 5), 4)


def parse(core: SimCore, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
    """Task fields of an H3 submit; Invalid (422) names the field and what is allowed."""
    unknown = sorted(set(body) - set(FIELDS[endpoint]))
    if unknown:
        raise Invalid(f"unknown field(s) {unknown} for minimax_h3/{endpoint}; accepted: "
                      f"{sorted(FIELDS[endpoint])}")
    if body.get("model") != MODEL:
        raise Invalid(f"model {body.get('model')!r} is not {MODEL!r}")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip() or len(prompt) > PROMPT_LIMIT:
        raise Invalid(f"prompt is required, a string of 1-{PROMPT_LIMIT} characters")
    duration = _duration(body)
    resolution = body.get("output_resolution", "768p")
    if resolution not in RESOLUTIONS:
        raise Invalid(f"output_resolution={resolution!r} not allowed; allowed: "
                      f"{list(RESOLUTIONS)}")
    callback = body.get("callback_url")
    if callback is not None and not (isinstance(callback, str) and callback.startswith("http")):
        raise Invalid("callback_url must be an http(s) URL")
    try:
        if endpoint == "image_to_video":
            first, last = _frames(core, body)
            media: list[Media] = [m for m in (first, last) if m is not None]
            ratio = nearest_ratio(next((m.aspect for m in media if m.aspect), None))
            picture = first.data if first else None
        else:
            media = _refs(core, body)
            ratio, last = _ratio(body, media), None
            picture = next((m.data for m in media if m.kind == "image" and m.data), None)
    except MediaError as exc:
        raise Invalid(str(exc)) from exc
    res = RESOLUTIONS[resolution]
    return {"model": MODEL, "prompt": prompt, "duration": duration, "resolution": res,
            "first_frame": picture, "last_frame": last.data if last else None,
            "callback_url": callback, "endpoint": f"minimax_h3/{endpoint}", "params": body,
            "has_audio": True, "ratio": ratio, "aspect": RATIOS[ratio],
            "price": cost(res, duration, media)}
