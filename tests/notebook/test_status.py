"""The status widget's Python side: traits, the JS contract, cancel, error state."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from realgen import make_clip, make_gen

from hailuo_nb.errors import GenerationFailed
from hailuo_nb.notebook.widgets.status import STATUS_CSS, STATUS_JS, StatusWidget, snapshot


def synced_public_traits() -> set[str]:
    return {
        name
        for name, trait in StatusWidget.class_traits(sync=True).items()
        if not name.startswith("_") and name not in StatusWidget.__mro__[1].class_trait_names()
    }


def js_keys() -> set[str]:
    block = re.search(r"export const KEYS = \[(.*?)\];", STATUS_JS.read_text(), re.S).group(1)
    return set(re.findall(r'"([a-z_]+)"', block))


def stand_in(**over):
    return make_gen(status=over.pop("status", "running"), task_id="t1", **over)


def test_every_synced_trait_has_help():
    for name in synced_public_traits():
        assert StatusWidget.class_traits()[name].help, name


def test_python_snapshot_js_and_traits_agree():
    # poll_ms is how this widget is fed, not the generation's state: not in the snapshot.
    assert set(snapshot(stand_in())) | {"poll_ms"} == synced_public_traits() == js_keys()


def test_front_end_files_exist_and_css_is_scoped():
    assert STATUS_JS.is_file()
    css = re.sub(r"/\*.*?\*/", "", STATUS_CSS.read_text(), flags=re.S)
    selectors = [s.strip() for block in re.findall(r"([^{}]+)\{", css) for s in block.split(",")]
    assert selectors
    for selector in selectors:  # the root itself, or something inside it
        assert re.match(r"\.hailuo-status($|[\s\[:])", selector), selector


def test_js_never_writes_html():
    source = STATUS_JS.read_text()
    assert "innerHTML" not in source and "insertAdjacentHTML" not in source


def test_unknown_keyword_is_a_type_error():
    with pytest.raises(TypeError, match="colour"):
        StatusWidget(colour="red")


def test_snapshot_values():
    state = snapshot(stand_in())
    assert state["cost"] == "$0.49" and state["simulated"] is True and state["has_audio"] is False
    assert state["created_ms"] == 1000.0 and state["submitted_ms"] == 2000.0
    assert (state["expected_low_s"], state["expected_high_s"]) == (9.0, 12.0)
    assert state["error_message"] == "" and state["video_src"] == ""


def test_error_state_in_words_with_detail():
    error = GenerationFailed("the model could not render it", provider="sim", task_id="t1")
    state = snapshot(stand_in(status="failed", error=error))
    assert state["error_type"] == "GenerationFailed"
    assert state["error_message"] == "the model could not render it"
    assert state["error_hint"] == GenerationFailed.hint
    assert '"task_id": "t1"' in state["error_detail"]


def test_widget_follows_its_generation_and_lets_go_when_done():
    gen = stand_in()
    widget = StatusWidget(gen)
    assert widget.status == "running" and len(gen._listeners) == 1
    gen._update(status="downloading")
    assert widget.status == "downloading"
    gen._update(status="succeeded", finished_at=5.0)
    assert widget.status == "succeeded" and widget.finished_ms == 5000.0 and widget.done
    assert gen._listeners == []


def test_cancel_message_from_the_browser_cancels():
    gen = stand_in()
    cancelled = []
    gen._cancel = lambda: cancelled.append(1)
    widget = StatusWidget(gen)
    widget._handle_custom_msg({"type": "cancel"}, [])
    widget._handle_custom_msg({"type": "something else"}, [])
    assert cancelled == [1]


def test_without_push_the_page_polls_and_is_answered_in_the_poll():
    gen = stand_in(status="queued")
    widget = StatusWidget(gen, push=False)
    assert widget.poll_ms > 0 and gen._listeners == []  # nothing will come from the engine thread
    polled = []
    widget.on_poll(lambda w: polled.append(w.status))
    gen._update(status="running")
    assert widget.status == "queued"  # not pushed...
    widget._handle_custom_msg({"type": "poll"}, [])
    assert widget.status == "running" and polled == ["running"]  # ...but answered when asked


def test_finished_widget_can_play_the_video_itself(tmp_path):
    video = make_clip(tmp_path / "v.mp4")
    gen = stand_in(status="succeeded", video=video)
    assert StatusWidget(gen).video_src.startswith("data:video/mp4;base64,")
    assert StatusWidget(gen, show_video=False).video_src == ""


def test_saved_state_has_no_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    video = make_clip(tmp_path / "hailuo_videos" / "v.mp4")
    widget = StatusWidget(stand_in(status="succeeded", video=video), show_video=False)
    assert widget.video_path == "hailuo_videos/v.mp4"
    assert str(tmp_path) not in repr(widget.get_state())


def test_a_display_keeps_its_own_reused_flag():
    gen = stand_in()
    original = StatusWidget(gen, reused=False)
    gen._update(reused=True)  # a later identical cell reused it
    assert original.reused is False
    assert StatusWidget(gen).reused is True


@pytest.mark.skipif(shutil.which("node") is None, reason="no node to run status.js's helpers")
def test_eta_never_shows_a_range_of_one_value():
    script = (
        f"import {{ estimate }} from '{STATUS_JS.as_uri()}';"
        "console.log(JSON.stringify([estimate('running', 2, 10.2, 10.4).eta,"
        " estimate('running', 2, 9, 12).eta]));"
    )
    out = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True,
                         check=True, timeout=30).stdout
    assert out.strip() == '["about 0:08 left","about 0:07–0:10 left"]'


def test_the_widget_video_is_never_muted():
    source = STATUS_JS.read_text()
    assert "muted = true" not in source and "autoplay" not in source
