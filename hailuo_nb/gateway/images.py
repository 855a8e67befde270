"""Frame images: whatever the user passes becomes checked bytes or a URL (DESIGN §3 rules)."""

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
from hailuo_nb.gateway.catalog import IMAGE_FORMATS, MAX_IMAGE_BYTES, MIN_IMAGE_SHORT_SIDE

_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_ALLOWED = "a JPG, PNG or WebP file path, bytes, a PIL image, an http(s) URL or a finished Generation"


@dataclass(frozen=True)
class FrameImage:
    """A first/last frame: either checked bytes or a URL the gateway fetches itself."""

    url: str | None = None
    data: bytes | None = None
    mime: str | None = None
    width: int | None = None
    height: int | None = None
    name: str = "frame"

    @property
    def fingerprint(self) -> str:
        """Identity for reuse: the bytes' hash, or the URL."""
        if self.data is not None:
            return "sha256:" + hashlib.sha256(self.data).hexdigest()
        return "url:" + (self.url or "")

    def data_url(self) -> str:
        if self.data is None:
            return self.url or ""
        return f"data:{self.mime};base64," + base64.b64encode(self.data).decode("ascii")

    def __repr__(self) -> str:
        if self.data is None:
            return f"FrameImage(url={self.url!r})"
        return f"FrameImage({self.name!r}, {self.mime}, {self.width}x{self.height}, {len(self.data)} bytes)"


def load_frame(value: Any, field: str) -> FrameImage:
    """Check and load one frame image, raising ValidationError naming ``field``."""
    if isinstance(value, FrameImage):
        return value
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return FrameImage(url=value)
    if isinstance(value, str) and value.startswith("data:"):
        return _checked(_decode_data_url(value, field), field, "data URL")
    if isinstance(value, (str, os.PathLike)):
        return _from_path(Path(value), field)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _checked(bytes(value), field, "bytes")
    if _is_pil_image(value):
        image = value if value.mode in ("RGB", "RGBA", "L", "LA", "P") else value.convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return _checked(buffer.getvalue(), field, "PIL image")
    if hasattr(value, "video_path") and hasattr(value, "status"):
        return _from_generation(value, field)
    raise ValidationError(field, value, _ALLOWED, reason=f"unsupported type {type(value).__name__}")


def _from_path(path: Path, field: str) -> FrameImage:
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
    if size > MAX_IMAGE_BYTES:
        raise ValidationError(field, str(path), "images up to 20 MB", reason=f"file is {size / 2**20:.1f} MB")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(field, str(path), _ALLOWED, reason=f"unreadable ({exc.strerror})") from None
    return _checked(data, field, path.name)


def _from_generation(gen: Any, field: str) -> FrameImage:
    path = getattr(gen, "video_path", None)
    if path is None or not Path(path).exists():
        raise ValidationError(
            field, gen, "a finished Generation with a downloaded video", reason="it has no video yet"
        )
    from hailuo_nb.gateway.frames import last_frame_png

    return _checked(last_frame_png(Path(path)), field, f"last frame of {Path(path).name}")


def _decode_data_url(value: str, field: str) -> bytes:
    header, _, payload = value.partition(",")
    if ";base64" not in header:
        raise ValidationError(field, value, "a base64 data URL", reason="not base64")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(field, value[:40], "a base64 data URL", reason="invalid base64") from None


def _checked(data: bytes, field: str, name: str) -> FrameImage:
    if len(data) > MAX_IMAGE_BYTES:
        raise ValidationError(field, name, "images up to 20 MB", reason=f"{len(data) / 2**20:.1f} MB")
    if not data:
        raise ValidationError(field, name, "JPG, PNG or WebP", reason="empty image")
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
        raise ValidationError(field, name, "JPG, PNG or WebP", reason="not a readable image") from None
    if fmt not in IMAGE_FORMATS:
        raise ValidationError(field, name, "JPG, PNG or WebP", reason=f"format is {fmt or 'unknown'}")
    short = min(width, height)
    if short < MIN_IMAGE_SHORT_SIDE:
        raise ValidationError(
            field, name, f"a short side of at least {MIN_IMAGE_SHORT_SIDE} px", reason=f"{width}x{height}"
        )
    ratio = width / height
    if not 0.4 <= ratio <= 2.5:
        raise ValidationError(field, name, "an aspect ratio between 2:5 and 5:2", reason=f"{width}x{height}")
    return FrameImage(data=data, mime=_MIME[fmt], width=width, height=height, name=name)


def _is_pil_image(value: Any) -> bool:
    cls = type(value)
    return any(c.__module__.startswith("PIL.") and c.__name__ == "Image" for c in cls.__mro__)
