"""Real little MP4s for the film tests: coloured frames, optionally an AAC tone."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def make_clip(path: Path, seconds: float, size: tuple[int, int] = (160, 96), fps: int = 10,
              color: tuple[int, int, int] = (200, 40, 40), tone: float | None = None,
              sample_rate: int = 44100, layout: str = "stereo", preset: str = "veryfast") -> Path:
    """Write ``seconds`` of ``color`` frames (a white bar grows with the frame number) and a sine tone.

    ``veryfast`` makes B-frames, so decode order differs from presentation order, as in real clips.
    """
    w, h = size
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        video = out.add_stream("libx264", rate=fps, options={"preset": preset, "threads": "1"})
        video.width, video.height, video.pix_fmt = w, h, "yuv420p"
        audio = out.add_stream("aac", rate=sample_rate, layout=layout) if tone else None
        frames = round(seconds * fps)
        for i in range(frames):
            picture = np.empty((h, w, 3), np.uint8)
            picture[:] = color
            picture[: h // 4, : max(2, (i + 1) * w // frames)] = 255
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode())
        if audio is not None and tone is not None:
            channels = 2 if layout == "stereo" else 1
            total = round(seconds * sample_rate)
            t = np.arange(total) / sample_rate
            wave = (0.3 * np.sin(2 * np.pi * tone * t)).astype(np.float32)
            for start in range(0, total, 1024):
                chunk = np.tile(wave[start:start + 1024], (channels, 1))
                frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
                frame.sample_rate, frame.pts = sample_rate, start
                frame.time_base = Fraction(1, sample_rate)
                out.mux(audio.encode(frame))
            out.mux(audio.encode())
    return path
