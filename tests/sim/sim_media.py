"""Media inputs for simulator tests: images, WAV and MP4 clips, data URLs (plain helpers)."""

from __future__ import annotations

import base64
import io


def make_image(width: int, height: int, color: tuple[int, int, int], fmt: str = "PNG") -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, fmt)
    return buf.getvalue()


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def wav_bytes(seconds: float, rate: int = 16000) -> bytes:
    """A silent mono 16-bit WAV of `seconds`."""
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * int(seconds * rate))
    return buf.getvalue()


def mp4_bytes(seconds: int, width: int = 320, height: int = 256) -> bytes:
    """A small real H.264 MP4 (for reference-video inputs)."""
    from hailuo_nb.sim.video import RenderSpec, render_mp4

    return render_mp4(RenderSpec("reference clip", seconds, width, height))
