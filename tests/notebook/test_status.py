"""The status widget's Python side: traits, the JS contract, cancel, error state."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from hailuo_nb.errors import GenerationFailed
from hailuo_nb.notebook.status import STATUS_CSS, STATUS_JS, StatusWidget, snapshot


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
    base = dict(
        id="g1",
        status="running",
        prompt="p",
        model="m",
        provider="sim",
        duration=6,
        resolution="1080p",
        price=None,
        cost_usd=0.49,
        task_id="t1",
        created_at=1.0,
        submitted_at=2.0,
        finished_at=None,
        expected_seconds=(9.0, 12.0),
        error=None,
        video_path=None,
        video_url=None,
        reused=False,
        done=False,
    )
    base.update(over)
    return SimpleNamespace(**base)


def test_every_synced_trait_has_help():
    for name in synced_public_traits():
        assert StatusWidget.class_traits()[name].help, name


def test_python_snapshot_js_and_traits_agree():
    assert set(snapshot(stand_in())) == synced_public_traits() == js_keys()


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
    assert state["cost"] == "$0.49" and state["simulated"] is True
    assert state["created_ms"] == 1000.0 and state["submitted_ms"] == 2000.0
    assert (state["expected_low_s"], state["expected_high_s"]) == (9.0, 12.0)
    assert state["error_message"] == "" and state["video_src"] == ""


def test_error_state_in_words_with_detail():
    error = GenerationFailed("the model could not render it", provider="sim", task_id="t1")
    state = snapshot(stand_in(status="failed", done=True, error=error))
    assert state["error_type"] == "GenerationFailed"
    assert state["error_message"] == "the model could not render it"
    assert state["error_hint"] == GenerationFailed.hint
    assert '"task_id": "t1"' in state["error_detail"]


class FakeGeneration(SimpleNamespace):
    def __init__(self, **kw):
        super().__init__(**{**vars(stand_in()), **kw})
        self.listeners = []
        self.cancelled = 0

    def add_listener(self, callback):
        self.listeners.append(callback)
        return lambda: self.listeners.remove(callback)

    def cancel(self):
        self.cancelled += 1

    def change(self, **kw):
        for key, value in kw.items():
            setattr(self, key, value)
        for callback in list(self.listeners):
            callback(self)


def test_widget_follows_its_generation_and_lets_go_when_done():
    gen = FakeGeneration()
    widget = StatusWidget(gen)
    assert widget.status == "running" and len(gen.listeners) == 1
    gen.change(status="downloading")
    assert widget.status == "downloading"
    gen.change(status="succeeded", done=True, finished_at=5.0)
    assert widget.status == "succeeded" and widget.finished_ms == 5000.0 and widget.done
    assert gen.listeners == []


def test_cancel_message_from_the_browser_cancels():
    gen = FakeGeneration()
    widget = StatusWidget(gen)
    widget._handle_custom_msg({"type": "cancel"}, [])
    widget._handle_custom_msg({"type": "something else"}, [])
    assert gen.cancelled == 1


def test_finished_widget_can_play_the_video_itself(tmp_path):
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    gen = FakeGeneration(status="succeeded", done=True, video_path=video)
    assert StatusWidget(gen).video_src.startswith("data:video/mp4;base64,")
    assert StatusWidget(gen, show_video=False).video_src == ""


def test_a_display_keeps_its_own_reused_flag():
    gen = FakeGeneration()
    original = StatusWidget(gen, reused=False)
    gen.change(reused=True)  # a later identical cell reused it
    assert original.reused is False
    assert StatusWidget(gen).reused is True
