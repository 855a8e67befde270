"""Real Generations for display tests (their constructors do no I/O) and real MP4 clips.

The widgets and bundles read a generation through ``gen.to_dict()``; testing them with a
stand-in object would let that contract drift, so these are the library's own objects.
"""

from __future__ import annotations

import fractions
import itertools
from pathlib import Path
from typing import Any

from hailuo_nb.api import Generation
from hailuo_nb.gateway.catalog import MODELS
from hailuo_nb.gateway.config import resolve_provider
from hailuo_nb.gateway.pricing import price
from hailuo_nb.gateway.request import GenerationRequest

_ids = itertools.count(1)


def make_gen(
    *,
    prompt: str = "a kite",
    model: str = "hailuo-02-text-to-video-pro",
    status: str = "running",
    video: Path | None = None,
    task_id: str | None = "123",
    **fields: Any,
) -> Generation:
    """A Generation on the simulator provider in ``status`` (nothing is sent anywhere)."""
    spec = MODELS[model]  # the request value itself: any catalog model, whatever sim serves today
    request = GenerationRequest(endpoint=resolve_provider("sim"), model=spec, native_model=model, prompt=prompt,
                                duration=spec.default_duration, resolution=spec.default_resolution)
    gen = Generation(id=f"g{next(_ids)}", request=request, request_key=request.key(), price=price(request),
                     expected_seconds=(9.0, 12.0), status=status, created_at=1.0)
    gen.task_id = task_id
    gen.video_path = video
    gen.submitted_at = 2.0
    for name, value in fields.items():
        setattr(gen, name, value)
    return gen


def make_clip(path: Path, *, seconds: float = 1.0, audio: bool = False, width: int = 320,
              height: int = 180, noise: bool = False) -> Path:
    """An H.264 MP4 (with AAC sound if ``audio``); ``noise`` makes it large and incompressible."""
    import av
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=24)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "veryfast", "crf": "10" if noise else "30"}
        sound = out.add_stream("aac", rate=48000) if audio else None
        if sound is not None:
            sound.layout = "stereo"
        for i in range(int(seconds * 24)):
            if noise:
                image = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
            else:
                image = np.zeros((height, width, 3), np.uint8)
                image[:, :, 0] = (i * 10) % 255
                image[: height // 2, : width // 2, 1] = 200
            for packet in video.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                out.mux(packet)
        for packet in video.encode(None):
            out.mux(packet)
        if sound is not None:
            rate, size = 48000, 1024
            tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(int(seconds * rate)) / rate)).astype(np.float32)
            for start in range(0, len(tone), size):
                chunk = np.pad(tone[start:start + size], (0, max(0, size - len(tone[start:start + size]))))
                frame = av.AudioFrame.from_ndarray(np.stack([chunk, chunk]), format="fltp", layout="stereo")
                frame.sample_rate, frame.pts, frame.time_base = rate, start, fractions.Fraction(1, rate)
                for packet in sound.encode(frame):
                    out.mux(packet)
            for packet in sound.encode(None):
                out.mux(packet)
    return path
