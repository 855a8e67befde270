"""The saved output of a generation, and the widget → video display path in-process."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from typing import Any

import pytest
from IPython.core.displaypub import CapturingDisplayPublisher
from realgen import make_clip, make_gen

import hailuo_nb
from hailuo_nb.errors import ContentPolicyError
from hailuo_nb.notebook import bundles, display
from hailuo_nb.notebook import frontend as fe

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
LAB = fe.Frontend("lab", "test")
VSCODE = fe.Frontend("vscode", "test")
COLAB = fe.Frontend("colab", "test")


def finished(tmp_path: Path, *, audio: bool = False, **over: Any) -> Any:
    video = tmp_path / "hailuo_videos" / "123.mp4"
    if not video.exists():
        make_clip(video, audio=audio)
    return make_gen(status="succeeded", video=video, video_url="http://127.0.0.1:9/v.mp4", **over)


def src_of(markup: str) -> str:
    return html.unescape(re.search(r'<video src="([^"]*)"', markup).group(1))


def test_video_is_referenced_relative_to_the_notebook_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bundle = display.video_bundle(finished(tmp_path), frontend=LAB)
    assert '<video src="hailuo_videos/123.mp4" controls loop playsinline' in bundle["text/html"]
    assert "hailuo_videos/123.mp4" in bundle["text/plain"]
    for part in ("a kite", "hailuo-02-text-to-video-pro", "6 s", "1080p", "0.49", "task 123"):
        assert part in bundle["text/html"]


def test_embed_puts_the_bytes_in_with_a_poster(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    gen = finished(tmp_path)
    markup = display.video_bundle(gen, embed=True, frontend=LAB)["text/html"]
    src = src_of(markup)
    assert src.startswith("data:video/mp4;base64,")
    assert base64.b64decode(src.split(",", 1)[1]) == gen.video_path.read_bytes()
    assert 'poster="data:image/jpeg;base64,' in markup


@pytest.mark.parametrize("where", [VSCODE, COLAB])
def test_auto_embeds_where_no_server_serves_files(tmp_path, monkeypatch, where):
    monkeypatch.chdir(tmp_path)
    markup = display.video_bundle(finished(tmp_path), frontend=where)["text/html"]
    assert src_of(markup).startswith("data:video/mp4;base64,")


def test_above_the_cap_a_poster_a_link_and_a_sentence(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HAILUO_EMBED_MAX_MB", "0.001")
    markup = display.video_bundle(finished(tmp_path), frontend=VSCODE)["text/html"]
    assert "<video" not in markup and "base64" in markup  # the poster only
    assert '<a href="hailuo_videos/123.mp4"><img src="data:image/jpeg;base64,' in markup
    assert "above the 0.001 MiB embedding cap (HAILUO_EMBED_MAX_MB)" in markup


def test_output_mode_forces_a_form(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HAILUO_OUTPUT_MODE", "link")
    markup = display.video_bundle(finished(tmp_path), frontend=LAB)["text/html"]
    assert "<video" not in markup and '<a href="hailuo_videos/123.mp4">' in markup
    monkeypatch.setenv("HAILUO_OUTPUT_MODE", "embed")
    assert src_of(display.video_bundle(finished(tmp_path), frontend=LAB)["text/html"]).startswith("data:")
    monkeypatch.setenv("HAILUO_OUTPUT_MODE", "file")
    assert src_of(display.video_bundle(finished(tmp_path), frontend=VSCODE)["text/html"]) == "hailuo_videos/123.mp4"
    monkeypatch.setenv("HAILUO_OUTPUT_MODE", "inline")
    with pytest.raises(hailuo_nb.ValidationError, match="HAILUO_OUTPUT_MODE.*auto, file, embed, link"):
        display.video_bundle(finished(tmp_path), frontend=LAB)


def test_outside_the_notebook_folder_small_files_are_embedded_never_absolute(tmp_path, monkeypatch):
    (tmp_path / "nb").mkdir()
    monkeypatch.chdir(tmp_path / "nb")
    bundle = display.video_bundle(finished(tmp_path), frontend=LAB)
    assert src_of(bundle["text/html"]).startswith("data:video/mp4;base64,")
    assert str(tmp_path) not in bundle["text/html"] + bundle["text/plain"]
    monkeypatch.setenv("HAILUO_EMBED_MAX_MB", "0.001")
    markup = display.video_bundle(finished(tmp_path), frontend=LAB)["text/html"]
    assert "<video" not in markup and "<a href" not in markup and str(tmp_path) not in markup


def test_a_clip_with_sound_is_never_muted_and_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    gen = finished(tmp_path, audio=True, model="hailuo-h3-text-to-video")
    assert gen.to_dict()["has_audio"]
    markup = display.video_bundle(gen, frontend=LAB)["text/html"]
    assert "with sound" in markup and "muted" not in markup and "autoplay" not in markup


def test_vscode_says_plainly_that_aac_is_silent_there(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    gen = finished(tmp_path, audio=True)
    bundle = display.video_bundle(gen, frontend=VSCODE)
    assert "VS Code cannot play this clip's AAC sound" in html.unescape(bundle["text/html"])
    assert "HAILUO_VSCODE_AUDIO=opus" in bundle["text/plain"]
    assert "AAC" not in display.video_bundle(gen, frontend=LAB)["text/html"]


def test_vscode_opus_opt_in_re_encodes_the_sound(tmp_path, monkeypatch):
    from hailuo_nb import videofile

    if not videofile.opus_available():
        pytest.skip("this PyAV build has no Opus encoder")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HAILUO_VSCODE_AUDIO", "opus")
    gen = finished(tmp_path, audio=True)
    markup = display.video_bundle(gen, frontend=VSCODE)["text/html"]
    assert "re-encoded from AAC to Opus" in markup
    data = base64.b64decode(src_of(markup).split(",", 1)[1])
    copy = tmp_path / "check.mp4"
    copy.write_bytes(data)
    info = videofile.probe(copy)
    assert (info.video_codec, info.audio_codec) == ("h264", "opus")


def test_user_text_and_dollars_are_escaped(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    evil = '<script>alert(1)</script><img src=x onerror="alert(2)"> costs $5 and $6'
    bundle = display.video_bundle(finished(tmp_path, prompt=evil), frontend=LAB)
    assert "<script>" not in bundle["text/html"]
    assert "$5" not in bundle["text/html"] and "<span>$</span>5" in bundle["text/html"]
    assert "tex2jax_ignore" in bundle["text/html"]
    error = ContentPolicyError(f"refused: {evil}", provider="sim", task_id="9")
    failed = make_gen(status="failed", error=error, prompt=evil)
    out = display.video_bundle(failed, frontend=LAB)["text/html"]
    assert "<script>" not in out and "<img" not in out and "<video" not in out
    assert "ContentPolicyError" in out and bundles.text(error.hint) in out


def test_cancelled_says_so():
    out = display.video_bundle(make_gen(status="cancelled"), frontend=LAB)
    assert "Cancelled." in out["text/html"] and "cancelled" in out["text/plain"]


def test_mimebundle_of_a_finished_generation_filters(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    gen = finished(tmp_path)
    assert set(display.generation_mimebundle(gen)) == {"text/html", "text/plain"}
    assert set(display.generation_mimebundle(gen, include={"text/plain"})) == {"text/plain"}
    assert set(display.generation_mimebundle(gen, exclude={"text/html"})) == {"text/plain"}


def test_mimebundle_while_running_without_a_kernel_is_text():
    gen = make_gen(status="running")
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
    # Closed, it keeps nothing a saved notebook needs: no front-end code, prompt or path.
    assert widget.prompt == "" and widget.video_path == "" and widget._esm == "export default {};"
    from hailuo_nb.notebook.widgets.status import StatusWidget

    assert StatusWidget(gen).prompt == "a <b>bold</b> heron"  # text; status.js shows it as text


def test_widget_traits_never_hold_the_key(widget_ip, sim):
    ip = widget_ip
    ip.run_cell("%%hailuo --wait --out gk\nkey check", store_history=False)
    [handle] = display.shown(ip.user_ns["gk"]) or [None]
    widget = handle.widget if handle else None
    if widget is None or widget.comm is None:  # settled and closed: build one from the finished generation
        from hailuo_nb.notebook.widgets.status import StatusWidget

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


def test_the_caption_and_widget_show_what_the_gateway_billed_beside_the_estimate():
    from hailuo_nb.notebook.bundles import billed_text, describe

    info = {"model": "hailuo-h3-text-to-video", "duration": 6, "resolution": "2k", "has_audio": True,
            "cost_usd": 0.78, "billed_usd": 0.8, "provider": "runapi"}
    assert billed_text(info) == "$0.80" and billed_text({"billed_usd": None}) == ""
    text = describe(info)
    assert "$0.78 est." in text and "$0.80 billed" in text and "with sound" in text
