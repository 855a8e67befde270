"""MiniMax v2 request bodies (docs/protocols.md §11.1.1): the `content` list and its rules.

`parse_create` turns a create (or Context-IR, or regeneration) body into task fields, or
raises `Invalid` with MiniMax's wording ("invalid params, ..."). The mode is read from
the content: text only, first/last frame, or references; frames and references are
mutually exclusive; audio references need an image or video reference; a single image
without a role is the first frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..core import SimCore
from ..h3 import (
    DURATIONS,
    MAX_FILES,
    MAX_REFS,
    MODELS,
    PROMPT_LIMIT,
    RATIOS,
    RESOLUTIONS,
    Media,
    MediaError,
    check_clip,
    check_image,
    check_totals,
    nearest_ratio,
)
from .base import Invalid

ITEM_TYPES = {"text": None, "image_url": "image", "video_url": "video", "audio_url": "audio"}
ROLES = {"image": ("first_frame", "last_frame", "reference_image"),
         "video": ("reference_video", "base_video"), "audio": ("reference_audio",)}
FRAME_ROLES = ("first_frame", "last_frame")


@dataclass
class Content:
    """A checked `content` list."""

    prompt: str
    frames: dict[str, Media] = field(default_factory=dict)  # role -> medium
    refs: list[Media] = field(default_factory=list)
    base_video: Media | None = None
    base_url: str = ""

    @property
    def mode(self) -> str:
        """t2v, frames or refs."""
        return "frames" if self.frames else "refs" if self.refs else "t2v"

    def picture(self) -> bytes | None:
        """The image the rendered clip starts from: the first frame or first reference image."""
        first = self.frames.get("first_frame")
        if first is not None:
            return first.data
        return next((m.data for m in self.refs if m.kind == "image" and m.data), None)

    def aspect(self) -> float | None:
        """Aspect of the media that decide an adaptive ratio."""
        for medium in [*self.frames.values(), *self.refs]:
            if medium.aspect:
                return medium.aspect
        return None


def _bad(message: str) -> Invalid:
    return Invalid(f"invalid params, {message}")


def _item(core: SimCore, index: int, item: object, regen: bool) -> tuple[str, Any]:
    """('text', prompt) or (role, Media) for one content item."""
    where = f"content[{index}]"
    if not isinstance(item, dict) or item.get("type") not in ITEM_TYPES:
        raise _bad(f"{where}.type must be one of {list(ITEM_TYPES)}")
    kind = ITEM_TYPES[item["type"]]
    if kind is None:
        text = item.get("text")
        if not isinstance(text, str):
            raise _bad(f"{where}.text must be a string")
        return "text", text
    holder = item.get(item["type"])
    url = holder.get("url") if isinstance(holder, dict) else None
    if not isinstance(url, str) or not url:
        raise _bad(f'{where}.{item["type"]} must be {{"url": "<url or data URI>"}}')
    role = item.get("role") or ("" if kind == "image" else f"reference_{kind}")
    if role and role not in ROLES[kind]:
        raise _bad(f"{where}.role {role!r} not allowed for {item['type']}; "
                   f"allowed: {list(ROLES[kind])}")
    if role == "base_video" and not regen:
        raise _bad(f"{where}.role base_video is only for /v2/video_regeneration")
    try:
        medium = (check_image(core, url, f"{where} ({role or 'image'})") if kind == "image"
                  else check_clip(core, url, kind, f"{where} ({role})"))
    except MediaError as exc:
        raise _bad(str(exc)) from exc
    return role, (medium, url)


def parse_content(core: SimCore, content: object, regen: bool = False) -> Content:
    """Check a `content` list: one text item, roles, counts and combinations."""
    if not isinstance(content, list) or not content:
        raise _bad("content must be a non-empty list")
    texts: list[str] = []
    unroled: list[Media] = []
    result = Content("")
    for index, item in enumerate(content):
        role, value = _item(core, index, item, regen)
        if role == "text":
            texts.append(value)
            continue
        medium, url = value
        if role == "":
            unroled.append(medium)
        elif role in FRAME_ROLES:
            if role in result.frames:
                raise _bad(f"at most one {role} image")
            result.frames[role] = medium
        elif role == "base_video":
            if result.base_video is not None:
                raise _bad("at most one base_video")
            result.base_video, result.base_url = medium, url
        else:
            result.refs.append(medium)
    if len(texts) != 1 or not texts[0].strip():
        raise _bad("content must include exactly one non-empty text item (prompt is required)")
    if len(texts[0]) > PROMPT_LIMIT:
        raise _bad(f"prompt is {len(texts[0])} characters, at most {PROMPT_LIMIT}")
    result.prompt = texts[0]
    _place_unroled(result, unroled)
    _check_counts(result)
    return result


def _place_unroled(result: Content, unroled: list[Media]) -> None:
    if not unroled:
        return
    if len(unroled) > 1 or result.frames or result.refs:
        raise _bad("role is required on every image when there is more than one medium")
    result.frames["first_frame"] = unroled[0]


def _check_counts(result: Content) -> None:
    if result.frames and result.refs:
        raise _bad("first/last frames and reference media cannot be combined in one request")
    for kind, limit in MAX_REFS.items():
        count = sum(1 for m in result.refs if m.kind == kind)
        if count > limit:
            raise _bad(f"{count} reference_{kind} items, at most {limit}")
    if len(result.refs) > MAX_FILES:
        raise _bad(f"{len(result.refs)} reference files, at most {MAX_FILES} in all")
    kinds = {m.kind for m in result.refs}
    if "audio" in kinds and not kinds & {"image", "video"}:
        raise _bad("reference_audio needs at least one reference_image or reference_video")
    try:
        check_totals(result.refs)
    except MediaError as exc:
        raise _bad(str(exc)) from exc


def check_model(body: dict[str, Any]) -> str:
    """The body's model, one of the v2 video models."""
    model = body.get("model")
    if model not in MODELS:
        raise _bad(f"model {model!r} not supported; allowed: {list(MODELS)}")
    return str(model)


