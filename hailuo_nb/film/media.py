"""Reading clips with PyAV: what a clip is (``probe``), its pictures and its sound.

Shared by ``stitch`` and ``contact``. Durations come from the video packets themselves
(first presentation time to the end of the last frame), not from container headers,
because a film is cut on video frames and its sound follows them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from hailuo_nb.errors import ValidationError

#: What ``clips`` may be: readable video files.
CLIP_KINDS = "paths of readable video files (MP4, H.264 + AAC)"
PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class AudioInfo:
    """A clip's first audio stream."""

    codec: str
    sample_rate: int
    channels: int


@dataclass(frozen=True)
class ClipInfo:
    """A clip's first video stream (and its audio) as far as stitching cares."""

    path: Path
    codec: str
    width: int
    height: int
    pix_fmt: str
    fps: Fraction
    time_base: Fraction
    start: int  #: first presentation time, in ``time_base`` ticks
    ticks: int  #: duration, in ``time_base`` ticks
    extradata: bytes  #: codec setup (SPS/PPS); streams copy together only when equal
    audio: AudioInfo | None

    @property
    def duration(self) -> Fraction:
        """Seconds, exactly."""
        return self.ticks * self.time_base


def open_clip(path: PathLike) -> Any:
    """``av.open`` for reading; ValidationError naming the file when it is not a video."""
    import av

    try:
        return av.open(os.fspath(path))
    except (av.FFmpegError, OSError) as exc:
        raise ValidationError("clips", os.fspath(path), CLIP_KINDS, reason=f"cannot be read: {exc}") from exc


def probe(path: PathLike) -> ClipInfo:
    """Stream facts and the exact video duration of one clip (demuxes, does not decode)."""
    with open_clip(path) as src:
        if not src.streams.video:
            raise ValidationError("clips", os.fspath(path), CLIP_KINDS, reason="has no video stream")
        video = src.streams.video[0]
        ctx = video.codec_context
        first, end = None, None
        for packet in src.demux(video):
            if packet.pts is None:
                continue
            first = packet.pts if first is None else min(first, packet.pts)
            stop = packet.pts + (packet.duration or 0)
            end = stop if end is None else max(end, stop)
        if first is None or end is None or end <= first:
            raise ValidationError("clips", os.fspath(path), CLIP_KINDS, reason="has no video frames")
        audio = None
        if src.streams.audio:
            a = src.streams.audio[0].codec_context
            audio = AudioInfo(a.name, a.sample_rate, a.layout.nb_channels)
        rate = video.average_rate or video.guessed_rate or Fraction(25)
        return ClipInfo(Path(path), ctx.name, ctx.width, ctx.height, ctx.pix_fmt or "", Fraction(rate),
                        Fraction(video.time_base), first, end - first, bytes(ctx.extradata or b""), audio)


def even(x: float) -> int:
    """The nearest even size of at least 2 (H.264 4:2:0 needs even sides)."""
    return max(2, int(x / 2 + 0.5) * 2)


def letterbox(frame: Any, width: int, height: int) -> Any:
    """An RGB array of ``width`` x ``height``: the frame scaled to fit, centred on black."""
    import numpy as np

    if (frame.width, frame.height) == (width, height):
        return frame.to_ndarray(format="rgb24")
    scale = min(width / frame.width, height / frame.height)
    w, h = min(width, even(frame.width * scale)), min(height, even(frame.height * scale))
    picture = frame.reformat(width=w, height=h, format="rgb24").to_ndarray()
    canvas = np.zeros((height, width, 3), np.uint8)
    top, left = (height - h) // 2, (width - w) // 2
    canvas[top : top + h, left : left + w] = picture
    return canvas


def _times(src: Any, video: Any) -> Iterator[tuple[float, Any]]:
    for frame in src.decode(video):
        if frame.pts is not None:
            yield float(frame.pts * video.time_base), frame


def frames_at(info: ClipInfo, times: Sequence[float]) -> Iterator[Any]:
    """For each time (seconds from the clip's start, ascending), the nearest decoded frame."""
    with open_clip(info.path) as src:
        video = src.streams.video[0]
        video.thread_type = "AUTO"
        decoded = _times(src, video)
        origin = float(info.start * info.time_base)
        current = next(decoded, None)
        if current is None:
            raise ValidationError("clips", str(info.path), CLIP_KINDS, reason="no frame decodes")
        upcoming = next(decoded, None)
        for t in times:
            target = origin + t
            while upcoming is not None and abs(upcoming[0] - target) <= abs(current[0] - target):
                current, upcoming = upcoming, next(decoded, None)
            yield current[1]


def samples(info: ClipInfo, rate: int, count: int) -> Any:
    """Exactly ``count`` stereo float samples of the clip's sound at ``rate`` (silence if none).

    Sound before the first video frame is dropped, a late start is padded, and the end is
    cut or padded to the video's length, so sound and picture stay together at every cut.
    """
    import av
    import numpy as np

    out = np.zeros((2, count), np.float32)
    if info.audio is None or count <= 0:
        return out
    chunks: list[Any] = []
    with open_clip(info.path) as src:
        stream = src.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=rate)
        lead: float | None = None
        for frame in src.decode(stream):
            if lead is None and frame.pts is not None:
                lead = float(frame.pts * stream.time_base - info.start * info.time_base)
            chunks.extend(f.to_ndarray() for f in resampler.resample(frame))
        chunks.extend(f.to_ndarray() for f in resampler.resample(None))
    if not chunks:
        return out
    sound = np.concatenate(chunks, axis=1)
    skip = round((lead or 0.0) * rate)
    sound, at = (sound[:, -skip:], 0) if skip < 0 else (sound, skip)
    n = max(0, min(count - at, sound.shape[1]))
    out[:, at : at + n] = sound[:, :n]
    return out
