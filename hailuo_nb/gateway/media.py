"""Reference media (H3): images, video clips and audio clips, checked before any request.

Whatever the user passes — a path, URL, bytes, a PIL image, a finished Generation —
becomes a checked :class:`~hailuo_nb.gateway.images.FrameImage` (images) or :class:`Clip`
(video, audio) with its length read by PyAV, so that counts, lengths and totals are
refused with a :class:`ValidationError` before anything is paid for (docs/design.md §3).
"""

from __future__ import annotations

import base64
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from hailuo_nb.errors import ValidationError
from hailuo_nb.gateway.catalog import V1_IMAGES, ClipRules, ImageRules, References
from hailuo_nb.gateway.images import FrameImage, ImageLimits, Medium, load_frame

Kind = Literal["image", "video", "audio"]
KINDS: tuple[Kind, ...] = ("image", "video", "audio")

_EXTENSIONS: dict[str, Kind] = {
    ".png": "image", ".jpg": "image", ".jpeg": "image", ".webp": "image",
    ".mp4": "video", ".mov": "video", ".m4v": "video",
    ".wav": "audio", ".mp3": "audio", ".m4a": "audio",
}
_VIDEO_MIME = {"mp4": "video/mp4", "mov": "video/quicktime"}
_AUDIO_MIME = {"wav": "audio/wav", "mp3": "audio/mpeg"}
_ALLOWED = {
    "video": "an MP4 or MOV clip of 2–15 s (path, URL, bytes or a finished Generation)",
    "audio": "a WAV or MP3 clip of 2–15 s (path, URL or bytes)",
}


@dataclass(frozen=True)
class Clip(Medium):
    """A reference video or audio clip: checked bytes, or a URL the gateway fetches itself."""

    kind: Literal["video", "audio"]
    url: str | None = None
    data: bytes | None = None
    mime: str | None = None
    seconds: float | None = None
    name: str = "clip"

    def __repr__(self) -> str:
        if self.data is None:
            return f"Clip({self.kind}, url={self.url!r})"
        return f"Clip({self.kind}, {self.name!r}, {self.seconds:.1f} s, {len(self.data)} bytes)"




@dataclass(frozen=True)
class Reference:
    """One reference medium and its kind."""

    kind: Kind
    medium: FrameImage | Clip

    @property
    def role(self) -> str:
        return f"reference_{self.kind}"

    @property
    def seconds(self) -> float:
        if isinstance(self.medium, Clip):
            return self.medium.seconds or 0.0
        return 0.0


def guess_kind(value: Any) -> Kind | None:
    """The kind of a reference from its value (``--ref F``): extension, type, or magic bytes."""
    if hasattr(value, "video_path") and hasattr(value, "status"):
        return "video"  # a finished Generation: its clip
    if isinstance(value, (FrameImage,)) or _is_pil(value):
        return "image"
    if isinstance(value, Clip):
        return value.kind
    if isinstance(value, str) and value.startswith("data:"):
        major = value[5:].split("/", 1)[0]
        return next((k for k in KINDS if k == major), None)
    if isinstance(value, (str, os.PathLike)):
        suffix = Path(str(value).split("?", 1)[0]).suffix.lower()
        return _EXTENSIONS.get(suffix)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _sniff(bytes(value[:16]))
    return None


def _sniff(head: bytes) -> Kind | None:
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff")) or head[8:12] == b"WEBP":
        return "image"
    if head[4:8] == b"ftyp":
        return "video"
    if head.startswith((b"ID3", b"\xff\xfb", b"\xff\xf3")) or head[8:12] == b"WAVE":
        return "audio"
    return None


def load_reference(value: Any, kind: Kind, field: str, refs: References,
                   images: ImageRules = V1_IMAGES) -> Reference:
    """Check one reference medium of ``kind``, images by the model's ``images``; names ``field`` if bad."""
    if kind == "image":
        return Reference("image", load_frame(value, field, ImageLimits.of(images)))
    rules = refs.video_rules if kind == "video" else refs.audio_rules
    return Reference(kind, load_clip(value, kind, field, rules))


