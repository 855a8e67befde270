"""The MP4 renderer itself: size rules, frame counts, determinism, speed."""

from __future__ import annotations

import io
import time

import pytest

from hailuo_nb.sim.video import H3_FPS, RenderSpec, frame_size, image_info, render_mp4, soundtrack


@pytest.mark.parametrize("resolution, aspect, size", [
    ("768P", None, (342, 192)), ("1080P", None, (480, 270)), ("512P", None, (228, 128)),
    ("720P", None, (320, 180)), ("768p", 1.0, (192, 192)), ("768P", 9 / 16, (192, 342)),
    ("768P", 10.0, (480, 192)),  # clamped to 5:2
])
def test_frame_size(resolution, aspect, size):
    assert frame_size(resolution, aspect) == size


@pytest.mark.parametrize("width, height", [
    (342, 192),  # the 768P 16:9 clip of issue 15: 342 * 3 bytes per RGB row is unaligned
    (341, 191),  # odd sides: edge-padded to 342x192
    (308, 192), (228, 128), (170, 96), (330, 186),
])
def test_render_is_deterministic_and_fast(decode, width, height):
    spec = RenderSpec("a glass marble rolls across a desk " * 10, 6, width, height,
                      "MiniMax-Hailuo-02")
    render_mp4(RenderSpec("warm up imports", 1, 64, 64))
    start = time.process_time()  # CPU time: other processes on the machine do not count
    first = render_mp4(spec)
    elapsed = time.process_time() - start
    for _ in range(3):
        assert render_mp4(spec) == first  # byte-identical, no cache involved
    even = (width + width % 2, height + height % 2)
    info = decode(first)
    assert (info.frames, info.seconds, info.width, info.height) == (60, 6.0, *even)
    assert first[4:8] == b"ftyp" and 0 < first.find(b"moov") < first.find(b"mdat")  # faststart
    assert elapsed < 1.0, f"6 s render took {elapsed:.3f} s of CPU"
    assert len(first) < 200_000


@pytest.mark.parametrize("width", [342, 341, 330])
def test_no_stripe_down_the_left_edge(width):
    """The leftmost columns look like their neighbours (stale row padding drew a stripe)."""
    import av
    import numpy as np

    data = render_mp4(RenderSpec("", 1, width, 192))
    with av.open(io.BytesIO(data)) as c:
        frames = [f.to_ndarray(format="rgb24").astype(int) for f in c.decode(video=0)]
    for frame in frames[len(frames) // 3 : 2 * len(frames) // 3]:  # the bar is mid-screen
        rows = frame[60:150]  # below the prompt box, above the label and progress line
        assert np.abs(rows[:, :2] - rows[:, 4:6]).max() < 16
        assert np.abs(rows[:, -2:] - rows[:, -6:-4]).max() < 16


def test_motion_between_frames():
    import av
    import numpy as np

    data = render_mp4(RenderSpec("motion", 2, 228, 128))
    with av.open(io.BytesIO(data)) as c:
        frames = [f.to_ndarray(format="rgb24").astype(int) for f in c.decode(video=0)]
    assert len(frames) == 20
    assert np.abs(frames[0] - frames[10]).mean() > 1.0


def test_unreadable_first_frame_falls_back(decode, image_bytes):
    broken = render_mp4(RenderSpec("x", 1, 228, 128, first_frame=b"not an image"))
    assert decode(broken).frames == 10
    assert image_info(image_bytes(320, 200, (1, 2, 3))) == (320, 200, "PNG")
    with pytest.raises(ValueError):
        image_info(b"nope")


@pytest.mark.parametrize("resolution, divisor, size", [
    ("2K", 4, (640, 360)), ("2K", 8, (320, 180)), ("768P", 8, (170, 96)), ("480P", 8, (106, 60)),
])
def test_frame_size_h3(resolution, divisor, size):
    assert frame_size(resolution, None, divisor) == size


def test_h3_render_has_sound_is_deterministic_and_fast(probe_streams):
    width, height = frame_size("2K", 16 / 9, 8)
    spec = RenderSpec("thunder over a wheat field", 15, width, height, "MiniMax-H3",
                      fps=H3_FPS, audio=True)
    render_mp4(RenderSpec("warm up", 1, 64, 64, fps=H3_FPS, audio=True))
    start = time.process_time()
    first = render_mp4(spec)
    elapsed = time.process_time() - start
    assert render_mp4(spec) == first
    info = probe_streams(first)
    assert info["video"].rate == 24 and (info["video"].width, info["video"].height) == (320, 180)
    assert (info["audio"].codec, info["audio"].rate, info["audio"].channels) == ("aac", 32000, 2)
    assert abs(info["video"].seconds - 15) <= 0.1 and abs(info["audio"].seconds - 15) <= 0.1
    assert elapsed < 1.0, f"15 s H3 render took {elapsed:.3f} s of CPU"
    silent = render_mp4(RenderSpec("no sound", 2, 170, 96, fps=H3_FPS))
    assert "audio" not in probe_streams(silent)


def test_soundtrack_is_audible_stereo():
    import numpy as np

    track = soundtrack(4)
    assert track.shape == (2, 4 * 32000) and track.dtype == np.float32
    assert float(np.abs(track).mean()) > 0.05 and float(np.abs(track).max()) <= 1.0
    assert not np.array_equal(track[0], track[1])  # left and right differ