def check_duration(model: str, value: object, required: bool = True) -> int:
    """An integer duration in the model's range."""
    allowed = DURATIONS[model]
    if value is None and not required:
        return 6
    if not isinstance(value, int) or isinstance(value, bool) or value not in allowed:
        raise _bad(f"duration must be an integer {allowed[0]}-{allowed[-1]} for {model}, "
                   f"got {value!r}")
    return value


def check_ratio(content: Content, value: object) -> str:
    """The ratio actually used: concrete for text, adaptive for frames, either for refs."""
    if value is not None and value != "adaptive" and value not in RATIOS:
        raise _bad(f"ratio {value!r} not allowed; allowed: {['adaptive', *RATIOS]}")
    if content.mode == "t2v":
        if value in (None, "adaptive"):
            raise _bad("ratio is required for text-to-video and must not be adaptive; "
                       f"allowed: {list(RATIOS)}")
        return str(value)
    if content.mode == "frames" or value in (None, "adaptive"):
        return nearest_ratio(content.aspect())
    return str(value)


def parse_create(core: SimCore, body: dict[str, Any], context_ir: bool = False
                 ) -> dict[str, Any]:
    """Task fields for `POST /v2/video_generation` (or `/v2/h3_context_ir`)."""
    model = check_model(body)
    content = parse_content(core, body.get("content"))
    if model == "MiniMax-H3-Max" and content.refs:
        raise _bad("MiniMax-H3-Max takes no reference media (text and frames only)")
    resolution = body.get("resolution")
    if (not context_ir or resolution is not None) and resolution not in RESOLUTIONS[model]:
        raise _bad(f"resolution {resolution!r} not allowed for {model}; "
                   f"allowed: {list(RESOLUTIONS[model])}")
    duration = check_duration(model, body.get("duration"))
    ratio = check_ratio(content, body.get("ratio"))
    callback = body.get("callback_url")
    if callback is not None and not (isinstance(callback, str) and callback.startswith("http")):
        raise _bad("callback_url must be an http(s) URL")
    if "aigc_watermark" in body and not isinstance(body["aigc_watermark"], bool):
        raise _bad("aigc_watermark must be a boolean")
    return {"model": model, "prompt": content.prompt, "duration": duration,
            "resolution": str(resolution or "768P"), "ratio": ratio, "aspect": RATIOS[ratio],
            "first_frame": content.picture(), "last_frame": _data(content, "last_frame"),
            "callback_url": callback, "endpoint": "v2", "params": body,
            "has_audio": not context_ir, "usage": usage(content, duration),
            "task_type": "h3_context_ir" if context_ir else "generation",
            "output_text": expand(content, duration, ratio) if context_ir else None}


def _data(content: Content, role: str) -> bytes | None:
    medium = content.frames.get(role)
    return medium.data if medium else None


def usage(content: Content, output_seconds: int) -> dict[str, int]:
    """Usage units of a video task; tokens are a fixed conversion (no money is reported)."""
    images = len(content.frames) + sum(1 for m in content.refs if m.kind == "image")
    video_s = math.ceil(sum(m.seconds for m in content.refs if m.kind == "video"))
    audio_s = math.ceil(sum(m.seconds for m in content.refs if m.kind == "audio"))
    out: dict[str, int] = {"total_seconds": video_s + output_seconds, "input_seconds": video_s,
                           "output_seconds": output_seconds, "input_image_count": images}
    if any(m.kind == "audio" for m in content.refs):
        out["input_audio_seconds"] = audio_s
    prompt_tokens = 1000 * video_s + 258 * images
    out.update(prompt_tokens=prompt_tokens, completion_tokens=1000 * output_seconds,
               total_tokens=prompt_tokens + 1000 * output_seconds)
    return out


def expand(content: Content, duration: int, ratio: str) -> str:
    """A deterministic "expanded prompt" for Context-IR, naming media in attach order."""
    names = {"image": "Picture", "video": "Video", "audio": "Audio"}
    seen: dict[str, int] = {}
    tags = []
    for medium in content.refs:
        seen[medium.kind] = seen.get(medium.kind, 0) + 1
        tags.append(f"<{names[medium.kind]} {seen[medium.kind]}>")
    uses = f" Keep the look of {', '.join(tags)}." if tags else ""
    return (f"{content.prompt.strip()}{uses} A {duration}-second {ratio} shot: the camera opens "
            "wide and pushes in slowly; soft natural light, shallow depth of field. Sound: "
            "quiet ambience under a gentle melody that swells at the end.")
