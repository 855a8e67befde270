"""A stitched film (copied and re-encoded, with sound) plays in headless Chromium."""

from __future__ import annotations

import pytest
from clips import make_clip

from hailuo_nb.film.stitch import stitch

PAGE = """<!doctype html><html><body style="margin:0">
<video id="v" src="{src}" muted playsinline preload="auto"></video></body></html>"""

STATE = """() => { const v = document.getElementById('v');
  return {ready: v.readyState, duration: v.duration, width: v.videoWidth, height: v.videoHeight,
          time: v.currentTime, ended: v.ended, audio: v.webkitAudioDecodedByteCount,
          frames: v.webkitDecodedFrameCount, error: v.error && v.error.code}; }"""


@pytest.mark.browser
@pytest.mark.parametrize("fade", [0.0, 0.3])
def test_a_stitched_film_plays_to_the_end_with_sound(tmp_path, chromium_browser, fade):
    clips = [make_clip(tmp_path / "a.mp4", 1, tone=440), make_clip(tmp_path / "b.mp4", 1),
             make_clip(tmp_path / "c.mp4", 1, size=(96, 96) if fade else (160, 96), tone=660)]
    film = stitch(clips, tmp_path / "film.mp4", fade=fade)
    assert film.video == ("encode" if fade else "copy")
    page_path = tmp_path / "page.html"
    page_path.write_text(PAGE.format(src=film.path.name))
    page = chromium_browser.new_page()
    try:
        page.goto(page_path.as_uri())
        page.wait_for_function("() => document.getElementById('v').readyState >= 2", timeout=20_000)
        page.evaluate("() => { const v = document.getElementById('v'); v.playbackRate = 4; v.play(); }")
        page.wait_for_function("() => document.getElementById('v').ended", timeout=20_000)
        state = page.evaluate(STATE)
    finally:
        page.close()
    assert state["error"] is None
    assert state["duration"] == pytest.approx(film.duration, abs=0.05)
    assert (state["width"], state["height"]) == film.size
    assert state["frames"] >= round(film.duration * 10) - 1
    assert state["audio"] > 0
