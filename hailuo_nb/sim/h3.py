"""MiniMax H3 rules the three H3 wires share (docs/protocols.md §11.1.1), simulator side.

Aspect ratios, duration range, reference counts and the media checks: images (format,
each side 256-5760 px, ratio 0.4-2.5), reference videos (MP4/MOV, 2-15 s each, 15 s in
all) and reference audio (WAV/MP3, 2-15 s each, 15 s in all). Media that cannot be
reached offline (a public URL, `mm_file://`) are taken on trust, as elsewhere in the
simulator. Each protocol module words its own errors around `Invalid`.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from .core import SimCore
from .media import ImageError
from .video import image_info

RATIOS = {"21:9": 21 / 9, "16:9": 16 / 9, "4:3": 4 / 3, "1:1": 1.0, "3:4": 3 / 4,
          "9:16": 9 / 16}
MODELS = ("MiniMax-H3", "MiniMax-H3-Max")
DURATIONS = {"MiniMax-H3": range(4, 16), "MiniMax-H3-Max": range(5, 16)}
RESOLUTIONS = {"MiniMax-H3": ("768P", "2K"), "MiniMax-H3-Max": ("480P", "768P")}
MAX_REFS = {"image": 9, "video": 3, "audio": 3}
MAX_FILES = 12
PROMPT_LIMIT = 7000
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "MPO", "HEIC", "HEIF")


class MediaError(ValueError):
    """A medium that is present but breaks a rule; the message names it."""


@dataclass
class Media:
    """One checked medium: its bytes (None when unreachable offline) and seconds."""

    kind: str  # image, video or audio
    data: bytes | None
    seconds: float = 0.0
    aspect: float | None = None


def nearest_ratio(aspect: float | None) -> str:
    """The listed ratio closest to `aspect` (16:9 when unknown)."""
    if aspect is None:
        return "16:9"
    return min(RATIOS, key=lambda r: abs(math.log(RATIOS[r] / aspect)))


def probe(data: bytes) -> tuple[float, int, int, bool, bool]:
    """(seconds, width, height, has video, has audio) of a media file; MediaError if unreadable."""
    import av

    try:
        with av.open(io.BytesIO(data)) as container:
            video = container.streams.video[0] if container.streams.video else None
            has_audio = bool(container.streams.audio)
            seconds = float(container.duration or 0) / 1e6
            width = video.codec_context.width if video else 0
            height = video.codec_context.height if video else 0
            fmt = container.format.name
    except (av.FFmpegError, ValueError, IndexError) as exc:
        raise MediaError(f"not a readable media file: {exc}") from exc
    if not seconds and fmt:
        raise MediaError("media file has no duration")
    return seconds, width, height, video is not None, has_audio


def check_image(core: SimCore, ref: object, what: str) -> Media:
    """An H3 image: JPG/PNG/WEBP/HEIC, each side 256-5760 px, width/height 0.4-2.5."""
    if isinstance(ref, str) and ref.startswith("data:") and ref[: ref.find(";")] != ref[
            : ref.find(";")].lower():
        raise MediaError(f"{what}: the data URL's media type must be lower case (data:image/png)")
    try:
        data = core.load_image(ref, what) if not _unreachable(ref) else None
    except ImageError as exc:
        raise MediaError(str(exc)) from exc
    if data is None:
        return Media("image", None)
    w, h, fmt = image_info(data)
    if fmt not in IMAGE_FORMATS:
        raise MediaError(f"{what}: format {fmt or 'unknown'} not supported (JPG, PNG, WEBP, HEIC)")
    if len(data) > 30 * 1024 * 1024:
        raise MediaError(f"{what}: {len(data)} bytes, at most 30 MB")
    if not (256 <= w <= 5760 and 256 <= h <= 5760):
        raise MediaError(f"{what}: {w}x{h}, each side must be 256-5760 px")
    if not 0.4 <= w / h <= 2.5:
        raise MediaError(f"{what}: aspect ratio {w}:{h} must be between 2:5 and 5:2")
    return Media("image", data, aspect=w / h)


def check_clip(core: SimCore, ref: object, kind: str, what: str) -> Media:
    """An H3 reference video (MP4/MOV) or audio clip (WAV/MP3): 2-15 s, readable."""
    if not isinstance(ref, str) or not ref.strip():
        raise MediaError(f"{what} must be a non-empty URL or data URL")
    if ref.startswith("data:"):
        media_type = ref[5 : ref.find(";")] if ";" in ref else ""
        allowed = (("video/mp4", "video/quicktime") if kind == "video"
                   else ("audio/wav", "audio/x-wav", "audio/wave", "audio/mpeg", "audio/mp3"))
        if media_type not in allowed:
            raise MediaError(f"{what}: data URL type {media_type!r}; allowed: {list(allowed)}")
    elif not ref.startswith(("http://", "https://", "mm_file://")):
        raise MediaError(f"{what} must be an http(s) URL, mm_file:// id or data URL")
    try:
        data = None if _unreachable(ref) else core.fetch(ref)
    except ImageError as exc:
        raise MediaError(f"{what}: {exc}") from exc
    if data is None:
        return Media(kind, None)
    limit = 50 if kind == "video" else 15
    if len(data) > limit * 1024 * 1024:
        raise MediaError(f"{what}: {len(data)} bytes, at most {limit} MB")
    try:
        seconds, width, height, has_video, _ = probe(data)
    except MediaError as exc:
        raise MediaError(f"{what}: {exc}") from exc
    if kind == "video" and not has_video:
        raise MediaError(f"{what}: has no video stream")
    if not 2 <= seconds <= 15.05:
        raise MediaError(f"{what}: {seconds:.2f} s long, each clip must be 2-15 s")
    return Media(kind, data, seconds, width / height if has_video and height else None)


def check_totals(media: list[Media], what: str = "references") -> None:
    """Reference videos and audio: at most 15 s in all, each kind."""
    for kind in ("video", "audio"):
        total = sum(m.seconds for m in media if m.kind == kind)
        if total > 15.05:
            raise MediaError(f"{what}: {kind} clips last {total:.1f} s in all, at most 15 s")


def _unreachable(ref: object) -> bool:
    return isinstance(ref, str) and ref.startswith("mm_file://")
