"""What a finished MP4 holds, and the other forms a page may need it in.

Used by the notebook output (embedded bytes, posters, VS Code's sound) and by
:func:`hailuo_nb.export`; neither needs Jupyter, so this module does not either. PyAV
loads only when a function here needs it.
"""

from __future__ import annotations

import base64
import functools
import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Audio codecs VS Code's Electron plays (no AAC, no MP3 in MP4: vscode #162062).
VSCODE_AUDIO_CODECS = frozenset({"opus", "vorbis", "flac"})


@dataclass(frozen=True)
class VideoInfo:
    """The streams of an MP4: enough to say what a player will do with it."""

    size: int
    video_codec: str
    audio_codec: str  # '' without a sound track
    width: int
    height: int
    seconds: float

    @property
    def has_audio(self) -> bool:
        return bool(self.audio_codec)


def probe(path: Path) -> VideoInfo:
    """Read the container's stream list (no decoding)."""
    stat = path.stat()
    return _probe_cached(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _probe_cached(path: str, mtime_ns: int, size: int) -> VideoInfo:
    import av

    with av.open(path) as container:
        video = next(iter(container.streams.video), None)
        audio = next(iter(container.streams.audio), None)
        seconds = float(container.duration) / 1_000_000 if container.duration else 0.0
        return VideoInfo(
            size=size,
            video_codec=video.codec_context.name if video is not None else "",
            audio_codec=audio.codec_context.name if audio is not None else "",
            width=int(video.codec_context.width) if video is not None else 0,
            height=int(video.codec_context.height) if video is not None else 0,
            seconds=seconds,
        )


def poster_jpeg(path: Path, max_width: int = 640) -> bytes:
    """The first frame as a JPEG no wider than ``max_width`` (a poster for the player).

    JPEG, not PNG: a video frame is photographic. A PIL resize and an optimised PNG took
    ~50 ms of CPU per finished video on top of decoding the frame (most of the kernel's CPU
    while 100 jobs finished); scaling in libswscale and a JPEG take ~3 ms, and a real frame's
    JPEG is a tenth of its PNG in the saved notebook.
    """
    stat = path.stat()
    return _poster_cached(str(path), stat.st_mtime_ns, stat.st_size, max_width)


@functools.lru_cache(maxsize=32)
def _poster_cached(path: str, mtime_ns: int, size: int, max_width: int) -> bytes:
    import av

    with av.open(path) as container:
        frame = next(container.decode(video=0))
        scale: dict[str, int] = {}
        if frame.width > max_width:  # scaled by libswscale while converting: ~1 ms, not PIL's ~25
            scale = {"width": max_width, "height": max(2, round(frame.height * max_width / frame.width))}
        image = frame.to_image(**scale)
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=82)
    return out.getvalue()


def data_url(data: bytes, mime: str) -> str:
    """``data:<mime>;base64,...``."""
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def video_data_url(path: Path) -> str:
    """The MP4 as a data URL (cached for the latest two files: they can be 20 MiB each)."""
    stat = path.stat()
    return _video_data_url_cached(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=2)
def _video_data_url_cached(path: str, mtime_ns: int, size: int) -> str:
    return data_url(Path(path).read_bytes(), "video/mp4")


def base64_chunks(path: Path, chunk: int = 3 * 2**18) -> Iterator[str]:
    """The file's base64 text in pieces (a multiple of 3 bytes each), for streaming writes."""
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            yield base64.b64encode(block).decode("ascii")


def opus_available() -> bool:
    """Whether this PyAV build can encode Opus (its wheels ship libopus)."""
    try:
        import av
    except ImportError:  # pragma: no cover - av is a dependency
        return False
    return "libopus" in av.codecs_available or "opus" in av.codecs_available


def with_opus_audio(path: Path) -> Path:
    """A copy of ``path`` with its sound re-encoded to Opus (the video stream is copied).

    Written once beside the original as ``<name>.opus.mp4`` (atomically), then reused.
    """
    target = path.with_name(path.stem + ".opus.mp4")
    if target.is_file() and target.stat().st_mtime_ns >= path.stat().st_mtime_ns:
        return target
    fd, tmp = tempfile.mkstemp(prefix=".opus-", suffix=".mp4", dir=path.parent)
    os.close(fd)
    try:
        _remux_opus(path, Path(tmp))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _remux_opus(source: Path, target: Path) -> None:
    import av

    encoder = "libopus" if "libopus" in av.codecs_available else "opus"
    with av.open(str(source)) as src, av.open(str(target), "w", format="mp4") as dst:
        vin = src.streams.video[0]
        ain = src.streams.audio[0]
        vout = dst.add_stream_from_template(vin)
        aout: Any = dst.add_stream(encoder, rate=48000)
        aout.layout = "stereo"
        resampler = av.AudioResampler(format="s16" if encoder == "opus" else "flt", layout="stereo",
                                      rate=48000)
        for packet in src.demux(vin, ain):
            if packet.stream is vin:
                if packet.dts is None:
                    continue
                packet.stream = vout
                dst.mux(packet)
                continue
            for frame in packet.decode():
                for resampled in resampler.resample(frame):
                    dst.mux(aout.encode(resampled))
        for resampled in resampler.resample(None):
            dst.mux(aout.encode(resampled))
        dst.mux(aout.encode(None))
