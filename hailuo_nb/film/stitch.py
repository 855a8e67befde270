"""One film from many clips: stream copy when they match, re-encode when they do not.

- Video is copied packet for packet when every clip is H.264 4:2:0 with the same size,
  frame rate, time base and codec setup, and there is no cross-fade; otherwise every
  clip is decoded, fitted to one size (letterboxed, aspect kept) and encoded once with
  libx264 (yuv420p: what browsers play).
- Sound is always decoded and encoded once as AAC. Copying AAC packets cannot cut on a
  video frame (1024-sample packets), so every cut would shift the sound a little; built
  per clip to the clip's exact length, the track stays in sync and continuous, with
  silence under clips that have none. No clip with sound, no audio stream.
- The file is written beside ``out`` and renamed into place, with its index at the
  front (``+faststart``) so a browser can start playing before it has all of it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from hailuo_nb.errors import ValidationError
from hailuo_nb.film.media import (
    ClipInfo,
    PathLike,
    even,
    frames_at,
    letterbox,
    open_clip,
    probe,
    samples,
)

_AAC_FRAME = 1024


@dataclass(frozen=True)
class Film:
    """What :func:`stitch` wrote."""

    path: Path
    duration: float  #: seconds
    video: Literal["copy", "encode"]  #: whether the clips' video packets were copied
    audio: bool  #: whether the film has a sound track
    cuts: tuple[float, ...]  #: where each clip starts in the film, seconds
    size: tuple[int, int]
    fps: Fraction


def can_copy(infos: Sequence[ClipInfo], size: tuple[int, int] | None = None, fade: float = 0) -> bool:
    """Whether the clips' video packets can be joined as they are."""
    first = infos[0]
    same = all(
        (c.codec, c.width, c.height, c.pix_fmt, c.fps, c.time_base, c.extradata)
        == (first.codec, first.width, first.height, first.pix_fmt, first.fps, first.time_base,
            first.extradata)
        for c in infos
    )
    fits = size is None or size == (first.width, first.height)
    return same and fits and first.codec == "h264" and first.pix_fmt == "yuv420p" and (
        fade == 0 or len(infos) == 1)


def stitch(
    clips: Sequence[PathLike],
    out: PathLike,
    *,
    fade: float = 0.0,
    size: tuple[int, int] | None = None,
    fps: float | Fraction | None = None,
    crf: int = 20,
    preset: str = "veryfast",
) -> Film:
    """Join ``clips`` into one MP4 at ``out``; ``fade`` seconds of cross-fade between clips.

    Without a fade the film lasts the sum of the clips; with one, ``(n - 1) * fade`` less.
    ``size`` and ``fps`` default to the first clip's. Returns what was written.
    """
    if not clips:
        raise ValidationError("clips", list(clips), "one or more video paths", reason="nothing to stitch")
    infos = [probe(c) for c in clips]
    target = _size(size, infos[0])
    rate = Fraction(fps).limit_denominator(1001) if fps else infos[0].fps
    _check_fade(fade, infos)
    copy = can_copy(infos, target, fade) and rate == infos[0].fps
    out = Path(out)
    fd, name = tempfile.mkstemp(suffix=".mp4", prefix=f".{out.stem}-", dir=out.parent)
    os.close(fd)
    try:
        film = _write(Path(name), infos, copy, target, rate, fade, {"crf": str(crf), "preset": preset})
        os.replace(name, out)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Film(out, film.duration, film.video, film.audio, film.cuts, film.size, film.fps)


def _size(size: tuple[int, int] | None, first: ClipInfo) -> tuple[int, int]:
    if size is None:
        return first.width, first.height
    if len(size) != 2 or min(size) <= 0:
        raise ValidationError("size", size, "(width, height), both positive")
    return even(size[0]), even(size[1])


def _check_fade(fade: float, infos: Sequence[ClipInfo]) -> None:
    shortest = min(float(i.duration) for i in infos)
    if fade < 0 or (len(infos) > 1 and fade > shortest / 2):
        raise ValidationError("fade", fade, f"0 to {shortest / 2:.2f} seconds",
                              reason="a cross-fade takes at most half of the shortest clip")


def _write(path: Path, infos: Sequence[ClipInfo], copy: bool, size: tuple[int, int], rate: Fraction,
           fade: float, x264: dict[str, str]) -> Film:
    import av

    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        stream = _video_stream(out, infos[0], copy, size, rate, x264)
        sound = next((i.audio.sample_rate for i in infos if i.audio), None)
        track = _Sound(out, sound) if sound else None  # after the video: video is stream 0
        if copy:
            cuts, end = _copy_video(out, stream, infos, track)
        else:
            cuts, end = _encode_video(out, stream, infos, track, size, rate, fade)
        if track is not None:
            track.close()
    return Film(path, float(end), "copy" if copy else "encode", track is not None,
                tuple(float(c) for c in cuts), size, rate)


def _video_stream(out: Any, first: ClipInfo, copy: bool, size: tuple[int, int], rate: Fraction,
                  x264: dict[str, str]) -> Any:
    if copy:
        with open_clip(first.path) as src:
            return out.add_stream_from_template(src.streams.video[0])
    stream = out.add_stream("libx264", rate=rate, options=x264)
    stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
    return stream


