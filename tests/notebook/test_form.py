"""hailuo_nb.Form, Python side: traits, validation, and messages through a recording comm.

Messages reach the widget the way the kernel's comm delivers them (``comm_msg`` with
``method: custom``); what the widget sends back is recorded. Generations run for real on
the loopback simulator (``sim_env`` from conftest.py: 0.3 s jobs, journal and videos in
tmp_path, no API keys).
"""

from __future__ import annotations

import base64
import io
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import traitlets
from waiting import wait_for as wait_until


class RecordingComm:
    """Stands in for the kernel's comm: records what the widget sends, delivers messages."""

    comm_id = "recording-comm"
    kernel = "a kernel"

    def __init__(self, **_kwargs: Any) -> None:
        self.sent: list[tuple[dict[str, Any], list[bytes]]] = []
        self._lock = threading.Lock()
        self._handler: Callable[[dict[str, Any]], None] | None = None

    def open(self, *args: Any, **kwargs: Any) -> None:
        pass

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass

    def on_msg(self, callback: Callable[[dict[str, Any]], None]) -> None:
        self._handler = callback

    def send(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
        with self._lock:
            self.sent.append((data, [bytes(b) for b in buffers or ()]))

    # -- test side ----------------------------------------------------------------------
    def deliver(self, content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        """A custom message from the browser, as the comm hands it to the widget."""
        assert self._handler is not None
        self._handler(
            {
                "content": {"comm_id": self.comm_id, "data": {"method": "custom", "content": content}},
                "buffers": [memoryview(b) for b in buffers or []],
            }
        )

    def custom(self) -> list[tuple[dict[str, Any], list[bytes]]]:
        with self._lock:
            return [(d["content"], b) for d, b in self.sent if d.get("method") == "custom"]

    def synced(self, name: str) -> list[Any]:
        with self._lock:
            return [
                d["state"][name]
                for d, _ in self.sent
                if d.get("method") == "update" and name in d.get("state", {})
            ]


def png(width: int = 400, height: int = 320, colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def unique(text: str) -> str:
    """Prompts differ per test: reuse would otherwise find another test's generation."""
    return f"{text} #{uuid.uuid4().hex[:8]}"


@pytest.fixture
def comm(monkeypatch: pytest.MonkeyPatch) -> RecordingComm:
    import comm as comm_package

    recording = RecordingComm()
    monkeypatch.setattr(comm_package, "create_comm", lambda **kw: recording)
    return recording


@pytest.fixture
def form(sim_env: Path, comm: RecordingComm) -> Iterator[Any]:
    import hailuo_nb

    widget = hailuo_nb.Form()
    assert widget.comm is comm
    yield widget
    widget.close()
    for gen in hailuo_nb.pending():
        gen.cancel()
    for gen in hailuo_nb.pending():
        gen.wait(timeout=20)


def pickers(form: Any) -> list[str]:
    from hailuo_nb.notebook.widgets.capabilities import frame_fields

    return frame_fields(form.capabilities)


def card(form: Any, gen_id: str) -> dict[str, Any] | None:
    return next((c for c in form.gallery if c["generation_id"] == gen_id), None)


# ------------------------------------------------------------------ traits and construction


def test_synced_traits_have_help_and_hold_no_bytes(form: Any) -> None:
    from hailuo_nb.notebook.widgets.form import Form

    own = (
        set(Form.class_trait_names(sync=True))
        - set(traitlets.HasTraits.class_trait_names())
        - set(_widget_base_traits())
    )
    assert {
        "prompt",
        "provider",
        "model",
        "duration",
        "resolution",
        "prompt_optimizer",
        "catalog",
        "errors",
        "blocker",
        "cost",
        "gallery",
        "frames",
    } <= own
    for name in own:
        assert Form.class_traits()[name].help, f"trait {name} has no help="
    state = form.get_state()
    assert not any(isinstance(v, (bytes, memoryview)) for v in state.values())


def _widget_base_traits() -> list[str]:
    import anywidget

    return list(anywidget.AnyWidget.class_trait_names(sync=True)) + ["_esm", "_css", "_anywidget_id"]


def test_front_end_files_and_shared_status_view() -> None:
    from hailuo_nb.notebook.widgets import form as form_module
    from hailuo_nb.notebook.widgets.esm import bundle
    from hailuo_nb.notebook.widgets.form_state import COMMON_JS, FORM_PROMPT_JS
    from hailuo_nb.notebook.widgets.status import STATUS_ESM

    assert form_module.FORM_JS.is_file() and form_module.FORM_CSS.is_file()
    assert str(form_module.Form._esm) == bundle(COMMON_JS, FORM_PROMPT_JS, form_module.FORM_JS)
    assert ".hailuo-status" in form_module.Form._css and ".hailuo-form" in form_module.Form._css
    # The cards are the status widget's own view, not a copy of it.
    default = form_module.Form.class_traits()["_status_esm"].default_value
    assert default == STATUS_ESM
    assert "createStatusView" in default


def test_every_rule_of_the_css_is_scoped() -> None:
    import re

    from hailuo_nb.notebook.widgets.form import FORM_CSS

    css = re.sub(r"/\*.*?\*/", "", FORM_CSS.read_text(encoding="utf-8"), flags=re.S)
    for selectors in re.findall(r"([^{}]+)\{", css):
        for selector in selectors.split(","):
            assert selector.strip().startswith(".hailuo-form"), selector


def test_unknown_keyword_raises_type_error(sim_env: Path) -> None:
    import hailuo_nb

    with pytest.raises(TypeError, match="promtp"):
        hailuo_nb.Form(promtp="a typo")


def test_bad_provider_or_model_raise_validation_error(sim_env: Path) -> None:
    import hailuo_nb

    with pytest.raises(hailuo_nb.ValidationError) as err:
        hailuo_nb.Form(provider="nope")
    assert err.value.field == "provider"
    with pytest.raises(hailuo_nb.ValidationError) as err:
        hailuo_nb.Form(model="hailuo-99")
    assert err.value.field == "model"


def test_defaults_come_from_the_catalog(form: Any) -> None:
    assert form.provider == "sim"
    assert form.model == "hailuo-02-text-to-video-pro"
    assert form.capabilities["durations"] == [6] and form.capabilities["resolutions"] == ["1080p"]
    assert pickers(form) == []
    assert form.cost == "$0.49" and "nothing is charged" in form.cost_note
    from hailuo_nb.gateway.catalog import MODELS

    assert list(form.catalog) == list(MODELS)  # the simulator speaks MiniMax: every model, newest first
    assert {p["name"] for p in form.provider_options} == {
        "minimax",
        "runapi",
        "runbase",
        "runninghub",
        "agentsflare",
        "sim",
    }


def test_bad_explicit_arguments_raise_the_gateways_error(sim_env: Path) -> None:
    import hailuo_nb

    with pytest.raises(hailuo_nb.ValidationError) as err:
        hailuo_nb.Form(model="hailuo-02-text-to-video-pro", duration=10)
    assert err.value.field == "duration"
    with pytest.raises(hailuo_nb.ValidationError) as err:
        hailuo_nb.Form(model="hailuo-02-image-to-video-standard", first_frame=png(100, 100))
    assert err.value.field == "first_frame" and "300 px" in err.value.message


def test_initial_values_from_arguments(sim_env: Path, comm: RecordingComm) -> None:
    import hailuo_nb

    form = hailuo_nb.Form(
        model="hailuo-02-image-to-video-standard",
        prompt="a kite",
        duration=10,
        resolution="512p",
        first_frame=png(),
    )
    assert (form.prompt, form.duration, form.resolution) == ("a kite", 10, "512p")
    assert form.frames["first_frame"]["width"] == 400
    assert form.errors == {} and form.blocker == ""
    assert form.cost == "$0.15"


# ------------------------------------------------------------------ validation


def test_validation_messages_are_the_gateways(form: Any, comm: RecordingComm) -> None:
    import hailuo_nb
    from hailuo_nb.gateway.request import build_request

    def gateway_message(**kwargs: Any) -> str:
        with pytest.raises(hailuo_nb.ValidationError) as err:
            build_request(**kwargs)
        return err.value.message

    # Empty prompt: Submit is disabled and says why.
    assert form.errors["prompt"] in gateway_message(prompt="")
    assert form.blocker.startswith("Prompt: ")
    comm.deliver({"type": "set", "values": {"prompt": "x" * 2001}})
    assert form.errors["prompt"] in gateway_message(prompt="x" * 2001)
    assert "2000" in form.errors["prompt"]
    # Image-to-video without a first frame: both messages at once, each by its field.
    comm.deliver({"type": "set", "values": {"prompt": "ok", "model": "hailuo-2.3-image-to-video-pro"}})
    assert set(form.errors) == {"first_frame"}
    assert form.errors["first_frame"] in gateway_message(prompt="ok", model="hailuo-2.3-image-to-video-pro")
    assert form.blocker.startswith("First frame: ")
    assert form.capabilities["frames"]["need_first"]
    comm.deliver({"type": "set", "values": {"prompt": ""}})
    assert set(form.errors) == {"prompt", "first_frame"}
    # Valid: nothing blocks.
    comm.deliver({"type": "set", "values": {"prompt": "ok", "model": "hailuo-02-text-to-video-standard"}})
    assert form.errors == {} and form.blocker == ""


def test_model_switch_shows_and_hides_frame_pickers(form: Any, comm: RecordingComm) -> None:
    comm.deliver({"type": "set", "values": {"model": "hailuo-02-image-to-video-standard"}})
    assert pickers(form) == ["first_frame", "last_frame"]
    caps = form.capabilities
    assert caps["resolutions"] == ["512p", "768p"] and caps["durations"] == [6, 10]
    comm.deliver({"type": "set", "values": {"model": "hailuo-2.3-image-to-video-standard"}})
    assert pickers(form) == ["first_frame"]
    assert form.capabilities["resolutions"] == ["768p"]
    comm.deliver({"type": "set", "values": {"model": "hailuo-2.3-text-to-video-pro"}})
    assert pickers(form) == []
    assert (form.duration, form.resolution) == (6, "1080p")
    # The change reached the browser as synced state.
    assert "hailuo-2.3-image-to-video-standard" in comm.synced("model")


def test_hidden_last_frame_is_not_sent_and_comes_back(form: Any) -> None:
    form.model = "hailuo-02-image-to-video-standard"
    form.prompt = "kept"
    assert form.set_frame("first_frame", png())
    assert form.set_frame("last_frame", png(colour=(0, 0, 200)))
    assert "last_frame" in form.values
    form.model = "hailuo-2.3-image-to-video-standard"
    assert "last_frame" not in form.values and form.errors == {}
    form.model = "hailuo-02-image-to-video-standard"
    assert form.values["last_frame"] is not None


def test_duration_and_resolution_follow_the_model_and_cost_follows_them(form: Any) -> None:
    form.model = "hailuo-02-image-to-video-standard"
    assert (form.duration, form.resolution, form.cost) == (6, "768p", "$0.28")
    form.duration = 10
    assert form.cost == "$0.56"
    form.resolution = "512p"
    assert form.cost == "$0.15"
    form.model = "hailuo-02-image-to-video-pro"
    assert (form.duration, form.resolution, form.cost) == (6, "1080p", "$0.49")


def test_provider_switch_keeps_served_combinations_and_flags_a_missing_key(
    form: Any, comm: RecordingComm
) -> None:
    from hailuo_nb.gateway.providers import PROVIDERS

    comm.deliver({"type": "set", "values": {"prompt": "p", "provider": "runbase"}})
    served = set(PROVIDERS["runbase"].models)
    assert set(form.catalog) == served
    assert form.model in served
    assert "RUNBASE_API_KEY" in form.errors["provider"]
    assert form.blocker.startswith("Provider: ")


def test_provider_without_upload_api_takes_a_local_frame_as_data_url(
    form: Any, comm: RecordingComm, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNBASE_API_KEY", "rb-test-key-123")
    form.model = "hailuo-02-image-to-video-standard"
    comm.deliver({"type": "set", "values": {"prompt": "p", "provider": "runbase"}})
    assert form.model == "hailuo-02-image-to-video-pro"  # the closest model runbase serves
    assert not any(p["has_key"] is False and p["name"] == "runbase" for p in form.provider_options)
    comm.deliver(
        {"type": "frame", "field": "first_frame", "name": "a.png", "data": base64.b64encode(png()).decode()}
    )
    assert "first_frame" not in form.errors  # it goes to Runbase as a data URL
    comm.deliver({"type": "frame", "field": "first_frame", "url": "https://example.com/a.png"})
    assert "first_frame" not in form.errors
    assert form.frames["first_frame"]["url"] == "https://example.com/a.png"
    # The key itself never reaches the browser.
    assert "rb-test-key-123" not in repr(comm.sent)


# ------------------------------------------------------------------ frames


def test_chunked_binary_upload_gives_a_thumbnail_not_the_image(form: Any, comm: RecordingComm) -> None:
    form.model = "hailuo-02-image-to-video-standard"
    data = png(1200, 800)
    chunks = [data[i : i + 4096] for i in range(0, len(data), 4096)]
    for index, chunk in enumerate(chunks):
        comm.deliver(
            {
                "type": "frame",
                "field": "first_frame",
                "name": "big.png",
                "size": len(data),
                "upload": "u1",
                "index": index,
                "count": len(chunks),
            },
            [chunk],
        )
    info = form.frames["first_frame"]
    assert (info["name"], info["width"], info["height"], info["size"]) == ("big.png", 1200, 800, len(data))
    assert info["thumb"].startswith("data:image/jpeg;base64,")
    thumb = base64.b64decode(info["thumb"].split(",", 1)[1])
    assert len(thumb) < 20_000
    from PIL import Image

    assert max(Image.open(io.BytesIO(thumb)).size) <= 192
    assert form.values["first_frame"].data == data
    assert "first_frame" not in form.errors


def test_bad_uploads_show_the_gateways_message(form: Any, comm: RecordingComm) -> None:
    form.model = "hailuo-02-image-to-video-standard"
    comm.deliver(
        {
            "type": "frame",
            "field": "first_frame",
            "name": "tiny.png",
            "data": base64.b64encode(png(200, 200)).decode(),
        }
    )
    assert form.errors["first_frame"].startswith("tiny.png: ")
    assert "300 px" in form.errors["first_frame"]
    assert form.frames["first_frame"] is None
    comm.deliver(
        {
            "type": "frame",
            "field": "first_frame",
            "name": "notes.txt",
            "data": base64.b64encode(b"hello").decode(),
        }
    )
    assert "JPG, PNG or WebP" in form.errors["first_frame"]
    comm.deliver(
        {
            "type": "frame",
            "field": "first_frame",
            "name": "huge.png",
            "size": 200 * 2**20,
            "upload": "u9",
            "index": 0,
            "count": 1,
        }
    )
    assert "20 MB" in form.errors["first_frame"]
    comm.deliver({"type": "clear_frame", "field": "first_frame"})
    assert "needs a first frame" in form.errors["first_frame"]


# ------------------------------------------------------------------ submitting


def test_submit_progresses_to_a_playable_card(form: Any, comm: RecordingComm) -> None:
    prompt = unique("a glass marble rolls across a desk")
    comm.deliver({"type": "submit", "values": {"prompt": prompt}})
    assert form.notice == {}
    gen = form.generations[0]
    assert form.gallery[0]["generation_id"] == gen.id and form.gallery[0]["prompt"] == prompt
    wait_until(lambda: (card(form, gen.id) or {}).get("status") == "succeeded", what="succeeded")
    final = card(form, gen.id)
    assert final["task_id"] and final["cost"] == "$0.49" and final["model"] == gen.model
    video = final["video"]
    assert video["name"].endswith(".mp4") and video["size"] > 0
    assert video["rel"] is None  # no browser has said where the server's root is yet
    assert final["video_path"] == f"hailuo_videos/{video['name']}"  # relative to the working folder
    # The browser saw it go through live states before succeeding.
    statuses = [g[0]["status"] for g in comm.synced("gallery") if g]
    assert statuses[-1] == "succeeded" and len(set(statuses)) >= 2
    import hailuo_nb

    assert any(row["id"] == gen.id for row in hailuo_nb.history(50))


def test_several_in_flight_newest_first(form: Any, comm: RecordingComm) -> None:
    prompts = [unique(f"clip {i}") for i in range(3)]
    for prompt in prompts:
        comm.deliver({"type": "submit", "values": {"prompt": prompt}})
    assert [c["prompt"] for c in form.gallery] == prompts[::-1]
    in_flight = [c for c in form.gallery if not c["done"]]
    assert len(in_flight) >= 2
    wait_until(lambda: all(c["status"] == "succeeded" for c in form.gallery), what="all succeeded")
    assert len({c["task_id"] for c in form.gallery}) == 3


def test_identical_submit_reuses_unless_forced(form: Any, comm: RecordingComm) -> None:
    prompt = unique("reuse me")
    comm.deliver({"type": "submit", "values": {"prompt": prompt}})
    first = form.generations[0]
    first.wait(20)
    comm.deliver({"type": "submit", "values": {"prompt": prompt}})
    assert form.generations[0] is first and len(form.gallery) == 1
    assert form.gallery[0]["reused"] and form.notice["kind"] == "info"
    assert form.notice["action"] == "Generate anew"
    # The card's Re-run reuses too; the notice's action generates anew (force).
    comm.deliver({"type": "rerun", "id": first.id})
    assert len(form.gallery) == 1
    comm.deliver({"type": "retry"})
    assert len(form.gallery) == 2
    second = form.generations[0]
    assert second is not first and not form.gallery[0]["reused"]
    comm.deliver({"type": "rerun", "id": first.id, "force": True})
    assert len(form.gallery) == 3
    wait_until(lambda: all(c["done"] for c in form.gallery), what="all done")


def test_budget_exceeded_is_a_message_not_a_card(
    form: Any, comm: RecordingComm, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hailuo_nb

    # The budget counts this process's spend; earlier tests' generations are part of it.
    monkeypatch.setenv("HAILUO_BUDGET_USD", f"{hailuo_nb.session_spend() + 0.3:.2f}")
    comm.deliver({"type": "submit", "values": {"prompt": unique("too dear")}})  # $0.49
    assert form.gallery == []
    assert form.notice["kind"] == "error"
    assert "HAILUO_BUDGET_USD" in form.notice["text"] and form.notice["hint"]
    comm.deliver({"type": "set", "values": {"model": "hailuo-02-text-to-video-standard"}})  # $0.28
    comm.deliver({"type": "submit", "values": {"prompt": unique("cheap enough")}})
    assert len(form.gallery) == 1 and form.notice == {}


def test_submit_with_invalid_fields_is_refused_with_the_reason(form: Any, comm: RecordingComm) -> None:
    comm.deliver({"type": "submit", "values": {"prompt": "   "}})
    assert form.gallery == []
    assert form.notice["kind"] == "error" and "empty prompt" in form.notice["text"]


def test_html_in_prompt_and_error_is_kept_as_text(form: Any, comm: RecordingComm) -> None:
    nasty = '<img src=x onerror="alert(1)"><script>alert(2)</script> & [fail] ' + uuid.uuid4().hex
    comm.deliver({"type": "submit", "values": {"prompt": nasty}})
    gen = form.generations[0]
    wait_until(lambda: (card(form, gen.id) or {}).get("done"), what="the [fail] generation to end")
    entry = card(form, gen.id)
    assert entry["prompt"] == nasty  # verbatim: escaping is the browser's textContent
    assert entry["status"] == "failed" and entry["error_message"]
    from hailuo_nb.notebook.widgets.form import FORM_ESM

    assert "innerHTML" not in FORM_ESM and "insertAdjacentHTML" not in FORM_ESM


def test_cancel_from_a_card(form: Any, comm: RecordingComm) -> None:
    comm.deliver({"type": "submit", "values": {"prompt": unique("cancel me")}})
    gen = form.generations[0]
    comm.deliver({"type": "cancel", "id": gen.id})
    wait_until(lambda: (card(form, gen.id) or {}).get("done"), what="cancelled")
    assert card(form, gen.id)["status"] in ("cancelled", "succeeded")  # a 0.3 s job may win


def test_tweak_loads_settings_back(form: Any, comm: RecordingComm) -> None:
    prompt = unique("tweak me")
    form.model = "hailuo-02-image-to-video-standard"
    form.set_frame("first_frame", png())
    comm.deliver(
        {"type": "set", "values": {"duration": "10", "resolution": "512p", "prompt_optimizer": False}}
    )
    comm.deliver({"type": "submit", "values": {"prompt": prompt}})
    gen = form.generations[0]
    form.prompt, form.model = "something else", "hailuo-2.3-text-to-video-pro"
    assert pickers(form) == []
    comm.deliver({"type": "tweak", "id": gen.id})
    assert (form.prompt, form.model, form.duration, form.resolution, form.prompt_optimizer) == (
        prompt,
        "hailuo-02-image-to-video-standard",
        10,
        "512p",
        False,
    )
    assert form.frames["first_frame"]["width"] == 400 and form.errors == {}
    gen.wait(20)


def test_use_last_frame_switches_to_an_image_model(form: Any, comm: RecordingComm) -> None:
    comm.deliver({"type": "submit", "values": {"prompt": unique("extend me")}})
    gen = form.generations[0]
    comm.deliver({"type": "use_last_frame", "id": gen.id})  # not finished yet
    assert form.notice["kind"] == "error"
    gen.wait(20)
    comm.deliver({"type": "use_last_frame", "id": gen.id})
    assert form.model == "hailuo-02-image-to-video-pro"  # same family and tier
    info = form.frames["first_frame"]
    assert info["name"].startswith("last frame of ") and min(info["width"], info["height"]) >= 300
    assert "first_frame" not in form.errors


def test_video_bytes_on_request(form: Any, comm: RecordingComm) -> None:
    comm.deliver({"type": "submit", "values": {"prompt": unique("send the bytes")}})
    gen = form.generations[0]
    gen.wait(20)
    comm.deliver({"type": "video", "id": gen.id})
    content, buffers = comm.custom()[-1]
    assert content == {"type": "video", "id": gen.id, "name": Path(gen.video_path).name, "mime": "video/mp4"}
    assert buffers == [Path(gen.video_path).read_bytes()] and buffers[0][4:8] == b"ftyp"
    comm.deliver({"type": "video", "id": "not-a-card"})
    assert comm.custom()[-1][0]["error"]


def test_remove_card(form: Any, comm: RecordingComm) -> None:
    comm.deliver({"type": "submit", "values": {"prompt": unique("remove me")}})
    gen = form.generations[0]
    gen.wait(20)
    comm.deliver({"type": "remove", "id": gen.id})
    assert form.gallery == [] and form.generations == []


def test_bad_messages_become_notices(form: Any, comm: RecordingComm) -> None:
    comm.deliver({"type": "set", "values": {"colour": "red"}})
    assert form.notice["kind"] == "error" and "colour" in form.notice["text"]
    comm.deliver({"type": "rerun", "id": "gone"})
    assert "no longer" in form.notice["text"]
    comm.deliver({"type": "dismiss"})
    assert form.notice == {}
    comm.deliver({"type": "no-such-type"})  # ignored, logged
    assert form.notice == {}


def test_submit_does_not_block_the_kernel(form: Any, comm: RecordingComm) -> None:
    import hailuo_nb

    hailuo_nb.generate(unique("warm up"), wait=True)  # simulator and engine started
    times = []
    for i in range(5):
        start = time.perf_counter()
        comm.deliver({"type": "submit", "values": {"prompt": unique(f"timing {i}")}})
        times.append(time.perf_counter() - start)
    times.sort()
    assert times[len(times) // 2] < 0.1, times


# ------------------------------------------------------------------ issue 15: initial values


def test_initial_prompt_is_in_the_first_state_and_generates(sim_env: Path, comm: RecordingComm) -> None:
    import hailuo_nb

    form = hailuo_nb.Form(prompt="a red fox", model="hailuo-02-text-to-video-standard", duration=10)
    try:
        # The comm opened with every field already fitted and checked: nothing to fix up later.
        opened = form.get_state()
        assert (opened["prompt"], opened["model"], opened["duration"]) == (
            "a red fox",
            "hailuo-02-text-to-video-standard",
            10,
        )
        assert opened["catalog"] and opened["blocker"] == "" and opened["cost"] == "$0.56"
        # What the browser's Generate sends: the prompt it shows.
        comm.deliver({"type": "submit", "values": {"prompt": "a red fox"}})
        assert form.prompt == "a red fox" and form.notice == {}
        assert form.generations[0].prompt == "a red fox"
        form.generations[0].wait(20)
    finally:
        form.close()


# ------------------------------------------------------------------ issue 15: saved-state privacy


def test_saved_state_has_relative_paths_only_and_stays_small(form: Any, comm: RecordingComm) -> None:
    import json

    for i in range(3):
        comm.deliver({"type": "submit", "values": {"prompt": unique(f"private {i}")}})
    wait_until(lambda: all(c["status"] == "succeeded" for c in form.gallery), what="all succeeded")
    root = Path.cwd()  # the sim_env working folder (the notebook's), also the server root here
    comm.deliver({"type": "hello", "server_root": str(root)})
    assert comm.custom()[-1][0] == {"type": "hello"}
    gen = form.generations[0]
    entry = card(form, gen.id)
    assert entry["video"]["rel"] == Path(gen.video_path).resolve().relative_to(root.resolve()).as_posix()
    state = json.dumps({k: v for k, v in form.get_state().items() if not k.startswith("_")})
    for secret in (str(root), str(root.resolve()), str(Path.home())):
        assert secret not in state
    assert '"/' not in state  # no absolute POSIX path anywhere
    # Each card adds about a kilobyte: the notebook stays small however many clips it holds.
    assert len(json.dumps(form.gallery)) / len(form.gallery) < 2000


def test_a_root_the_video_is_not_under_gives_no_path(form: Any, comm: RecordingComm, tmp_path: Path) -> None:
    comm.deliver({"type": "submit", "values": {"prompt": unique("outside")}})
    gen = form.generations[0]
    gen.wait(20)
    comm.deliver({"type": "hello", "server_root": str(tmp_path / "elsewhere")})
    assert card(form, gen.id)["video"]["rel"] is None


# ------------------------------------------------------------------ capabilities as data


HAND_MADE = {
    "label": "A future model",
    "input": "any",
    "durations": {"min": 4, "max": 15, "step": 1},
    "default_duration": 5,
    "resolutions": ["720p", "1080p"],
    "default_resolution": "720p",
    "ratios": ["16:9", "9:16"],
    "default_ratio": "16:9",
    "frames": {"first": True, "last": False, "need_first": False},
    "references": {"image": 2, "video": 1},
    "has_audio": True,
    "prompt_max": 500,
}


def test_capabilities_of_todays_models_come_from_the_catalog(form: Any) -> None:
    from hailuo_nb.gateway.catalog import MODELS

    caps = form.catalog["hailuo-02-image-to-video-standard"]
    spec = MODELS["hailuo-02-image-to-video-standard"]
    assert caps["durations"] == list(spec.durations) and caps["resolutions"] == list(spec.resolutions)
    assert caps["frames"] == {"first": True, "last": True, "need_first": True}
    assert caps["ratios"] == [] and caps["references"] is None and caps["prompt_max"] == 2000


def test_fields_fit_hand_made_capabilities(form: Any, comm: RecordingComm) -> None:
    form.catalog = {form.model: HAND_MADE}
    assert (form.duration, form.resolution, form.ratio) == (6, "1080p", "16:9")
    comm.deliver({"type": "set", "values": {"duration": "40", "ratio": "1:1"}})
    assert (form.duration, form.ratio) == (15, "16:9")  # clamped to the range; back to a ratio it has
    comm.deliver({"type": "set", "values": {"duration": "12", "ratio": "9:16", "prompt": "p"}})
    assert (form.duration, form.ratio) == (12, "9:16")
    assert form.values["ratio"] == "9:16" and "reference_images" not in form.values
    # The hand-made capabilities offer a ratio the real model does not take: the request's own
    # validation refuses it, by name, and Submit is blocked.
    assert "takes no ratio" in form.errors["ratio"]
    assert form.submit() is None and form.gallery == []


def test_reference_files_are_counted_per_kind(form: Any, comm: RecordingComm) -> None:
    form.catalog = {form.model: HAND_MADE}
    image = png()
    for i in range(3):
        comm.deliver(
            {"type": "reference", "kind": "image", "name": f"r{i}.png", "mime": "image/png",
             "size": len(image), "upload": f"u{i}", "index": 0, "count": 1},
            [image],
        )
    assert [r["name"] for r in form.references["image"]] == ["r0.png", "r1.png"]
    assert form.references["image"][0]["thumb"].startswith("data:image/jpeg;base64,")
    assert "references" in form.errors  # (the real model behind the hand-made entry takes none)
    comm.deliver({"type": "reference", "kind": "audio", "name": "a.mp3", "data": base64.b64encode(b"ID3").decode()})
    assert "audio" not in form.references  # refused: the entry takes no audio
    comm.deliver({"type": "remove_reference", "kind": "image", "index": 0})
    assert [r["name"] for r in form.references["image"]] == ["r1.png"]
    assert form.values["reference_images"] == [image]  # as build_request keywords


# ------------------------------------------------------------------ issue 14: camera moves, prompt check


def test_the_move_picker_is_offered_where_moves_are_documented(form: Any) -> None:
    from hailuo_nb.film.camera_moves import CAMERA_MOVES
    from hailuo_nb.gateway.catalog import MODELS
    from hailuo_nb.notebook.widgets.capabilities import capabilities

    offered = {m for m, spec in MODELS.items() if capabilities(spec)["camera_moves"]}
    assert offered == {m for m, spec in MODELS.items() if spec.family in ("02", "2.3", "2.3-fast")}
    assert form.capabilities["camera_moves"] and not capabilities(MODELS["hailuo-h3-text-to-video"])["camera_moves"]
    assert form.camera_moves == {"names": list(CAMERA_MOVES), "per_bracket": 3}


def test_moves_are_inserted_at_the_cursor_by_python(form: Any, comm: RecordingComm) -> None:
    def insert(move: str, cursor: int, prompt: str | None = None) -> dict[str, Any]:
        msg: dict[str, Any] = {"type": "insert_moves", "moves": [move], "cursor": cursor}
        if prompt is not None:
            msg["prompt"] = prompt  # the browser's newest text travels with it
        comm.deliver(msg)
        return comm.custom()[-1][0]

    assert insert("pan LEFT", 5, "a fox runs") == {"type": "moves", "prompt": "a fox [Pan left] runs", "cursor": 16}
    assert form.prompt == "a fox [Pan left] runs"
    # The cursor inside the bracket (before its "]"): the moves join it, up to three.
    assert insert("Zoom in", 15)["cursor"] == 25
    assert insert("Shake", 24)["prompt"] == "a fox [Pan left, Zoom in, Shake] runs"
    full = form.prompt
    refused = insert("Tilt up", 31)
    assert refused["type"] == "moves" and "at most 3 moves per bracket" in refused["error"]
    assert "after the bracket" in refused["error"] and form.prompt == full  # nothing changed
    # After the bracket: a new one.
    assert insert("Tilt up", 32)["prompt"] == "a fox [Pan left, Zoom in, Shake] [Tilt up] runs"
    assert "not a MiniMax camera move" in insert("Barrel roll", 0)["error"]
    # The browser counts in UTF-16 code units: after "🦊" is 2 there, 1 here.
    assert insert("Shake", 2, "🦊 runs") == {"type": "moves", "prompt": "🦊 [Shake] runs", "cursor": 10}


def test_the_prompt_check_warns_and_never_blocks(form: Any, comm: RecordingComm) -> None:
    comm.deliver({"type": "set", "values": {"prompt": "a fox [Pan lefft, Zoom in] in snow"}})
    assert len(form.prompt_warnings) == 1
    assert "unknown camera move 'Pan lefft'" in form.prompt_warnings[0]
    assert "did you mean Pan left?" in form.prompt_warnings[0]
    assert form.blocker == "" and "prompt" not in form.errors  # Submit stays enabled
    comm.deliver({"type": "set", "values": {"prompt": "a fox [Pan left, Zoom in, Shake, Tilt up]"}})
    assert "has 4 moves" in form.prompt_warnings[0] and form.blocker == ""
    comm.deliver({"type": "set", "values": {"prompt": "a fox [Pan left]"}})
    assert form.prompt_warnings == []
    # A model not documented to read them (H3): a word about it, not an error.
    comm.deliver({"type": "set", "values": {"model": "hailuo-h3-text-to-video"}})
    assert form.prompt_warnings == [
        "MiniMax H3 · text → video · with sound is not documented to read camera moves such as"
        " [Pan left]; MiniMax documents them for Hailuo 02 and 2.3"
    ]
    assert form.blocker == ""
    # Over the model's limit on this provider: the gateway's error says so (once).
    comm.deliver({"type": "set", "values": {"model": "hailuo-02-text-to-video-pro", "prompt": "x" * 2001}})
    assert "at most 2000 characters" in form.errors["prompt"] and form.prompt_warnings == []
    # A limit below the gateway's (hand-made capabilities): a warning.
    form.catalog = {form.model: {**form.capabilities, "prompt_max": 10}}
    comm.deliver({"type": "set", "values": {"prompt": "a fox in the snow"}})
    assert form.prompt_warnings == ["the prompt has 17 characters; the model reads at most 10"]
    assert form.blocker == ""


# ------------------------------------------------------------------ issue 14: finalize from a card


def test_finalize_shows_the_ledger_and_sends_only_on_confirm(
    form: Any, comm: RecordingComm, sim_env: Path
) -> None:
    from hailuo_nb.gateway.pricing import list_price
    from hailuo_nb.sim import shared_server

    comm.deliver({"type": "set", "values": {"model": "hailuo-02-text-to-video-standard"}})
    comm.deliver({"type": "submit", "values": {"prompt": unique("a heron lands")}})
    draft = form.generations[0]
    draft.wait(20)
    wait_until(lambda: (card(form, draft.id) or {}).get("finalize", {}).get("offered"), what="offered")
    assert card(form, draft.id)["finalize"] == {"offered": True, "plan": None}
    sent = len(shared_server().accepted_submissions())

    comm.deliver({"type": "finalize", "id": draft.id})
    plan = card(form, draft.id)["finalize"]["plan"]
    draft_price = list_price("sim", "hailuo-02-text-to-video-standard", 6, "768p")
    assert draft_price is not None and draft_price.usd
    assert plan["label"] == f"Finalize at 1080p: $0.49 (drafts so far: ${draft_price.usd:.2f})"
    assert plan["detail"].startswith("new generation: hailuo-02-text-to-video-pro, 1080p, 6 s")
    assert plan["ledger"]["finalize_usd"] == 0.49 and plan["ledger"]["drafts"] == 1
    assert len(shared_server().accepted_submissions()) == sent and len(form.gallery) == 1  # nothing sent

    comm.deliver({"type": "finalize_cancel", "id": draft.id})
    assert card(form, draft.id)["finalize"]["plan"] is None and len(form.gallery) == 1

    comm.deliver({"type": "finalize", "id": draft.id})
    comm.deliver({"type": "finalize_confirm", "id": draft.id})
    final = form.generations[0]
    assert final is not draft and (final.model, final.resolution) == ("hailuo-02-text-to-video-pro", "1080p")
    assert card(form, draft.id)["finalize"]["plan"] is None
    final.wait(20)
    assert len(shared_server().accepted_submissions()) == sent + 1
    # The final is final: no Finalize on its card.
    wait_until(lambda: (card(form, final.id) or {}).get("status") == "succeeded", what="final card")
    assert card(form, final.id)["finalize"] == {"offered": False, "plan": None}
    # Finalizing the draft again reuses the final (the ledger says so, and nothing is paid).
    comm.deliver({"type": "finalize", "id": draft.id})
    assert "$0.00 (an identical final exists" in card(form, draft.id)["finalize"]["plan"]["label"]


def test_an_h3_draft_finalizes_by_2k_regeneration(form: Any, comm: RecordingComm) -> None:
    comm.deliver({"type": "set", "values": {"model": "hailuo-h3-text-to-video"}})
    comm.deliver({"type": "submit", "values": {"prompt": unique("a lighthouse at dusk")}})
    draft = form.generations[0]
    draft.wait(20)
    wait_until(lambda: (card(form, draft.id) or {}).get("finalize", {}).get("offered"), what="offered")
    comm.deliver({"type": "finalize", "id": draft.id})
    plan = card(form, draft.id)["finalize"]["plan"]
    assert plan["label"].startswith("Finalize at 2K: $") and plan["detail"].startswith("2K regeneration: ")
    comm.deliver({"type": "finalize_confirm", "id": draft.id})
    final = form.generations[0].wait(20)
    assert (final.status, final.resolution) == ("succeeded", "2k")


def test_a_final_clip_says_so_instead_of_asking(form: Any, comm: RecordingComm) -> None:
    comm.deliver({"type": "submit", "values": {"prompt": unique("already 1080p")}})  # 02 pro, 1080p
    gen = form.generations[0]
    gen.wait(20)
    wait_until(lambda: (card(form, gen.id) or {}).get("done"), what="done")
    assert card(form, gen.id)["finalize"] == {"offered": False, "plan": None}
    comm.deliver({"type": "finalize", "id": gen.id})  # (a stale button)
    assert "final already" in form.notice["text"] and card(form, gen.id)["finalize"]["plan"] is None
    assert len(form.gallery) == 1


# ------------------------------------------------------------------ issue 12: Enhance


@pytest.fixture
def fake_enhance(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """``hailuo_nb.enhance`` behind the form's seam: records its arguments, waits for ``go``."""
    from hailuo_nb.notebook.widgets import submission

    calls: dict[str, Any] = {"args": [], "go": threading.Event(), "result": "", "error": None}

    def expand(args: dict[str, Any]) -> str:
        calls["args"].append(args)
        assert calls["go"].wait(10)
        if calls["error"] is not None:
            raise calls["error"]
        return str(calls["result"])

    monkeypatch.setattr(submission, "enhance_prompt", expand)
    return calls


def offer_enhance(form: Any) -> None:
    """A model whose prompts the provider expands (H3: MiniMax's Context-IR, which the simulator speaks)."""
    form.model = "hailuo-h3-text-to-video"
    assert form.capabilities["enhance"]


def test_enhance_runs_in_the_background_and_is_used_only_when_asked(
    form: Any, comm: RecordingComm, fake_enhance: dict[str, Any]
) -> None:
    offer_enhance(form)
    fake_enhance["result"] = "  A red fox trots through fresh snow at dawn, low sun, [Tracking shot].  "
    start = time.perf_counter()
    comm.deliver({"type": "enhance", "prompt": "a fox in snow"})
    assert time.perf_counter() - start < 0.5  # the kernel is not blocked
    assert form.enhancement["status"] == "running" and form.prompt == "a fox in snow"
    fake_enhance["go"].set()
    wait_until(lambda: form.enhancement["status"] == "ready", what="ready")
    assert form.enhancement["text"] == "A red fox trots through fresh snow at dawn, low sun, [Tracking shot]."
    assert form.prompt == "a fox in snow"  # read first: nothing replaced yet
    args = fake_enhance["args"][0]
    assert (args["prompt"], args["model"], args["provider"], args["duration"], args["ratio"]) == (
        "a fox in snow", "hailuo-h3-text-to-video", "sim", 6, "16:9")
    comm.deliver({"type": "use_enhanced"})
    assert form.prompt.startswith("A red fox trots") and form.enhancement["undo"] == "a fox in snow"
    assert form.enhancement["status"] == ""
    comm.deliver({"type": "undo_enhance"})
    assert form.prompt == "a fox in snow" and form.enhancement["undo"] == ""


def test_enhance_errors_show_by_the_prompt_and_discard_drops_a_late_result(
    form: Any, comm: RecordingComm, fake_enhance: dict[str, Any]
) -> None:
    from hailuo_nb.errors import GatewayError

    comm.deliver({"type": "enhance", "prompt": "a fox"})  # not offered for this model here
    assert "no prompt expansion" in form.notice["text"] and form.enhancement["status"] == ""
    offer_enhance(form)
    fake_enhance["error"] = GatewayError("MiniMax said no (1026)", provider="sim")
    fake_enhance["go"].set()
    comm.deliver({"type": "enhance", "prompt": "a fox"})
    wait_until(lambda: form.enhancement["status"] == "failed", what="failed")
    assert "MiniMax said no (1026)" in form.enhancement["error"]
    # Discarded while running: its result is dropped when it arrives.
    fake_enhance.update(error=None, result="late text", go=threading.Event())
    worker = form.enhance()  # (what the message does; the Python API hands back the thread)
    assert form.enhancement["status"] == "running"
    comm.deliver({"type": "discard_enhanced"})
    fake_enhance["go"].set()
    worker.join(5)
    assert not worker.is_alive() and fake_enhance["args"][-1]["prompt"] == "a fox"
    comm.deliver({"type": "use_enhanced"})  # nothing is ready: nothing changes
    assert form.enhancement["status"] == "" and form.prompt == "a fox"


def test_enhance_on_the_simulator_expands_an_h3_prompt(form: Any, comm: RecordingComm) -> None:
    """The real hailuo_nb.enhance (MiniMax's Context-IR, as the simulator speaks it), off the kernel's thread."""
    from hailuo_nb.sim import shared_server

    assert not form.capabilities["enhance"]  # Hailuo 02: no expansion offered
    comm.deliver({"type": "set", "values": {"model": "hailuo-h3-text-to-video"}})
    assert form.capabilities["enhance"] and form.ratio == "16:9"
    videos = len(shared_server().accepted_submissions())
    prompt = unique("a paper boat on a puddle")
    start = time.perf_counter()
    comm.deliver({"type": "enhance", "prompt": prompt})
    assert time.perf_counter() - start < 0.5 and form.enhancement["status"] == "running"
    wait_until(lambda: form.enhancement["status"] in ("ready", "failed"), what="enhanced")
    assert form.enhancement["status"] == "ready", form.enhancement["error"]
    text = form.enhancement["text"]
    assert text and text != prompt and form.prompt == prompt
    tasks = shared_server().accepted_submissions()[videos:]
    assert [t.task_type for t in tasks] == ["h3_context_ir"]  # one text task, no video
    comm.deliver({"type": "use_enhanced"})
    assert form.prompt == text and form.blocker == ""  # ready to generate
