"""Small, real H.264 MP4s: the prompt written on a moving picture.

Heavy imports (PyAV, numpy, Pillow) happen inside the functions so that importing the
simulator stays cheap. A render is a pure function of its `RenderSpec` (byte-identical
for the same spec: one x264 thread, no timestamps), so results are cached by the spec's
hash and shared by every server in the process.

Frames are converted to yuv420p in numpy and written whole (row padding included) into
the encoder's frames, so no byte of the stream comes from uninitialised memory (issue
15: unaligned widths such as 342 px gave different files on some machines). H3 specs
(`audio=True`, 24 fps) add a deterministic AAC stereo chirp at 32 kHz.
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

FPS = 10  # Hailuo 02 / 2.3 clips (the real ones are 24-25 fps; fewer frames render faster)
H3_FPS = 24  # MiniMax H3: 24 fps with a stereo soundtrack, as the real model
AUDIO_RATE = 32_000  # H3's soundtrack rate (docs/protocols.md §11)
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
    audio: bool = False  # an AAC stereo track (H3)

    def key(self) -> str:
        """Content hash of the spec, the render cache key."""
        h = hashlib.sha256()
        shape = str((self.seconds, self.width, self.height, self.fps, self.audio))
        for part in (self.prompt, self.label, shape):
            h.update(part.encode("utf-8") + b"\0")
        for image in (self.first_frame, self.last_frame):
            h.update(hashlib.sha256(image or b"").digest())
        return h.hexdigest()


def _even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


#: resolution names that are not "<lines>P"
LINES = {"2K": 1440, "4K": 2160}


def frame_size(resolution: str, aspect: float | None, divisor: int = 4) -> tuple[int, int]:
    """Scaled-down frame size: short side = the resolution's lines / `divisor` (768P -> 192).

    Keeps the aspect of the real output (2K = 2560x1440 -> 640x360 at the default 4).
    """
    digits = "".join(ch for ch in resolution if ch.isdigit())
    lines = LINES.get(resolution.upper()) or (int(digits) if digits else 768)
    short = _even(lines / divisor)
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


def _yuv420(rgb: Any) -> list[Any]:
    """BT.601 limited-range float planes (Y, U, V) of an even-sized RGB array.

    Converting here rather than in swscale means no converter ever reads row padding:
    every byte handed to the encoder is written by `_Planes`.
    """
    f = rgb.astype("float32")
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    y = 16 + 0.257 * r + 0.504 * g + 0.098 * b
    u = 128 - 0.148 * r - 0.291 * g + 0.439 * b
    v = 128 + 0.439 * r - 0.368 * g - 0.071 * b

    def half(p: Any) -> Any:  # 2x2 box average: 4:2:0 chroma
        return (p[0::2, 0::2] + p[1::2, 0::2] + p[0::2, 1::2] + p[1::2, 1::2]) / 4

    return [y, half(u), half(v)]


def _even_rgb(rgb: Any) -> Any:
    """Edge-pad an RGB array to even width and height (yuv420p needs both)."""
    import numpy as np

    h, w = rgb.shape[:2]
    return np.pad(rgb, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge") if (h | w) % 2 else rgb


class _Planes:
    """The clip's pictures as yuv420p planes.

    A cross-fade from the first picture to the last, a sweeping bar and a progress line.
    Stills are converted once and frames blended in YUV (the conversion is affine, so
    this equals converting each blended RGB frame).
    """

    PROGRESS = (255, 200, 0)

    def __init__(self, spec: RenderSpec) -> None:
        import numpy as np

        first = _even_rgb(_still(spec, spec.first_frame, spec.prompt))
        last = _even_rgb(_still(spec, spec.last_frame, spec.prompt)) if spec.last_frame else None
        self.h, self.w = first.shape[:2]
        self.count = max(1, spec.seconds * spec.fps)
        self.bar = max(2, (self.w // 40) // 2 * 2)  # even, so chroma columns line up
        self.first, self.first_bar = _yuv420(first), _yuv420(255 - first // 2)
        self.last = _yuv420(last) if last is not None else None
        self.last_bar = _yuv420(255 - last // 2) if last is not None else None
        self.progress = [p[0, 0] for p in _yuv420(np.array([[self.PROGRESS] * 2] * 2, np.uint8))]

    def _mix(self, a: Any, b: Any | None, t: float, cols: slice | None = None) -> Any:
        part = a if cols is None else a[:, cols]
        if b is None:
            return part.copy()
        return part * (1 - t) + (b if cols is None else b[:, cols]) * t

    def frame(self, i: int) -> list[Any]:
        """The three uint8 planes of frame `i`."""
        import numpy as np

        t = i / max(1, self.count - 1)
        x = int(t * (self.w - self.bar)) // 2 * 2
        done = max(2, int(self.w * (i + 1) / self.count))
        planes = []
        for k in range(3):
            sub = 1 if k == 0 else 2
            last = self.last[k] if self.last else None
            last_bar = self.last_bar[k] if self.last_bar else None
            plane = self._mix(self.first[k], last, t)
            cols = slice(x // sub, (x + self.bar) // sub)
            plane[:, cols] = self._mix(self.first_bar[k], last_bar, t, cols)
            plane[(self.h - 4) // sub :, : done // sub] = self.progress[k]
            planes.append(np.clip(np.rint(plane), 0, 255).astype(np.uint8))
        return planes


def _video_frame(planes: list[Any], index: int) -> Any:
    """An av.VideoFrame (yuv420p) whose planes, row padding included, are fully written."""
    import av
    import numpy as np

    h, w = planes[0].shape
    frame = av.VideoFrame(w, h, "yuv420p")
    for plane, data in zip(frame.planes, planes, strict=True):
        rows, cols = data.shape
        buf = np.empty((rows, plane.line_size), np.uint8)
        buf[:, :cols] = data
        buf[:, cols:] = data[:, -1:]  # padding repeats the edge pixel, never stale memory
        plane.update(buf.tobytes())
    frame.pts = index
    return frame


def soundtrack(seconds: int, rate: int = AUDIO_RATE) -> Any:
    """A deterministic stereo chirp (float32, shape (2, samples)): left rises, right falls.

    A short click marks each whole second, so a listener can count the length.
    """
    import numpy as np

    n = seconds * rate
    t = np.arange(n, dtype=np.float64) / rate
    span = max(1, seconds)
    left = np.sin(2 * np.pi * (220 * t + 110 * t * t / span))  # 220 -> 440 Hz
    right = np.sin(2 * np.pi * (660 * t - 110 * t * t / span))  # 660 -> 440 Hz
    click = (np.mod(t, 1.0) < 0.02) * np.sin(2 * np.pi * 1760 * t)
    return (0.2 * np.stack([left + click, right + click])).astype(np.float32)


def _add_audio(out: Any, seconds: int) -> Any:
    """Add an AAC stereo stream; returns a function that encodes the whole track."""
    import av

    # The "fast" coder at 32 kbit/s encodes 15 s in about 0.15 s (the default takes 0.5 s).
    stream = out.add_stream("aac", rate=AUDIO_RATE, options={"threads": "1", "aac_coder": "fast"})
    stream.layout = "stereo"
    stream.bit_rate = 32_000

    def encode() -> None:
        samples = soundtrack(seconds)
        size = stream.codec_context.frame_size or 1024
        for start in range(0, samples.shape[1], size):
            chunk = samples[:, start : start + size].copy(order="C")
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate, frame.pts = AUDIO_RATE, start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)

    return encode


def render_mp4(spec: RenderSpec) -> bytes:
    """Encode the video for `spec`: H.264 yuv420p at `spec.fps`, plus AAC when `spec.audio`.

    Odd sizes are edge-padded to the next even size (yuv420p needs even sides).
    """
    fd, path = tempfile.mkstemp(suffix=".mp4", prefix="hailuo-sim-")
    os.close(fd)
    try:
        _encode(spec, path)
        with open(path, "rb") as fh:
            return fh.read()
    finally:
        os.unlink(path)


def _encode(spec: RenderSpec, path: str) -> None:
    import av

    # A file, not BytesIO, so that +faststart can move the index to the front; no
    # encoder or creation-time metadata, so the bytes depend on the spec alone.
    options = {"movflags": "+faststart", "fflags": "+bitexact"}
    with av.open(path, "w", format="mp4", options=options) as out:
        x264 = {"preset": "veryfast", "crf": "28", "threads": "1"}
        stream = out.add_stream("libx264", rate=spec.fps, options=x264)
        stream.width, stream.height = spec.width + spec.width % 2, spec.height + spec.height % 2
        stream.pix_fmt = "yuv420p"
        audio = _add_audio(out, spec.seconds) if spec.audio else None
        pictures = _Planes(spec)
        for i in range(pictures.count):
            for packet in stream.encode(_video_frame(pictures.frame(i), i)):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
        if audio is not None:
            audio()


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
