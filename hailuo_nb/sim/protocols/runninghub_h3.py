"""RunningHub's MiniMax H3 endpoints (docs/protocols.md §11.3), mounted by `RunningHub`.

Under `/openapi/v2/minimax/`: `hailuo-h3/text-to-video` (`ratio` required, no
adaptive), `hailuo-h3/image-to-video` (`firstFrameUrl` and/or `lastFrameUrl`, no ratio),
`hailuo-h3/multimodal-to-video` (`imageUrls` <= 9, `videoUrls` <= 3, `audioUrls` <= 3;
ratio may be `adaptive`), `hailuo-h3/regeneration-multimodal-to-video` and
`hailuo-h3/regeneration-text-to-video` (`baseVideoUrl` and `resolution` `2K` required),
`hailuo-h3-max/text-to-video` (480P/768P, ratio required). `duration` is a string
"5".."15" (default "6"), `resolution` `768P`/`2K` (default `768P`), `prompt` required
(<= 7000), `aigc_watermark` boolean; any other field, `enablePromptExpansion` included,
is PARAMS_INVALID (301). Success usage: `thirdPartyConsumeMoney` (CNY: 0.48/s at 768P,
0.77/s at 2K, 0.24/s at 480P (assumed), reference video seconds at the same rate, images
beyond five 0.20 each; regeneration 0.30/s) and `consumeCoins` (a flat 5-coin platform
fee in the simulator).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
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
    probe,
)
from .base import Invalid

PLATFORM_COINS = 5
PER_SECOND = {"480P": 0.24, "768P": 0.48, "2K": 0.77}
REGEN_PER_SECOND = 0.30
REF_FIELDS = {"imageUrls": "image", "videoUrls": "video", "audioUrls": "audio"}


@dataclass(frozen=True)
class H3Endpoint:
    """Fields and value rules of one H3 endpoint."""

    mode: str  # t2v, frames, refs, regen
    fields: tuple[str, ...]
    ratios: tuple[str, ...] = ()  # empty: no ratio field
    ratio_required: bool = False
    resolutions: tuple[str, ...] = ("768P", "2K")
    shortest: int = 5
    model: str = "MiniMax-H3"


_COMMON = ("prompt", "duration", "resolution", "aigc_watermark")
_CONCRETE = tuple(RATIOS)
ENDPOINTS = {
    "hailuo-h3/text-to-video": H3Endpoint("t2v", (*_COMMON, "ratio"), _CONCRETE, True),
    "hailuo-h3/image-to-video": H3Endpoint("frames", (*_COMMON, "firstFrameUrl",
                                                     "lastFrameUrl")),
    "hailuo-h3/multimodal-to-video": H3Endpoint("refs", (*_COMMON, "ratio", *REF_FIELDS),
                                                ("adaptive", *_CONCRETE)),
    "hailuo-h3/regeneration-multimodal-to-video": H3Endpoint(
        "regen", ("prompt", "baseVideoUrl", "resolution", *REF_FIELDS), resolutions=("2K",)),
    "hailuo-h3/regeneration-text-to-video": H3Endpoint(
        "regen", ("prompt", "baseVideoUrl", "resolution"), resolutions=("2K",)),
    "hailuo-h3-max/text-to-video": H3Endpoint("t2v", (*_COMMON, "ratio"), _CONCRETE, True,
                                              ("480P", "768P"), model="MiniMax-H3-Max"),
}


def _refs(core: SimCore, body: dict[str, Any]) -> list[Media]:
    media: list[Media] = []
    for key, kind in REF_FIELDS.items():
        urls = body.get(key)
        if urls is None:
            continue
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise Invalid(f"{key} must be a list of URLs")
        if len(urls) > MAX_REFS[kind]:
            raise Invalid(f"{key} has {len(urls)} items, at most {MAX_REFS[kind]}")
        for i, url in enumerate(urls):
            media.append(check_image(core, url, f"{key}[{i}]") if kind == "image"
                         else check_clip(core, url, kind, f"{key}[{i}]"))
    kinds = {m.kind for m in media}
    if "audio" in kinds and not kinds & {"image", "video"}:
        raise Invalid("audioUrls needs at least one of imageUrls or videoUrls")
    check_totals(media)
    return media


def _base(core: SimCore, url: object) -> tuple[int, str]:
    """(seconds, ratio) of the 768P H3 clip a regeneration starts from."""
    if not isinstance(url, str) or not url.startswith(("http://", "https://", "data:")):
        raise Invalid("baseVideoUrl is required (a URL)")
    task = core.task_for_url(url)
    if task is not None or url.startswith(core.video_base_url + "/videos/"):
        if task is None or not task.has_audio or task.resolution != "768P":
            raise Invalid("baseVideoUrl must be an unmodified MiniMax-H3 768P output")
        return task.duration, task.ratio or "16:9"
    data = core.fetch(url)
    if data is None:
        return 6, "16:9"  # a public URL the simulator cannot fetch: taken on trust
    seconds, width, height, has_video, has_audio = probe(data)
    if not (has_video and has_audio):
        raise Invalid("baseVideoUrl must be a MiniMax-H3 output (video with sound)")
    return max(4, round(seconds)), nearest_ratio(width / height if height else None)


def _ratio(ep: H3Endpoint, body: dict[str, Any], media: list[Media]) -> str:
    value = body.get("ratio")
    if not ep.ratios:
        return nearest_ratio(next((m.aspect for m in media if m.aspect), None))
    if value is None and ep.ratio_required:
        raise Invalid(f"ratio is required; allowed: {list(ep.ratios)}")
    if value is not None and value not in ep.ratios:
        raise Invalid(f"ratio {value!r} not allowed; allowed: {list(ep.ratios)}")
    if value in (None, "adaptive"):
        return nearest_ratio(next((m.aspect for m in media if m.aspect), None))
    return str(value)


def _scalars(ep: H3Endpoint, body: dict[str, Any]) -> tuple[str, int, str]:
    unknown = sorted(set(body) - set(ep.fields))
    if unknown:
        raise Invalid(f"field(s) {unknown} are not in this endpoint's schema; "
                      f"fields: {sorted(ep.fields)}")
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip() or len(prompt) > PROMPT_LIMIT:
        raise Invalid(f"prompt is required, a string of at most {PROMPT_LIMIT} characters")
    allowed = [str(s) for s in range(ep.shortest, 16)]
    duration = body.get("duration", "6")
    if ep.mode != "regen" and duration not in allowed:
        raise Invalid(f'duration must be a string "{allowed[0]}".."{allowed[-1]}", '
                      f"got {duration!r}")
    default = None if ep.mode == "regen" else "768P"
    resolution = body.get("resolution", default)
    if resolution not in ep.resolutions:
        raise Invalid(f"resolution {resolution!r} not allowed; allowed: {list(ep.resolutions)}")
    if "aigc_watermark" in body and not isinstance(body["aigc_watermark"], bool):
        raise Invalid("aigc_watermark must be a boolean")
    return prompt, int(duration) if ep.mode != "regen" else 0, str(resolution)


def price(ep: H3Endpoint, resolution: str, seconds: int, media: list[Media]) -> float:
    """ThirdPartyConsumeMoney in CNY."""
    if ep.mode == "regen":
        return round(REGEN_PER_SECOND * seconds, 2)
    rate = PER_SECOND[resolution]
    video_s = math.ceil(sum(m.seconds for m in media if m.kind == "video"))
    images = sum(1 for m in media if m.kind == "image" and ep.mode == "refs")
    return round(rate * (seconds + video_s) + 0.20 * max(0, images - 5), 2)


def parse(core: SimCore, name: str, body: dict[str, Any]) -> dict[str, Any]:
    """Task fields of an H3 submit; Invalid (PARAMS_INVALID) names the field."""
    ep = ENDPOINTS[name]
    prompt, duration, resolution = _scalars(ep, body)
    try:
        media: list[Media] = []
        if ep.mode == "frames":
            for key in ("firstFrameUrl", "lastFrameUrl"):
                if body.get(key) is not None:
                    media.append(check_image(core, body[key], key))
            if not media:
                raise Invalid("firstFrameUrl or lastFrameUrl is required")
        elif ep.mode in ("refs", "regen"):
            media = _refs(core, body)
            if ep.mode == "refs" and not any(m.kind in ("image", "video") for m in media):
                raise Invalid("imageUrls or videoUrls is required")
        ratio = _ratio(ep, body, media)
        if ep.mode == "regen":
            duration, ratio = _base(core, body.get("baseVideoUrl"))
    except MediaError as exc:
        raise Invalid(str(exc)) from exc
    first = body.get("firstFrameUrl") is not None or ep.mode != "frames"
    picture = next((m.data for m in media if m.kind == "image" and m.data), None)
    last = media[-1].data if ep.mode == "frames" and body.get("lastFrameUrl") else None
    return {"model": name, "endpoint": name, "prompt": prompt, "duration": duration,
            "resolution": resolution, "first_frame": picture if first else None,
            "last_frame": last, "params": body, "has_audio": True, "ratio": ratio,
            "aspect": RATIOS[ratio], "price": price(ep, resolution, duration, media)}