def load_clip(value: Any, kind: Literal["video", "audio"], field: str, rules: ClipRules) -> Clip:
    """A checked clip: readable, of an allowed format, within the size and length limits."""
    if isinstance(value, Clip):
        return value
    allowed = _ALLOWED[kind]
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return Clip(kind, url=value, name=value.rsplit("/", 1)[-1][:60])
    if hasattr(value, "video_path") and hasattr(value, "status"):
        path = getattr(value, "video_path", None)
        if kind != "video" or path is None or not Path(path).exists():
            raise ValidationError(field, value, "a finished Generation with a downloaded video",
                                  reason="it has no video yet" if kind == "video" else "not audio")
        value = Path(path)
    if isinstance(value, str) and value.startswith("data:"):
        header, _, payload = value.partition(",")
        try:
            data, name = base64.b64decode(payload, validate=True), "data URL"
        except ValueError:
            raise ValidationError(field, value[:40], allowed, reason="invalid base64") from None
    elif isinstance(value, (str, os.PathLike)):
        path = Path(value)
        if not path.is_file():
            raise ValidationError(field, str(path), allowed, reason="file not found")
        if path.stat().st_size > rules.max_bytes:
            limit = f"{kind} clips up to {rules.max_bytes // 2**20} MB"
            raise ValidationError(field, str(path), limit, reason=f"{path.stat().st_size / 2**20:.1f} MB")
        data, name = path.read_bytes(), path.name
    elif isinstance(value, (bytes, bytearray, memoryview)):
        data, name = bytes(value), f"{kind} bytes"
    else:
        raise ValidationError(field, value, allowed, reason=f"unsupported type {type(value).__name__}")
    return _checked_clip(data, kind, field, name, rules)


def _checked_clip(data: bytes, kind: Literal["video", "audio"], field: str, name: str,
                  rules: ClipRules) -> Clip:
    allowed = _ALLOWED[kind]
    if len(data) > rules.max_bytes:
        limit = f"{kind} clips up to {rules.max_bytes // 2**20} MB"
        raise ValidationError(field, name, limit, reason=f"{len(data) / 2**20:.1f} MB")
    fmt, seconds = probe(data, kind, field, name)
    mimes = _VIDEO_MIME if kind == "video" else _AUDIO_MIME
    if fmt not in mimes:
        raise ValidationError(field, name, allowed, reason=f"format is {fmt or 'unknown'}")
    if not rules.min_seconds <= seconds <= rules.max_seconds:
        span = f"{rules.min_seconds:g}–{rules.max_seconds:g} s"
        raise ValidationError(field, name, f"{kind} clips of {span}", reason=f"{seconds:.1f} s long")
    return Clip(kind, data=data, mime=mimes[fmt], seconds=seconds, name=name)


def probe(data: bytes, kind: Literal["video", "audio"], field: str, name: str) -> tuple[str, float]:
    """(container format, seconds) of a clip, read with PyAV; ValidationError if unreadable."""
    import av

    try:
        with av.open(io.BytesIO(data)) as container:
            streams = container.streams.video if kind == "video" else container.streams.audio
            if not streams:
                raise ValidationError(field, name, _ALLOWED[kind], reason=f"it has no {kind} stream")
            seconds = float(container.duration or 0) / 1_000_000
            if seconds <= 0 and streams[0].duration and streams[0].time_base:
                seconds = float(streams[0].duration * streams[0].time_base)
            formats = container.format.name.split(",")
    except ValidationError:
        raise
    except Exception:  # PyAV raises many error types for garbage input
        raise ValidationError(field, name, _ALLOWED[kind], reason=f"not a readable {kind} clip") from None
    fmt = next((f for f in ("mp4", "mov", "wav", "mp3") if f in formats), formats[0])
    return fmt, seconds


def check_references(refs: tuple[Reference, ...], allowed: References | None, model: str) -> None:
    """Counts and totals across all references of one request (docs/design.md §3)."""
    if not refs:
        return
    if allowed is None:
        raise ValidationError("references", f"{len(refs)} reference(s)",
                              "models that take references: hailuo-h3-reference-to-video",
                              reason=f"{model} takes no reference media")
    for kind in KINDS:
        count = sum(1 for r in refs if r.kind == kind)
        if count > allowed.limit(kind):
            raise ValidationError(f"reference_{kind}s" if kind != "audio" else "reference_audio",
                                  f"{count} {kind}(s)", f"at most {allowed.limit(kind)}",
                                  reason=f"too many reference {kind}s for {model}")
    if len(refs) > allowed.total:
        raise ValidationError("references", f"{len(refs)} files", f"at most {allowed.total} in all")
    kinds = {r.kind for r in refs}
    if allowed.audio_needs_visual and "audio" in kinds and not kinds & {"image", "video"}:
        raise ValidationError("reference_audio", "audio only", "audio together with an image or video",
                              reason="reference audio needs at least one reference image or clip")
    for kind, rules in (("video", allowed.video_rules), ("audio", allowed.audio_rules)):
        total = sum(r.seconds for r in refs if r.kind == kind)
        if total > rules.max_total_seconds + 1e-6:
            raise ValidationError(f"reference_{kind}s" if kind == "video" else "reference_audio",
                                  f"{total:.1f} s in all", f"at most {rules.max_total_seconds:g} s in all")


def _is_pil(value: Any) -> bool:
    return any(c.__module__.startswith("PIL.") and c.__name__ == "Image" for c in type(value).__mro__)
