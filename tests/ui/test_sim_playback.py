"""A simulator video plays in headless Chromium, served cross-origin with no credentials;
an H3 clip plays with its audio track."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from hailuo_nb.sim import SimServer

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>sim playback</title></head>
<body style="margin:0;background:#222"><video id="v" src="{src}" muted playsinline preload="auto"
controls></video></body></html>"""


@pytest.fixture
def page_server() -> Iterator[tuple[str, dict[str, str]]]:
    """A tiny loopback server returning `pages["/"]` as HTML."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", pages
    server.shutdown()
    server.server_close()


def finished_video_url(srv: SimServer) -> str:
    """Run one RunAPI job to completion and return its video URL."""
    with httpx.Client(base_url=srv.base_url, verify=False,
                      headers={"Authorization": f"Bearer {srv.api_key}"}) as c:
        task_id = c.post("/api/v1/hailuo/text_to_video", json={
            "model": "hailuo-02-text-to-video-standard", "prompt": "a glass marble rolls "
            "across a wooden desk", "duration_seconds": 6}).json()["id"]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            body = c.get(f"/api/v1/hailuo/text_to_video/{task_id}").json()
            if body["status"] == "completed":
                return str(body["videos"][0]["url"])
            time.sleep(0.02)
    raise AssertionError("the simulated job did not finish")


@pytest.mark.browser
def test_sim_video_plays_in_chromium(chromium_browser, page_server, artifacts_dir):
    base, pages = page_server
    with SimServer(job_seconds=0.05) as srv:
        url = finished_video_url(srv)
        pages["/"] = PAGE.format(src=url)
        page = chromium_browser.new_page(viewport={"width": 480, "height": 300})
        try:
            page.goto(base + "/")
            page.wait_for_function(
                "() => { const v = document.getElementById('v');"
                " return v.readyState >= 2 && v.duration > 0 && v.videoWidth > 0; }",
                timeout=20_000)
            state = page.evaluate("() => { const v = document.getElementById('v');"
                                  " return [v.duration, v.videoWidth, v.videoHeight]; }")
            page.screenshot(path=str(artifacts_dir / "sim_playback.png"))
        finally:
            page.close()
        downloads = [r for r in srv.requests if r.kind == "download"]
    assert state == [6, 342, 192]
    assert downloads and not any(r.has_authorization for r in downloads)
    assert all(r.status in (200, 206) for r in downloads)


def finished_h3_url(srv: SimServer) -> str:
    """Run one MiniMax v2 H3 job to completion and return its video URL."""
    with httpx.Client(base_url=srv.base_url, verify=False,
                      headers={"Authorization": f"Bearer {srv.api_key}"}) as c:
        task_id = c.post("/v2/video_generation", json={
            "model": "MiniMax-H3", "content": [{"type": "text", "text": "rain on a tin roof"}],
            "resolution": "768P", "duration": 4, "ratio": "16:9"}).json()["task_id"]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            task = c.get(f"/v2/query/video_generation/{task_id}").json()["task"]
            if task["status"] == "succeeded":
                return str(task["content"]["url"])
            time.sleep(0.02)
    raise AssertionError("the simulated H3 job did not finish")


AUDIO_STATE = """() => { const v = document.getElementById('v');
  return {duration: v.duration, width: v.videoWidth, height: v.videoHeight,
          audioBytes: v.webkitAudioDecodedByteCount, time: v.currentTime}; }"""


def play_half_a_second(page: Any, base: str) -> dict[str, float]:
    """Load the page's video, play it (muted, as autoplay demands) for 0.5 s, read its state.

    Chromium decodes the audio track of a muted video too, so `webkitAudioDecodedByteCount`
    tells whether the file has a playable soundtrack (captureStream is refused cross-origin).
    """
    page.goto(base + "/")
    page.wait_for_function("() => document.getElementById('v').readyState >= 2",
                           timeout=20_000)
    page.evaluate("() => document.getElementById('v').play()")
    page.wait_for_function("() => document.getElementById('v').currentTime > 0.5",
                           timeout=20_000)
    state: dict[str, float] = page.evaluate(AUDIO_STATE)
    return state


@pytest.mark.browser
def test_h3_clip_plays_with_sound_in_chromium(chromium_browser, page_server, artifacts_dir):
    base, pages = page_server
    with SimServer(job_seconds=0.05) as srv:
        page = chromium_browser.new_page(viewport={"width": 480, "height": 300})
        try:
            pages["/"] = PAGE.format(src=finished_h3_url(srv))
            h3 = play_half_a_second(page, base)
            page.screenshot(path=str(artifacts_dir / "sim_playback_h3.png"))
            pages["/"] = PAGE.format(src=finished_video_url(srv))  # Hailuo 02: silent
            silent = play_half_a_second(page, base)
        finally:
            page.close()
    assert abs(h3["duration"] - 4) <= 0.1 and (h3["width"], h3["height"]) == (170, 96)
    assert h3["audioBytes"] > 0
    assert silent["audioBytes"] == 0 and silent["duration"] == 6
