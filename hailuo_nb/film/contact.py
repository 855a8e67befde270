"""A contact sheet: a few frames of every clip in a grid, one labelled row per clip.

One PNG shows a whole storyboard at a glance (and in a README or an email), where a
film has to be watched. Frames are taken evenly from first to last; a missing clip (a
shot that failed) gets a grey row, so rows still line up with shot numbers.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hailuo_nb.errors import ValidationError
from hailuo_nb.film.media import ClipInfo, PathLike, frames_at, probe

_GAP, _BAND, _CAPTION = 8, 24, 14
_BACKGROUND, _TEXT, _DIM = (24, 24, 24), (235, 235, 235), (150, 150, 150)


def row_label(index: int, prompt: str, limit: int = 70) -> str:
    """``"3 · The keeper climbs the stairs…"``: a shot number and the start of its prompt."""
    text = " ".join(prompt.split())
    return f"{index} · {text if len(text) <= limit else text[: limit - 1].rstrip() + '…'}"


def frame_times(info: ClipInfo, count: int) -> list[float]:
    """``count`` times from the first frame to the last one (one: the middle)."""
    last = max(0.0, float(info.duration) - 1 / float(info.fps))
    if count == 1:
        return [last / 2]
    return [last * i / (count - 1) for i in range(count)]


def contact_image(clips: Sequence[PathLike | None], *, labels: Sequence[str] | None = None,
                  per_clip: int = 3, thumb_width: int = 240) -> Any:
    """The sheet as a PIL image (RGB)."""
    from PIL import Image, ImageDraw

    if not clips:
        raise ValidationError("clips", list(clips), "one or more video paths", reason="nothing to show")
    if per_clip < 1 or thumb_width < 16:
        raise ValidationError("per_clip", (per_clip, thumb_width), "per_clip >= 1, thumb_width >= 16")
    labels = list(labels) if labels is not None else [f"{i}" for i in range(1, len(clips) + 1)]
    if len(labels) != len(clips):
        raise ValidationError("labels", len(labels), f"{len(clips)} labels, one per clip")
    rows = [_row(clip, per_clip, thumb_width) for clip in clips]
    width = per_clip * thumb_width + (per_clip + 1) * _GAP
    height = sum(_BAND + row_h + _CAPTION + _GAP for row_h, _ in rows) + _GAP
    sheet = Image.new("RGB", (width, height), _BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    y = _GAP
    for label, (row_h, cells) in zip(labels, rows, strict=True):
        draw.text((_GAP, y + 4), _fit(draw, label, width - 2 * _GAP), font=_font(14), fill=_TEXT)
        y += _BAND
        for i, (thumb, caption) in enumerate(cells):
            x = _GAP + i * (thumb_width + _GAP)
            sheet.paste(thumb, (x, y))
            draw.text((x, y + row_h + 1), caption, font=_font(12), fill=_DIM)
        y += row_h + _CAPTION + _GAP
    return sheet


def contact_sheet(clips: Sequence[PathLike | None], out: PathLike, *, labels: Sequence[str] | None = None,
                  per_clip: int = 3, thumb_width: int = 240) -> Path:
    """Write the sheet as a PNG at ``out`` (atomically) and return its path."""
    image = contact_image(clips, labels=labels, per_clip=per_clip, thumb_width=thumb_width)
    out = Path(out)
    fd, name = tempfile.mkstemp(suffix=".png", prefix=f".{out.stem}-", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            image.save(fh, format="PNG", optimize=True)
        os.replace(name, out)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return out


def _row(clip: PathLike | None, count: int, thumb_width: int) -> tuple[int, list[tuple[Any, str]]]:
    """The row's thumbnail height and its (thumbnail, caption) cells."""
    from PIL import Image

    if clip is None:
        height = round(thumb_width * 9 / 16)
        blank = Image.new("RGB", (thumb_width, height), (70, 70, 70))
        return height, [(blank, "no video")] + [(blank, "")] * (count - 1)
    info = probe(clip)
    height = max(1, round(thumb_width * info.height / info.width))
    times = frame_times(info, count)
    cells = [(frame.to_image().convert("RGB").resize((thumb_width, height), Image.Resampling.LANCZOS),
              f"{t:.1f} s") for frame, t in zip(frames_at(info, times), times, strict=True)]
    return height, cells


def _font(size: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except (TypeError, ValueError, OSError):  # Pillow without FreeType: one fixed size
        return ImageFont.load_default()


def _fit(draw: Any, text: str, width: int) -> str:
    """The text, shortened with an ellipsis until it fits ``width`` pixels."""
    font = _font(14)
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"
