"""Frame-image rules at their exact boundaries (docs/protocols.md §1.2; H3 §11 through ImageLimits)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

import hailuo_nb
from hailuo_nb.errors import ValidationError
from hailuo_nb.gateway.catalog import H3_IMAGES, V1_IMAGES
from hailuo_nb.gateway.images import MINIMAX_IMAGE_LIMITS, ImageLimits, load_frame

MiB = 1 << 20
H3 = ImageLimits.of(H3_IMAGES)  # the catalog's H3 data (§11: each side 256–5760 px, at most 30 MB)


def image(width: int, height: int, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(buffer, format=fmt)
    return buffer.getvalue()


def padded_png(size: int) -> bytes:
    """A valid 640x360 PNG of exactly ``size`` bytes (an ancillary chunk makes up the rest)."""
    import struct
    import zlib

    base = image(640, 360)
    filler = size - len(base) - 12  # a chunk: 4 length + 4 type + data + 4 crc
    data = b"\0" * filler
    chunk = struct.pack(">I", filler) + b"teXt" + data + struct.pack(">I", zlib.crc32(b"teXt" + data))
    end = base.rindex(b"IEND") - 4
    padded = base[:end] + chunk + base[end:]
    assert len(padded) == size
    return padded


def refused(data: bytes, limits: ImageLimits = MINIMAX_IMAGE_LIMITS) -> str | None:
    try:
        load_frame(data, "first_frame", limits)
    except ValidationError as exc:
        assert exc.field == "first_frame"
        return str(exc)
    return None


@pytest.mark.parametrize("short, ok", [(299, False), (300, False), (301, True)])
@pytest.mark.parametrize("landscape", [True, False])
def test_minimax_short_side_must_be_more_than_300(short, ok, landscape):
    size = (short * 16 // 9, short) if landscape else (short, short * 16 // 9)
    why = refused(image(*size))
    assert (why is None) == ok, why
    if not ok:
        assert "more than 300 px" in why


@pytest.mark.parametrize("size, ok", [
    ((400, 1000), True),    # exactly 2:5
    ((1000, 400), True),    # exactly 5:2
    ((399, 1000), False),   # just taller than 2:5
    ((1001, 400), False),   # just wider than 5:2
])
def test_minimax_aspect_ratio_is_inclusive_at_2_5_and_5_2(size, ok):
    why = refused(image(*size))
    assert (why is None) == ok, why
    if not ok:
        assert "aspect ratio" in why and f"{size[0]}x{size[1]}" in why


@pytest.mark.parametrize("size, ok", [(20 * MiB - 1, True), (20 * MiB, False), (20 * MiB + 1, False)])
def test_minimax_files_must_be_under_20_mb(tmp_path, size, ok):
    data = padded_png(size)
    assert (refused(data) is None) == ok
    path = tmp_path / "frame.png"
    path.write_bytes(data)
    try:
        load_frame(str(path), "first_frame")
        assert ok
    except ValidationError as exc:
        assert not ok and "under 20 MB" in str(exc)


@pytest.mark.parametrize("fmt, ok", [("JPEG", True), ("PNG", True), ("WEBP", True), ("GIF", False),
                                     ("BMP", False), ("TIFF", False)])
def test_minimax_formats(fmt, ok):
    why = refused(image(640, 360, fmt))
    assert (why is None) == ok, why
    if not ok:
        assert "JPG, PNG or WebP" in why


@pytest.mark.parametrize("size, ok", [
    ((255, 400), False), ((256, 400), True), ((5760, 3000), True), ((5761, 3000), False),
    ((256, 640), True), ((255, 638), False),  # ratio 0.4 exactly at the smallest side
])
def test_limits_passed_in_are_used_h3(size, ok):
    why = refused(image(*size), H3)
    assert (why is None) == ok, why


def test_h3_bytes_are_at_most_30_mb():
    assert H3.size_problem(30 * MiB) is None and H3.size_problem(30 * MiB + 1)
    assert MINIMAX_IMAGE_LIMITS.size_problem(20 * MiB) and MINIMAX_IMAGE_LIMITS.size_problem(20 * MiB - 1) is None


def test_generate_refuses_a_300_px_frame_before_sending(monkeypatch):
    from hailuo_nb.sim import SimServer

    with SimServer() as sim:
        for name, value in sim.env("minimax").items():
            monkeypatch.setenv(name, value)
        with pytest.raises(ValidationError) as caught:
            hailuo_nb.generate("a kite", model="hailuo-02-image-to-video-pro", first_frame=image(533, 300),
                               wait=False)
        assert caught.value.field == "first_frame" and sim.count() == 0


def test_a_frame_taken_from_a_small_simulator_clip_passes(tmp_path):
    """Extending a clip: the 342x192 simulator frame is scaled above the 300 px limit."""
    from hailuo_nb.gateway.frames import last_frame_png
    from hailuo_nb.sim.video import RenderSpec, render_mp4

    video = tmp_path / "clip.mp4"
    video.write_bytes(render_mp4(RenderSpec("extend me", 1, 342, 192, fps=4)))
    frame = load_frame(last_frame_png(video), "first_frame")
    assert frame.width is not None and frame.height is not None
    assert min(frame.width, frame.height) > 300


def test_the_catalog_rules_become_the_checks():
    assert ImageLimits.of(V1_IMAGES) is MINIMAX_IMAGE_LIMITS


@pytest.mark.parametrize("model, size, ok", [
    ("hailuo-02-image-to-video-pro", (480, 280), False),  # v1: short side must be more than 300 px
    ("hailuo-h3-image-to-video", (480, 280), True),  # H3: each side 256–5760 px
    ("hailuo-h3-image-to-video", (5800, 3000), False),
])
@pytest.mark.parametrize("preloaded", [False, True], ids=["bytes", "loaded-earlier"])
def test_generate_checks_frames_by_the_model_s_own_rules(monkeypatch, model, size, ok, preloaded):
    """Also a frame loaded earlier under v1's limits (as the form loads a picked file)."""
    from hailuo_nb.sim import SimServer

    with SimServer() as sim:
        for name, value in sim.env("minimax").items():
            monkeypatch.setenv(name, value)
        frame = image(*size)
        if preloaded:
            frame = load_frame(frame, "first_frame", ImageLimits(min_short_side=0))  # v1 sizes, short side aside
        if ok:
            gen = hailuo_nb.generate("a kite", model=model, first_frame=frame, wait=False)
            gen.cancel()
        else:
            with pytest.raises(ValidationError) as caught:
                hailuo_nb.generate("a kite", model=model, first_frame=frame, wait=False)
            assert caught.value.field == "first_frame" and sim.count() == 0