def _copy_video(out: Any, stream: Any, infos: Sequence[ClipInfo],
                track: _Sound | None) -> tuple[list[Fraction], Fraction]:
    offset, cuts = 0, []
    for info in infos:
        cuts.append(offset * info.time_base)
        with open_clip(info.path) as src:
            video = src.streams.video[0]
            for packet in src.demux(video):
                if packet.pts is None or packet.size == 0:
                    continue
                packet.pts += offset - info.start
                packet.dts = None if packet.dts is None else packet.dts + offset - info.start
                packet.stream = stream
                out.mux(packet)
        offset += info.ticks
        if track is not None:
            track.clip(info, offset * info.time_base)
    return cuts, offset * infos[0].time_base


def _frame_counts(infos: Sequence[ClipInfo], rate: Fraction) -> list[int]:
    """Frames per clip on the film's grid, rounded on the running total so nothing drifts."""
    counts, total, done = [], Fraction(0), 0
    for info in infos:
        total += info.duration
        end = max(done + 1, round(total * rate))
        counts.append(end - done)
        done = end
    return counts


def _encode_video(out: Any, stream: Any, infos: Sequence[ClipInfo], track: _Sound | None,
                  size: tuple[int, int], rate: Fraction, fade: float) -> tuple[list[Fraction], Fraction]:
    import av
    import numpy as np

    counts = _frame_counts(infos, rate)
    overlap = min(round(fade * rate), min(counts) // 2) if len(infos) > 1 else 0
    if track is not None:
        track.fade = round(Fraction(overlap) / rate * track.rate)
    written, cuts = 0, []
    tail: list[Any] = []

    def emit(picture: Any) -> None:
        nonlocal written
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
        frame.pts, frame.time_base = written, 1 / rate
        out.mux(stream.encode(frame))
        written += 1

    for i, (info, count) in enumerate(zip(infos, counts, strict=True)):
        cuts.append(Fraction(written) / rate)
        hold_from = count - overlap if i < len(infos) - 1 else count
        held: list[Any] = []
        for j, picture in enumerate(_pictures(info, count, rate, size)):
            if j < len(tail):  # this clip's head fades in over the last clip's tail
                alpha = (j + 1) / (len(tail) + 1)
                picture = (tail[j] * (1 - alpha) + picture * alpha).astype(np.uint8)
            if j >= hold_from:
                held.append(picture)
            else:
                emit(picture)
        tail = held
        if track is not None:
            track.clip(info, Fraction(written + len(held)) / rate)
    out.mux(stream.encode())
    return cuts, Fraction(written) / rate


def _pictures(info: ClipInfo, count: int, rate: Fraction, size: tuple[int, int]) -> Iterator[Any]:
    """``count`` RGB pictures of the clip on the film's frame grid (nearest source frame)."""
    previous, picture = None, None
    for frame in frames_at(info, [float(j / rate) for j in range(count)]):
        if frame is not previous:
            picture, previous = letterbox(frame, *size), frame
        yield picture


class _Sound:
    """The film's one AAC track, built clip by clip to the video's cut points."""

    def __init__(self, out: Any, rate: int) -> None:
        self.out, self.rate, self.fade = out, rate, 0
        self.stream = out.add_stream("aac", rate=rate, layout="stereo")
        self.done = 0  # samples handed to the encoder (the next frame's pts)
        self.length = 0  # samples written so far, the track's end in film time
        self.pending: Any = None  # samples waiting to fill a whole AAC frame
        self.tail: Any = None  # the last clip's fade-out, mixed into the next one's start

    def clip(self, info: ClipInfo, end: Fraction) -> None:
        """Add ``info``'s sound from where the track is to ``end`` (film seconds).

        Its first samples mix with the held fade-out of the clip before; its own last
        ``fade`` samples are held back for the next clip (or :meth:`close`).
        """
        import numpy as np

        sound = samples(info, self.rate, round(end * self.rate) - self.length)
        if self.tail is not None:
            held = self.tail.shape[1]
            ramp = (np.arange(held, dtype=np.float32) + 1) / (held + 1)
            sound[:, :held] = self.tail * (1 - ramp) + sound[:, :held] * ramp
        cut = sound.shape[1] - self.fade
        self.tail = sound[:, cut:] if self.fade else None
        self._write(sound[:, :cut])

    def _write(self, sound: Any) -> None:
        import numpy as np

        self.length += sound.shape[1]
        if self.pending is not None:
            sound = np.concatenate([self.pending, sound], axis=1)
        whole = sound.shape[1] - sound.shape[1] % _AAC_FRAME
        for start in range(0, whole, _AAC_FRAME):
            self._encode(sound[:, start : start + _AAC_FRAME])
        self.pending = sound[:, whole:]

    def _encode(self, chunk: Any) -> None:
        import av
        import numpy as np

        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="fltp", layout="stereo")
        frame.sample_rate, frame.pts, frame.time_base = self.rate, self.done, Fraction(1, self.rate)
        self.out.mux(self.stream.encode(frame))
        self.done += chunk.shape[1]

    def close(self) -> None:
        """Encode what is left (the last, short frame) and flush the encoder."""
        if self.tail is not None:  # the last clip's end, held in case another clip followed
            self._write(self.tail)
            self.tail = None
        if self.pending is not None and self.pending.shape[1]:
            self._encode(self.pending)
        self.out.mux(self.stream.encode())
