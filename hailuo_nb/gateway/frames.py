"""Frames taken from downloaded videos: "extend a clip" = its last frame as the next first frame."""

from __future__ import annotations

import io
from pathlib import Path


def last_frame_png(video: Path) -> bytes:
    """The last decodable frame of ``video`` as PNG bytes."""
    import av

    last = None
    with av.open(str(video)) as container:
        for frame in container.decode(video=0):
            last = frame
    if last is None:
        raise ValueError(f"{video.name} has no video frames")
    image = last.to_image()
    if min(image.size) <= 300:  # simulator videos are small; MiniMax wants a short side over 300 px
        scale = 320 / min(image.size)
        size = (round(image.width * scale + 0.5), round(image.height * scale + 0.5))
        image = image.resize(size)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
