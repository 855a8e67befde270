"""Frame images: whatever the user passes becomes checked bytes or a URL (docs/design.md §3 rules)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hailuo_nb.errors import ValidationError
from hailuo_nb.gateway.catalog import (
    IMAGE_FORMATS,
    MAX_IMAGE_BYTES,
    MIN_IMAGE_SHORT_SIDE,
    V1_IMAGES,
    ImageRules,
)

_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_ALLOWED = "a JPG, PNG or WebP file path, bytes, a PIL image, an http(s) URL or a finished Generation"


@dataclass(frozen=True)
class ImageLimits:
    """One model's rules for a frame image, checked at their exact boundaries before sending.

    The defaults are MiniMax's (docs/protocols.md §1.2): JPG/JPEG/PNG/WebP, under 20 MB, short
    side MORE than 300 px, width/height between 2:5 and 5:2 inclusive. The catalog passes
    other models' limits (H3, §11: each side 256–5760 px, at most 30 MB).
    """

    #: the short side must be at least this (more than this with ``exclusive_min``)
    min_short_side: int = MIN_IMAGE_SHORT_SIDE
    exclusive_min: bool = True
    #: each side at least / at most this many pixels (None: no such rule)
    min_side: int | None = None
    max_side: int | None = None
    #: file size limit in bytes; ``exclusive_max_bytes``: the size must be below it
    max_bytes: int = MAX_IMAGE_BYTES
    exclusive_max_bytes: bool = True
    #: width / height, inclusive
    min_ratio: float = 0.4
    max_ratio: float = 2.5
    #: PIL format names
    formats: tuple[str, ...] = IMAGE_FORMATS

    @classmethod
    def of(cls, rules: ImageRules) -> ImageLimits:
        """The checks for catalog rules (``ModelSpec.images``); sizes other than v1's are "at most"."""
        if rules == V1_IMAGES:
            return MINIMAX_IMAGE_LIMITS
        return cls(min_short_side=rules.short_side_over, exclusive_min=True,
                   min_side=rules.min_side if rules.min_side > 1 else None,
                   max_side=rules.max_side if rules.max_side < V1_IMAGES.max_side else None,
                   max_bytes=rules.max_bytes, exclusive_max_bytes=False, min_ratio=rules.min_ratio,
                   max_ratio=rules.max_ratio, formats=rules.formats)

    def size_problem(self, size: int) -> str | None:
        """Why ``size`` bytes are too many, or None."""
        too_big = size >= self.max_bytes if self.exclusive_max_bytes else size > self.max_bytes
        return f"{size / 2**20:.2f} MB ({size} bytes)" if too_big else None

    def size_rule(self) -> str:
        word = "under" if self.exclusive_max_bytes else "at most"
        return f"images {word} {self.max_bytes / 2**20:g} MB ({self.max_bytes} bytes)"

    def pixel_problem(self, width: int, height: int) -> tuple[str, str] | None:
        """(the rule, why it is broken) for ``width`` x ``height``, or None when allowed."""
        short = min(width, height)
        if short < self.min_short_side or (self.exclusive_min and short == self.min_short_side):
            more = "more than" if self.exclusive_min else "at least"
            return f"a short side of {more} {self.min_short_side} px", f"{width}x{height}"
        low, high = self.min_side, self.max_side
        if (low is not None and short < low) or (high is not None and max(width, height) > high):
            return f"each side {low or 1}–{high or 'any'} px", f"{width}x{height}"
        if not self.min_ratio <= width / height <= self.max_ratio:
            return (f"an aspect ratio (width/height) between {self.min_ratio:g} and {self.max_ratio:g}"
                    " (2:5 to 5:2)", f"{width}x{height}, ratio {width / height:.3f}")
        return None


#: MiniMax's rules (docs/protocols.md §1.2), the default.
MINIMAX_IMAGE_LIMITS = ImageLimits()


class Medium:
    """What every input medium is: checked bytes with a MIME type, or a URL the gateway fetches."""

    url: str | None
    data: bytes | None
    mime: str | None
    name: str

    @property
    def fingerprint(self) -> str:
        """Identity for reuse: the bytes' hash, or the URL."""
        if self.data is not None:
            return "sha256:" + hashlib.sha256(self.data).hexdigest()
        return "url:" + (self.url or "")

    def data_url(self) -> str:
        """The medium as a data URL (the form MiniMax takes inline), or its URL."""
        if self.data is None:
            return self.url or ""
        return f"data:{self.mime};base64," + base64.b64encode(self.data).decode("ascii")


