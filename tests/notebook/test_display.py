"""The saved output of a generation, and the widget → video display path in-process."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from IPython.core.displaypub import CapturingDisplayPublisher

import hailuo_nb
from hailuo_nb.errors import ContentPolicyError
from hailuo_nb.notebook import bundles, display

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def finished(tmp_path: Path, **over: Any) -> SimpleNamespace:
    video = tmp_path / "hailuo_videos" / "123.mp4"
    video.parent.mkdir(parents=True, exist_ok=True)
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    base = dict(
        id="g1",
        prompt="a kite",
        model="hailuo-02-text-to-video-pro",
        provider="sim",
        duration=6,
        resolution="1080p",
        price=None,
        cost_usd=0.49,
        task_id="123",
        status="succeeded",
        video_path=video,
        video_url="http://127.0.0.1:9/v.mp4",
        error=None,
        done=True,
        reused=False,
    )
    base.update(over)
    return SimpleNamespace(**base)


def test_video_is_referenced_relative_to_the_notebook_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bundle = display.video_bundle(finished(tmp_path))
    assert '<video src="hailuo_videos/123.mp4" controls loop muted playsinline' in bundle["text/html"]
    assert "hailuo_videos/123.mp4" in bundle["text/plain"]
    for part in ("a kite", "hailuo-02-text-to-video-pro", "6 s", "1080p", "$0.49", "task 123"):
        assert part in bundle["text/html"]


def test_embed_puts_the_bytes_in(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    gen = finished(tmp_path)
    bundle = display.video_bundle(gen, embed=True)
    src = bundle["text/html"].split('src="', 1)[1].split('"', 1)[0]
    assert src.startswith("data:video/mp4;base64,")
    assert base64.b64decode(src.split(",", 1)[1]) == gen.video_path.read_bytes()


def test_outside_the_notebook_folder_small_files_are_embedded(tmp_path, monkeypatch):
    (tmp_path / "nb").mkdir()
    monkeypatch.chdir(tmp_path / "nb")
    assert "data:video/mp4;base64," in display.video_bundle(finished(tmp_path))["text/html"]
    monkeypatch.setattr(bundles, "EMBED_LIMIT_BYTES", 10)
    html_out = display.video_bundle(finished(tmp_path))["text/html"]
    assert 'src="http://127.0.0.1:9/v.mp4"' in html_out  # the remote URL, as a last resort
    html_out = display.video_bundle(finished(tmp_path, video_url=None))["text/html"]
    assert "<video" not in html_out and "--embed" in html_out


def test_user_text_is_escaped(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    evil = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    bundle = display.video_bundle(finished(tmp_path, prompt=evil))
    assert "<script>" not in bundle["text/html"] and html.escape(evil) in bundle["text/html"]
    error = ContentPolicyError(f"refused: {evil}", provider="sim", task_id="9")
    failed = finished(tmp_path, status="failed", error=error, prompt=evil, video_path=None)
    out = display.video_bundle(failed)["text/html"]
    assert "<script>" not in out and "<img" not in out and "<video" not in out
    assert "ContentPolicyError" in out and html.escape(error.hint) in out


def test_cancelled_says_so(tmp_path):
    out = display.video_bundle(finished(tmp_path, status="cancelled", video_path=None))
    assert "Cancelled." in out["text/html"] and "cancelled" in out["text/plain"]


def test_mimebundle_of_a_finished_generation_filters(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    gen = finished(tmp_path)
    assert set(display.generation_mimebundle(gen)) == {"text/html", "text/plain"}
    assert set(display.generation_mimebundle(gen, include={"text/plain"})) == {"text/plain"}
    assert set(display.generation_mimebundle(gen, exclude={"text/html"})) == {"text/plain"}


def test_mimebundle_while_running_without_a_kernel_is_text(tmp_path):
    gen = finished(tmp_path, status="running", done=False, video_path=None)
    assert display.generation_mimebundle(gen) == {"text/plain": display.status_line(gen)}


# ---------------------------------------------------------------- widget mode in-process


@pytest.fixture
def widget_ip(ip: Any) -> Any:
    """The shell with the widget front-end forced and display messages recorded."""
    magics = ip.magics_manager.registry["HailuoMagics"]
    magics.frontend = "widget"
    saved = ip.display_pub
    ip.display_pub = CapturingDisplayPublisher()
    try:
        yield ip
    finally:
        ip.display_pub = saved
        magics.frontend = "auto"


def test_widget_then_video_update_under_the_same_display_id(widget_ip, sim):
    ip = widget_ip
    ip.run_cell("%%hailuo --out gw\na <b>bold</b> heron", store_history=False)
    gen = ip.user_ns["gw"]
    [handle] = display.shown(gen)
    widget = handle.widget
    seen: list[str] = []
    widget.observe(lambda change: seen.append(change["new"]), names="status")
    gen.wait(15)
    outputs = ip.display_pub.outputs
    first, last = outputs[0], outputs[-1]
    assert WIDGET_MIME in first["data"] and not first["update"]
    assert first["transient"] == {"display_id": handle.display_id}
    assert last["update"] and last["transient"] == {"display_id": handle.display_id}
    assert "<video" in last["data"]["text/html"]
    assert "&lt;b&gt;bold&lt;/b&gt;" in last["data"]["text/html"]
    assert "succeeded" in seen or widget.status == "succeeded"
    assert widget.comm is None or not widget.comm.kernel  # closed after the video replaced it
    assert widget.prompt == "a <b>bold</b> heron"  # the trait holds text; status.js shows it as text


def test_widget_traits_never_hold_the_key(widget_ip, sim):
    ip = widget_ip
    ip.run_cell("%%hailuo --wait --out gk\nkey check", store_history=False)
    [handle] = display.shown(ip.user_ns["gk"]) or [None]
    widget = handle.widget if handle else None
    if widget is None or widget.comm is None:  # settled and closed: build one from the finished generation
        from hailuo_nb.notebook.status import StatusWidget

        widget = StatusWidget(ip.user_ns["gk"])
    state = widget.get_state()
    assert sim.api_key not in repr(state)


def test_failed_generation_shows_the_error_in_place_of_the_video(widget_ip, sim):
    sim.inject("content_policy", kind="poll")
    try:
        widget_ip.run_cell("%%hailuo --wait --force --out gf\nwill be refused", store_history=False)
    finally:
        sim.clear_faults()
    gen = widget_ip.user_ns["gf"]
    assert gen.status == "failed"
    last = widget_ip.display_pub.outputs[-1]
    assert last["update"] and "<video" not in last["data"]["text/html"]
    assert type(gen.error).__name__ in last["data"]["text/html"]


def test_generation_repr_is_the_video_when_done(ip, sim, monkeypatch):
    gen = hailuo_nb.generate("repr test", wait=True)
    bundle = gen._repr_mimebundle_()
    assert "<video" in bundle["text/html"]
