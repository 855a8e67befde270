"""Small, real H.264 MP4s: the prompt written on a moving picture.

Heavy imports (PyAV, numpy, Pillow) happen inside the functions so that importing the
simulator stays cheap. A render is a pure function of its `RenderSpec` (byte-identical
for the same spec: one x264 thread, no timestamps), so results are cached by the spec's
hash and shared by every server in the process.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import textwrap
import threading
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

FPS = 10
_CACHE_SIZE = 64


@dataclass(frozen=True)
class RenderSpec:
    """Everything that decides the bytes of a rendered video."""

    prompt: str
    seconds: int
    width: int
    height: int
    label: str = ""
    first_frame: bytes | None = None
    last_frame: bytes | None = None
    fps: int = FPS

    def key(self) -> str:
        """Content hash of the spec, the render cache key."""
        h = hashlib.sha256()
        shape = str((self.seconds, self.width, self.height, self.fps))
        for part in (self.prompt, self.label, shape):
            h.update(part.encode("utf-8") + b"\0")
        for image in (self.first_frame, self.last_frame):
            h.update(hashlib.sha256(image or b"").digest())
        return h.hexdigest()


def _even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


def frame_size(resolution: str, aspect: float | None) -> tuple[int, int]:
    """Scaled-down frame size: short side = the resolution's lines / 4 (768P -> 192)."""
    digits = "".join(ch for ch in resolution if ch.isdigit())
    lines = int(digits) if digits else 768
    short = _even(lines / 4)
    ratio = min(2.5, max(0.4, aspect or 16 / 9))
    if ratio >= 1:
        return _even(short * ratio), short
    return short, _even(short / ratio)


def image_info(data: bytes) -> tuple[int, int, str]:
    """(width, height, format) of an encoded image; ValueError when unreadable."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.width, img.height, (img.format or "").upper()
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"not a readable image: {exc}") from exc


def _font(size: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except (TypeError, ValueError, OSError):  # Pillow built without FreeType
        return ImageFont.load_default()


def _still(spec: RenderSpec, image: bytes | None, seed: str) -> Any:
    """One base picture (numpy RGB array): the image, or a gradient, plus the prompt."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageOps

    w, h = spec.width, spec.height
    picture = None
    if image is not None:
        try:
            with Image.open(io.BytesIO(image)) as src:
                picture = ImageOps.fit(src.convert("RGB"), (w, h))
        except (OSError, ValueError):
            picture = None  # unreadable frame: fall back to the plain background
    if picture is None:
        digest = hashlib.sha256(seed.encode("utf-8")).digest()
        top = np.array(list(digest[:3]), float) * 0.6
        bottom = np.array(list(digest[3:6]), float) * 0.6
        ramp = np.linspace(0.0, 1.0, h)[:, None, None]
        grad = (top * (1 - ramp) + bottom * ramp).astype(np.uint8)
        picture = Image.fromarray(np.repeat(grad, w, axis=1), "RGB")
    draw = ImageDraw.Draw(picture, "RGBA")
    size = max(9, h // 13)
    font = _font(size)
    per_line = max(8, int((w - 16) / (size * 0.55)))
    lines = textwrap.wrap(spec.prompt or "(no prompt)", per_line)
    max_lines = max(1, (h - 40) // (size + 3))
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: per_line - 1] + "…"
    text = "\n".join(lines)
    draw.rectangle((4, 4, w - 4, 10 + len(lines) * (size + 3)), fill=(0, 0, 0, 140))
    draw.multiline_text((8, 6), text, font=font, fill=(255, 255, 255), spacing=3)
    if spec.label:
        small = _font(max(8, size - 3))
        draw.text((8, h - size - 12), spec.label, font=small, fill=(230, 230, 230))
    return np.asarray(picture, dtype=np.uint8)


def render_mp4(spec: RenderSpec) -> bytes:
    """Encode the video for `spec` (H.264, yuv420p, `spec.fps` frames per second)."""
    import av
    import numpy as np

    first = _still(spec, spec.first_frame, spec.prompt)
    last = _still(spec, spec.last_frame, spec.prompt) if spec.last_frame else None
    frames = max(1, spec.seconds * spec.fps)
    w, h = spec.width, spec.height
    bar = max(2, w // 40)
    fd, path = tempfile.mkstemp(suffix=".mp4", prefix="hailuo-sim-")
    os.close(fd)
    try:
        # A file, not BytesIO, so that +faststart can move the index to the front.
        with av.open(path, "w", format="mp4", options={"movflags": "+faststart"}) as out:
            x264 = {"preset": "veryfast", "crf": "28", "threads": "1"}
            stream = out.add_stream("libx264", rate=spec.fps, options=x264)
            stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
            for i in range(frames):
                t = i / max(1, frames - 1)
                # Cross-fade from the first frame to the last one, when there is one.
                frame = first.copy() if last is None else (first * (1 - t) + last * t).astype(
                    np.uint8)
                x = int(t * (w - bar))
                frame[:, x : x + bar] = 255 - frame[:, x : x + bar] // 2  # sweeping bar
                frame[h - 4 :, : max(1, int(w * (i + 1) / frames))] = (255, 200, 0)  # progress
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
        with open(path, "rb") as fh:
            return fh.read()
    finally:
        os.unlink(path)


class Renderer:
    """Renders in background threads (at most two at once), cached by spec hash."""

    _lock = threading.Lock()
    _cache: OrderedDict[str, Future[bytes]] = OrderedDict()
    _slots = threading.BoundedSemaphore(2)

    @classmethod
    def start(cls, spec: RenderSpec) -> Future[bytes]:
        """The future bytes of `spec`, starting the render unless it is known."""
        key = spec.key()
        with cls._lock:
            future = cls._cache.get(key)
            if future is not None:
                cls._cache.move_to_end(key)
                return future
            future = Future()
            cls._cache[key] = future
            while len(cls._cache) > _CACHE_SIZE:
                cls._cache.popitem(last=False)
        threading.Thread(target=cls._run, args=(key, spec, future), daemon=True).start()
        return future

    @classmethod
    def _run(cls, key: str, spec: RenderSpec, future: Future[bytes]) -> None:
        with cls._slots:
            try:
                future.set_result(render_mp4(spec))
            except Exception as exc:  # reported to whoever waits; a later request retries
                with cls._lock:
                    cls._cache.pop(key, None)
                future.set_exception(exc)

    @classmethod
    def get(cls, spec: RenderSpec, timeout: float = 60.0) -> bytes:
        """The bytes of `spec`, rendering it unless cached."""
        return cls.start(spec).result(timeout)