@dataclass(frozen=True)
class FrameImage(Medium):
    """A first/last frame: either checked bytes or a URL the gateway fetches itself."""

    url: str | None = None
    data: bytes | None = None
    mime: str | None = None
    width: int | None = None
    height: int | None = None
    name: str = "frame"

    def __repr__(self) -> str:
        if self.data is None:
            return f"FrameImage(url={self.url!r})"
        return f"FrameImage({self.name!r}, {self.mime}, {self.width}x{self.height}, {len(self.data)} bytes)"


def load_frame(value: Any, field: str, limits: ImageLimits = MINIMAX_IMAGE_LIMITS) -> FrameImage:
    """Check and load one frame image against ``limits``, raising ValidationError naming ``field``.

    An already loaded frame (the form loads them as they are picked, before the model is
    known for sure) is checked again: these limits are the model's.
    """
    if isinstance(value, FrameImage):
        return value if value.data is None else _checked(value.data, field, value.name, limits)
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return FrameImage(url=value)
    if isinstance(value, str) and value.startswith("data:"):
        return _checked(_decode_data_url(value, field), field, "data URL", limits)
    if isinstance(value, (str, os.PathLike)):
        return _from_path(Path(value), field, limits)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _checked(bytes(value), field, "bytes", limits)
    if _is_pil_image(value):
        image = value if value.mode in ("RGB", "RGBA", "L", "LA", "P") else value.convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return _checked(buffer.getvalue(), field, "PIL image", limits)
    if hasattr(value, "video_path") and hasattr(value, "status"):
        return _from_generation(value, field, limits)
    raise ValidationError(field, value, _ALLOWED, reason=f"unsupported type {type(value).__name__}")


def _from_path(path: Path, field: str, limits: ImageLimits) -> FrameImage:
    try:
        exists, is_file = path.exists(), path.is_file()
        size = path.stat().st_size if is_file else 0
    except OSError as exc:  # e.g. a name too long: often base64 pasted without "data:"
        reason = f"not a usable path ({exc.strerror}); base64 needs a data: URL prefix"
        raise ValidationError(field, str(path)[:40] + "...", _ALLOWED, reason=reason) from None
    if not exists:
        raise ValidationError(field, str(path), _ALLOWED, reason="file not found")
    if not is_file:
        raise ValidationError(field, str(path), _ALLOWED, reason="not a file")
    too_big = limits.size_problem(size)
    if too_big:
        raise ValidationError(field, str(path), limits.size_rule(), reason=f"file is {too_big}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(field, str(path), _ALLOWED, reason=f"unreadable ({exc.strerror})") from None
    return _checked(data, field, path.name, limits)


def _from_generation(gen: Any, field: str, limits: ImageLimits) -> FrameImage:
    path = getattr(gen, "video_path", None)
    if path is None or not Path(path).exists():
        raise ValidationError(
            field, gen, "a finished Generation with a downloaded video", reason="it has no video yet"
        )
    from hailuo_nb.gateway.frames import last_frame_png

    return _checked(last_frame_png(Path(path)), field, f"last frame of {Path(path).name}", limits)


def _decode_data_url(value: str, field: str) -> bytes:
    header, _, payload = value.partition(",")
    if ";base64" not in header:
        raise ValidationError(field, value, "a base64 data URL", reason="not base64")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(field, value[:40], "a base64 data URL", reason="invalid base64") from None


def _checked(data: bytes, field: str, name: str, limits: ImageLimits) -> FrameImage:
    too_big = limits.size_problem(len(data))
    if too_big:
        raise ValidationError(field, name, limits.size_rule(), reason=too_big)
    formats = _format_names(limits.formats)
    if not data:
        raise ValidationError(field, name, formats, reason="empty image")
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt = img.format or ""
                width, height = img.size
                img.verify()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        reason = "too many pixels (decompression bomb?)"
        raise ValidationError(field, name, "a photo-sized image", reason=reason) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(field, name, formats, reason="not a readable image") from None
    if fmt not in limits.formats or fmt not in _MIME:
        raise ValidationError(field, name, formats, reason=f"format is {fmt or 'unknown'}")
    broken = limits.pixel_problem(width, height)
    if broken:
        raise ValidationError(field, name, broken[0], reason=broken[1])
    return FrameImage(data=data, mime=_MIME[fmt], width=width, height=height, name=name)


def _format_names(formats: tuple[str, ...]) -> str:
    """("JPEG", "PNG", "WEBP") -> "JPG, PNG or WebP"."""
    names = [{"JPEG": "JPG", "WEBP": "WebP"}.get(f, f) for f in formats]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _is_pil_image(value: Any) -> bool:
    cls = type(value)
    return any(c.__module__.startswith("PIL.") and c.__name__ == "Image" for c in cls.__mro__)
