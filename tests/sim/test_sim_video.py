"""The MP4 renderer itself: size rules, frame counts, determinism, speed."""

from __future__ import annotations

import io
import time

import pytest

from hailuo_nb.sim.video import RenderSpec, frame_size, image_info, render_mp4


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
