"""Contact sheets: rows of frames from real clips, labelled."""

from __future__ import annotations

import numpy as np
import pytest
from clips import make_clip
from PIL import Image

from hailuo_nb.errors import ValidationError
from hailuo_nb.film.contact import contact_image, contact_sheet, frame_times, row_label
from hailuo_nb.film.media import probe

RED, GREEN = (200, 40, 40), (40, 200, 40)


def test_a_sheet_has_a_labelled_row_per_clip(tmp_path, artifacts_dir):
    clips = [make_clip(tmp_path / "a.mp4", 2, color=RED), None,
             make_clip(tmp_path / "c.mp4", 3, size=(96, 96), color=GREEN)]
    labels = [row_label(1, "A lighthouse at dusk, waves crash [Pan left]"), row_label(2, "failed"),
              row_label(3, "The keeper climbs the stairs " * 10)]
    out = contact_sheet(clips, tmp_path / "sheet.png", labels=labels, per_clip=3, thumb_width=120)
    image = Image.open(out)
    image.save(artifacts_dir / "film_contact_sheet.png")
    assert image.format == "PNG"
    # 3 columns of 120 px and 4 gaps of 8; rows: 72 px (160x96), 68 (missing, 16:9), 120 (square).
    assert image.size == (3 * 120 + 4 * 8, 3 * (24 + 14 + 8) + 72 + 68 + 120 + 8)
    pixels = np.asarray(image)
    first_row = pixels[8 + 24 + 50]  # below the white progress bar of the first clip
    assert first_row[8 + 60].tolist() == pytest.approx(list(RED), abs=16)
    third_row = pixels[8 + (24 + 72 + 14 + 8) + (24 + 68 + 14 + 8) + 24 + 100]
    assert third_row[8 + 2 * 128 + 60].tolist() == pytest.approx(list(GREEN), abs=16)
    # The label band has text in it (light pixels on the dark background).
    assert pixels[8:8 + 24, 8:300].max() > 200
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "c.mp4", "sheet.png"]


def test_first_middle_and_last_frames(tmp_path):
    info = probe(make_clip(tmp_path / "a.mp4", 2))
    assert frame_times(info, 3) == pytest.approx([0.0, 0.95, 1.9])
    assert frame_times(info, 1) == pytest.approx([0.95])
    image = np.asarray(contact_image([info.path], per_clip=3, thumb_width=160))
    # The clip's white bar grows with the frame number: short, half, full width.
    bar = image[8 + 24 + 5]
    widths = [int((bar[8 + i * 168: 8 + i * 168 + 160].min(axis=1) > 230).sum()) for i in range(3)]
    assert widths[0] < 20 and 70 < widths[1] < 90 and widths[2] >= 158


def test_row_label_shortens_long_prompts():
    assert row_label(3, "  a   dog\nruns ") == "3 · a dog runs"
    label = row_label(12, "x" * 200, limit=20)
    assert label.startswith("12 · ") and label.endswith("…") and len(label) == 5 + 20


@pytest.mark.parametrize("kwargs, field", [
    ({"clips": []}, "clips"), ({"per_clip": 0}, "per_clip"), ({"labels": ["a", "b"]}, "labels")])
def test_bad_arguments(tmp_path, kwargs, field):
    args = {"clips": [make_clip(tmp_path / "a.mp4", 1)], **kwargs}
    with pytest.raises(ValidationError) as info:
        contact_image(args.pop("clips"), **args)
    assert info.value.field == field
