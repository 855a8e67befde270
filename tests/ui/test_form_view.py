"""form.js in headless Chromium without JupyterLab: its pure helpers and its view.

The page imports the very module the widget ships (``Form._esm``: common.js + form.js)
and status.js, and draws ``createFormView`` from the state of a *real* ``Form`` (its
synced traits, as the comm would carry them), with a recording ``send``. A second or
so per test, so the view's rules are checked here and the Lab test keeps to the path
a user takes.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser]

IMAGE_MODEL = "hailuo-02-image-to-video-standard"
LOAD = """async ([form, status]) => {
  const load = (src) => import(URL.createObjectURL(new Blob([src], { type: "text/javascript" })));
  window.formModule = await load(form);
  window.statusModule = await load(status);
  window.sent = [];
  window.draw = (state, config = null) => {
    document.body.replaceChildren();
    const host = document.createElement("div");
    document.body.append(host);
    window.view = window.formModule.createFormView(host, state, {
      send: (msg, buffers) => window.sent.push({ msg, chunks: (buffers || []).length }),
      createStatusView: window.statusModule.createStatusView,
      config,
    });
  };
}"""


def png(width: int = 400, height: int = 320) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


def view_state(form: Any) -> dict[str, Any]:
    """The form's synced state as the browser receives it (JSON), KEYS only."""
    from hailuo_nb.notebook.widgets.form_state import FormState

    state = json.loads(json.dumps(form.get_state()))
    return {k: v for k, v in state.items() if k in public_traits(FormState)}


def public_traits(cls: Any) -> set[str]:
    import anywidget

    base = set(anywidget.AnyWidget.class_trait_names(sync=True))
    return {n for n in cls.class_trait_names(sync=True) if n not in base and not n.startswith("_")}


@pytest.fixture
def page(chromium_browser: Any, sim_env: Path) -> Iterator[Any]:
    from hailuo_nb.notebook.widgets.form import FORM_ESM
    from hailuo_nb.notebook.widgets.status import STATUS_ESM

    context = chromium_browser.new_context()
    page = context.new_page()
    # An http page (files/ URLs resolve against it), served by Playwright itself.
    page.route("http://form.test/**", lambda route: route.fulfill(body="<!doctype html><body></body>"))
    page.goto("http://form.test/lab/tree/form.ipynb")
    page.evaluate(LOAD, [FORM_ESM, STATUS_ESM])
    yield page
    context.close()


@pytest.fixture
def sim_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HAILUO_PROVIDER", "sim")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def sent(page: Any, kind: str) -> list[dict[str, Any]]:
    return [s for s in page.evaluate("() => window.sent") if s["msg"]["type"] == kind]


# ------------------------------------------------------------------ helpers and contracts


def test_pure_helpers(page: Any) -> None:
    got = page.evaluate(
        """() => {
      const m = window.formModule;
      return {
        set: m.durationControl([6, 10]),
        range: m.durationControl({ min: 4, max: 15 }),
        room: m.fitToRoom(["a", "b", "c"], 2, 1),
        kinds: [m.mediaKindOf({ type: "image/png" }), m.mediaKindOf({ type: "audio/mpeg" }),
                m.mediaKindOf({ type: "text/plain" })],
        detail: m.fileDetail({ width: 480, height: 320, size: 2048 }),
        hidden: m.shownMessage("prompt", { prompt: "empty" }, new Set()),
        shown: m.shownMessage("model", { model: "no" }, new Set()),
        seconds: m.formatSeconds(68),
        bytes: [m.formatBytes(0), m.formatBytes(3 * 1024 * 1024)],
        cost: [m.costLabel("$0.49"), m.costLabel("", "price not published")],
        url: m.filesUrl("hailuo_videos/a b.mp4", { baseUrl: "/lab/" }, "http://h:1/lab/tree/x"),
        climbing: m.filesUrl("../secret.mp4", { baseUrl: "/" }, "http://h:1/"),
        absolute: m.filesUrl("/home/me/a.mp4", { baseUrl: "/" }, "http://h:1/"),
      };
    }"""
    )
    assert got["set"] == {"kind": "select", "options": [6, 10]}
    assert got["range"] == {"kind": "range", "min": 4, "max": 15, "step": 1}
    assert got["room"] == {"take": ["a"], "refused": 2}
    assert got["kinds"] == ["image", "audio", ""]
    assert got["detail"] == "480×320 · 2 KB"
    assert (got["hidden"], got["shown"]) == ("", "no")
    assert got["seconds"] == "1:08" and got["bytes"] == ["", "3.0 MB"]
    assert got["cost"] == ["$0.49 est.", "price not published"]
    assert got["url"] == "http://h:1/lab/files/hailuo_videos/a%20b.mp4"
    assert got["climbing"] == "" and got["absolute"] == ""


def test_keys_are_the_python_traits_and_every_one_is_drawn(page: Any) -> None:
    import hailuo_nb
    from hailuo_nb.notebook.widgets.form import Form

    keys = page.evaluate("() => window.formModule.KEYS")
    assert set(keys) == public_traits(Form)
    page.evaluate("(s) => window.draw(s)", view_state(hailuo_nb.Form()))
    assert set(page.evaluate("() => window.view.keysRead()")) == set(keys)


# ------------------------------------------------------------------ issue 15: initial values


def test_every_initial_value_is_shown_at_first_render(page: Any) -> None:
    import hailuo_nb

    form = hailuo_nb.Form(
        model=IMAGE_MODEL,
        prompt="a red fox",
        duration=10,
        resolution="512p",
        prompt_optimizer=False,
        first_frame=png(),
    )
    page.evaluate("(s) => window.draw(s)", view_state(form))
    shown = page.evaluate(
        """() => {
      const q = (s) => document.querySelector(s);
      return {
        prompt: q(".hailuo-form__prompt").value,
        count: q(".hailuo-form__count").textContent,
        provider: q(".hailuo-form__field--provider select").value,
        model: q(".hailuo-form__field--model select").value,
        duration: q(".hailuo-form__field--duration select").value,
        resolution: q(".hailuo-form__field--resolution select").value,
        optimizer: q(".hailuo-form__checkbox").checked,
        first: q('.hailuo-form__frame[data-field="first_frame"] .hailuo-form__frame-name').textContent,
        thumb: q('.hailuo-form__frame[data-field="first_frame"] img').src.slice(0, 23),
        lastShown: !q('.hailuo-form__frame[data-field="last_frame"]').hidden,
        cost: q(".hailuo-form__cost").textContent,
        disabled: q(".hailuo-form__submit").disabled,
        ratioShown: !q(".hailuo-form__field--ratio").hidden,
      };
    }"""
    )
    assert shown == {
        "prompt": "a red fox",
        "count": "9 / 2000",
        "provider": "sim",
        "model": IMAGE_MODEL,
        "duration": "10",
        "resolution": "512p",
        "optimizer": False,
        "first": "bytes",
        "thumb": "data:image/jpeg;base64,",
        "lastShown": True,
        "cost": "$0.15 est.",
        "disabled": False,
        "ratioShown": False,
    }
    # Generate sends the shown prompt, not an empty one.
    page.click(".hailuo-form__submit")
    assert sent(page, "submit")[-1]["msg"]["values"] == {"prompt": "a red fox"}


def test_an_echo_of_older_typing_does_not_undo_newer_typing(page: Any) -> None:
    import hailuo_nb

    page.evaluate("(s) => window.draw(s)", view_state(hailuo_nb.Form(prompt="a")))
    area = page.locator(".hailuo-form__prompt")
    area.press_sequentially("b")
    page.wait_for_function("() => window.sent.some((s) => s.msg.type === 'set')")  # "ab" went out
    area.press_sequentially("c")
    page.evaluate("() => window.view.update({ prompt: 'ab' })")  # the kernel's echo of "ab"
    assert area.input_value() == "abc"
    page.wait_for_function("() => window.sent.filter((s) => s.msg.type === 'set').length === 2")
    assert sent(page, "set")[-1]["msg"]["values"] == {"prompt": "abc"}
    page.evaluate("() => window.view.update({ prompt: 'abc' })")
    page.evaluate("() => window.view.update({ prompt: 'set from Python' })")  # not an echo: drawn
    assert area.input_value() == "set from Python"



def test_a_sync_of_another_field_before_the_echo_keeps_the_typing(page: Any) -> None:
    import hailuo_nb

    page.evaluate("(s) => window.draw(s)", view_state(hailuo_nb.Form()))
    area = page.locator(".hailuo-form__prompt")
    area.press_sequentially("a kite")
    page.wait_for_function("() => window.sent.some((s) => s.msg.type === 'set')")  # sent, not echoed
    # The kernel's answer to a model change overtakes the echo: its prompt is still "".
    page.evaluate("() => window.view.update({ model: 'hailuo-02-text-to-video-standard' })")
    assert area.input_value() == "a kite"
    page.evaluate("() => window.view.update({ prompt: 'a kite' })")  # the echo
    assert area.input_value() == "a kite"


# ------------------------------------------------------------------ capabilities as data


HAND_MADE = {
    "label": "A future model",
    "input": "any",
    "durations": {"min": 4, "max": 15, "step": 1},
    "default_duration": 5,
    "resolutions": ["720p", "1080p"],
    "default_resolution": "720p",
    "ratios": ["16:9", "9:16", "1:1"],
    "default_ratio": "16:9",
    "frames": {"first": True, "last": False, "need_first": False},
    "references": {"image": 2, "video": 1, "audio": 0},
    "has_audio": True,
    "prompt_max": 500,
}


def test_controls_come_from_the_capabilities(page: Any) -> None:
    import hailuo_nb

    form = hailuo_nb.Form(prompt="fox")
    form.catalog = {form.model: HAND_MADE}
    state = view_state(form)
    assert (state["duration"], state["resolution"], state["ratio"]) == (6, "1080p", "16:9")  # fitted
    page.evaluate("(s) => window.draw(s)", state)
    shown = page.evaluate(
        """() => {
      const q = (s) => document.querySelector(s);
      const range = q(".hailuo-form__field--duration input[type=range]");
      return {
        range: range && [range.min, range.max, range.value],
        readout: q(".hailuo-form__readout").textContent,
        ratios: [...q(".hailuo-form__field--ratio select").options].map((o) => o.value),
        ratio: q(".hailuo-form__field--ratio select").value,
        resolutions: [...q(".hailuo-form__field--resolution select").options].map((o) => o.value),
        refs: [...document.querySelectorAll(".hailuo-form__refs")].filter((r) => !r.hidden)
          .map((r) => [r.dataset.kind, r.querySelector(".hailuo-form__ref-count").textContent]),
        first: !q('.hailuo-form__frame[data-field="first_frame"]').hidden,
        last: !q('.hailuo-form__frame[data-field="last_frame"]').hidden,
        count: q(".hailuo-form__count").textContent,
      };
    }"""
    )
    assert shown == {
        "range": ["4", "15", "6"],
        "readout": "6 s",
        "ratios": ["16:9", "9:16", "1:1"],
        "ratio": "16:9",
        "resolutions": ["720p", "1080p"],
        "refs": [["image", "0 / 2"], ["video", "0 / 1"]],
        "first": True,
        "last": False,
        "count": "3 / 500",
    }
    # The slider and the ratio picker send their values as fields.
    page.locator(".hailuo-form__field--duration input[type=range]").fill("12")
    page.locator(".hailuo-form__field--ratio select").select_option("9:16")
    values = [s["msg"]["values"] for s in sent(page, "set")]
    assert {"duration": "12"} in values and {"ratio": "9:16"} in values


def test_reference_counts_are_shown_and_enforced_with_drag_and_drop(page: Any) -> None:
    import hailuo_nb

    form = hailuo_nb.Form(prompt="fox")
    form.catalog = {form.model: HAND_MADE}
    page.evaluate("(s) => window.draw(s)", view_state(form))
    # Three images and a text file dropped on the images picker: two fit.
    page.evaluate(
        """() => {
      const data = new DataTransfer();
      for (const name of ["a.png", "b.png", "c.png"]) {
        data.items.add(new File([new Uint8Array([137, 80, 78, 71])], name, { type: "image/png" }));
      }
      data.items.add(new File(["hi"], "notes.txt", { type: "text/plain" }));
      const zone = document.querySelector('.hailuo-form__refs[data-kind="image"] .hailuo-form__drop');
      for (const type of ["dragenter", "dragover", "drop"]) {
        zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: data }));
      }
    }"""
    )
    page.wait_for_function("() => window.sent.filter((s) => s.msg.type === 'reference').length === 2")
    uploads = sent(page, "reference")
    assert [u["msg"]["name"] for u in uploads] == ["a.png", "b.png"]
    assert all(u["msg"]["kind"] == "image" and u["chunks"] == 1 for u in uploads)
    picker = page.locator('.hailuo-form__refs[data-kind="image"]')
    assert "1 not added" in picker.locator(".hailuo-form__ref-note").text_content()
    assert "not images" in picker.locator(".hailuo-form__ref-note").text_content()
    assert picker.locator(".hailuo-form__ref-add").is_disabled()  # full while they upload
    # The kernel's answer: two images chosen.
    item = {"name": "a.png", "mime": "image/png", "size": 4, "thumb": ""}
    page.evaluate("(refs) => window.view.update({ references: refs })", {"image": [item, item]})
    assert picker.locator(".hailuo-form__ref-count").text_content() == "2 / 2"
    assert picker.locator(".hailuo-form__ref-add").is_disabled()
    picker.locator(".hailuo-form__ref-remove").first.click()
    assert sent(page, "remove_reference")[-1]["msg"] == {"type": "remove_reference", "kind": "image", "index": 0}


# ------------------------------------------------------------------ videos without local paths


def test_a_card_plays_from_the_files_route_by_relative_path_only(page: Any) -> None:
    import hailuo_nb

    state = view_state(hailuo_nb.Form())
    card = {
        "generation_id": "g1",
        "status": "succeeded",
        "prompt": "fox",
        "done": True,
        "frames_known": True,
        "video": {"name": "g1.mp4", "size": 10, "rel": None},
    }
    config = {"baseUrl": "/lab-base/", "serverRoot": "~/work"}
    page.evaluate("([s, c]) => window.draw(s, c)", [{**state, "gallery": [card]}, config])
    # The page told the kernel its server root, and waits for its answer before fetching bytes.
    assert sent(page, "hello")[0]["msg"]["server_root"] == "~/work"
    assert sent(page, "video") == []
    with_rel = {**card, "video": {**card["video"], "rel": "hailuo_videos/g1.mp4"}}
    page.evaluate("(g) => window.view.update({ gallery: g })", [with_rel])
    page.evaluate("() => window.view.receive({ type: 'hello' })")
    # (This page serves no files/, so the video fails and then asks for bytes: the fallback.)
    src = page.locator("video.hailuo-form__video").get_attribute("src")
    assert src == "http://form.test/lab-base/files/hailuo_videos/g1.mp4"
    # Outside the server root (rel null after the kernel's answer): the bytes are asked for.
    outside = {**card, "generation_id": "g2", "video": {**card["video"], "name": "g2.mp4"}}
    page.evaluate("(g) => window.view.update({ gallery: g })", [outside, with_rel])
    assert "g2" in [s["msg"]["id"] for s in sent(page, "video")]
    assert page.locator('.hailuo-form__card[data-id="g2"] video.hailuo-form__video').get_attribute("data-source") == "requested"


# ------------------------------------------------------------------ the prompt's tools and Finalize (issues 12, 14)


class Kernel:
    """A real Form standing in for the kernel: the page's messages are delivered to it, and
    its answers (custom messages, then its synced state) are handed back to the view."""

    def __init__(self, page: Any, form: Any) -> None:
        self.page, self.form, self.seen = page, form, 0
        self.replies: list[dict[str, Any]] = []
        form.send = lambda content, buffers=None: self.replies.append(content)

    def draw(self) -> None:
        self.page.evaluate("(s) => window.draw(s)", view_state(self.form))
        self.seen = len(self.page.evaluate("() => window.sent"))

    def pump(self) -> list[dict[str, Any]]:
        """Deliver what the page sent since the last pump; draw the answers. Returns the messages."""
        messages = [s["msg"] for s in self.page.evaluate("() => window.sent")[self.seen :]]
        self.seen += len(messages)
        for msg in messages:
            self.form._handle_message(None, msg, [])
        replies, self.replies = self.replies, []
        for reply in replies:
            self.page.evaluate("(c) => window.view.receive(c)", reply)
        self.refresh()
        return messages

    def refresh(self) -> None:
        self.page.evaluate("(s) => window.view.update(s)", view_state(self.form))


def caret(page: Any) -> int:
    return int(page.evaluate("() => document.querySelector('.hailuo-form__prompt').selectionStart"))


def test_the_move_picker_inserts_at_the_cursor_through_python(page: Any) -> None:
    import hailuo_nb
    from hailuo_nb.film.camera_moves import CAMERA_MOVES

    kernel = Kernel(page, hailuo_nb.Form(prompt="a fox runs through snow"))
    kernel.draw()
    toggle = page.locator(".hailuo-form__moves-toggle")
    assert "not for H3" in (toggle.get_attribute("title") or "")
    assert page.locator(".hailuo-form__moves").is_hidden()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator(".hailuo-form__move").all_text_contents() == list(CAMERA_MOVES)
    area = page.locator(".hailuo-form__prompt")
    area.evaluate("(a) => a.setSelectionRange(5, 5)")  # "a fox| runs"

    def pick(move: str) -> dict[str, Any]:
        page.get_by_role("button", name=move, exact=True).click()
        return kernel.pump()[-1]

    assert pick("Pan left") == {
        "type": "insert_moves", "moves": ["Pan left"], "cursor": 5, "prompt": "a fox runs through snow"}
    assert area.input_value() == "a fox [Pan left] runs through snow" and caret(page) == 16
    # Clicked in a row, with the caret left where the last one put it: one bracket.
    assert pick("Zoom in")["cursor"] == 15  # inside the bracket, before its "]"
    pick("Shake")
    assert area.input_value() == "a fox [Pan left, Zoom in, Shake] runs through snow"
    # A fourth is refused by Python's rule (three per bracket), with why; the text is unchanged.
    pick("Tilt up")
    note = page.locator(".hailuo-form__moves-note").text_content() or ""
    assert "at most 3 moves per bracket" in note and "after the bracket" in note
    assert area.input_value() == "a fox [Pan left, Zoom in, Shake] runs through snow"
    # With the caret elsewhere, it opens a bracket of its own there.
    area.evaluate("(a) => a.setSelectionRange(a.value.length, a.value.length)")
    pick("Tilt up")
    assert area.input_value() == "a fox [Pan left, Zoom in, Shake] runs through snow [Tilt up]"
    assert kernel.form.prompt == area.input_value() and caret(page) == len(area.input_value())
    assert page.locator(".hailuo-form__moves-note").text_content() == ""
    # Text typed before the picker was used travels with the request (no lost keystrokes).
    area.press("End")
    area.press_sequentially(" fast")
    pick("Shake")
    assert area.input_value().endswith("[Tilt up] fast [Shake]")


def test_the_move_picker_is_not_offered_where_moves_are_not_documented(page: Any) -> None:
    import hailuo_nb

    form = hailuo_nb.Form(model="hailuo-h3-text-to-video", prompt="fox")
    page.evaluate("(s) => window.draw(s)", view_state(form))
    assert page.locator(".hailuo-form__moves-toggle").is_hidden()
    assert page.locator(".hailuo-form__moves").is_hidden()


def test_prompt_warnings_are_shown_and_generate_stays_enabled(page: Any) -> None:
    import hailuo_nb

    form = hailuo_nb.Form(prompt="a fox [Pan lefft, Zoom in]")
    page.evaluate("(s) => window.draw(s)", view_state(form))
    warnings = page.locator(".hailuo-form__warning")
    assert warnings.count() == 1
    assert "unknown camera move 'Pan lefft'" in (warnings.first.text_content() or "")
    assert not page.locator(".hailuo-form__submit").is_disabled()
    described = page.locator(".hailuo-form__prompt").get_attribute("aria-describedby") or ""
    assert page.locator(".hailuo-form__warnings").get_attribute("id") in described.split()
    page.evaluate("() => window.view.update({ prompt_warnings: [] })")
    assert page.locator(".hailuo-form__warnings").is_hidden()


def test_finalize_shows_the_ledger_before_anything_is_sent(page: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import uuid

    import hailuo_nb
    from hailuo_nb.sim import shared_server

    monkeypatch.setenv("HAILUO_POLL_INTERVAL", "0.05")
    form = hailuo_nb.Form(model="hailuo-02-text-to-video-standard", prompt=f"a heron lands {uuid.uuid4().hex[:6]}")
    kernel = Kernel(page, form)
    draft = form.submit()
    assert draft is not None
    draft.wait(20)
    kernel.draw()
    card = page.locator(f'.hailuo-form__card[data-id="{draft.id}"]')
    finalize = card.locator(".hailuo-form__finalize")
    assert finalize.is_visible() and card.locator(".hailuo-form__confirm").is_hidden()
    paid = len(shared_server().accepted_submissions())

    finalize.click()
    assert finalize.is_disabled()  # until the kernel answers
    assert kernel.pump() == [{"type": "finalize", "id": draft.id}]
    confirm = card.locator(".hailuo-form__confirm")
    label = confirm.locator(".hailuo-form__confirm-label").text_content() or ""
    assert label.startswith("Finalize at 1080p: $0.49 (drafts so far: $")
    assert "hailuo-02-text-to-video-pro, 1080p, 6 s" in (confirm.locator(".hailuo-form__confirm-detail").text_content() or "")
    assert len(shared_server().accepted_submissions()) == paid  # shown, not sent
    # Cancel: nothing sent, the button is back.
    confirm.get_by_role("button", name="Cancel").click()
    assert kernel.pump() == [{"type": "finalize_cancel", "id": draft.id}]
    assert confirm.is_hidden() and not finalize.is_disabled()
    # Finalize, then Confirm: the final joins the gallery as a new card.
    finalize.click()
    kernel.pump()
    confirm.get_by_role("button", name="Confirm").click()
    assert kernel.pump() == [{"type": "finalize_confirm", "id": draft.id}]
    assert confirm.is_hidden() and page.locator(".hailuo-form__card").count() == 2
    final = form.generations[0]
    assert (final.model, final.resolution) == ("hailuo-02-text-to-video-pro", "1080p")
    assert page.locator(".hailuo-form__card").first.get_attribute("data-id") == final.id
    final.wait(20)
    assert len(shared_server().accepted_submissions()) == paid + 1
    kernel.refresh()  # the final is final: no Finalize on its card
    assert page.locator(f'.hailuo-form__card[data-id="{final.id}"] .hailuo-form__finalize').is_hidden()


def test_enhance_shows_the_text_to_read_then_use_undo_or_an_error(
    page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from waiting import wait_for as wait_until

    import hailuo_nb
    from hailuo_nb.errors import GatewayError
    from hailuo_nb.notebook.widgets import submission

    go, outcome = threading.Event(), {"text": "A red fox trots through deep snow at dawn.", "error": None}

    def expand(args: dict[str, Any]) -> str:  # hailuo_nb.enhance behind the form's seam
        assert go.wait(10)
        if outcome["error"] is not None:
            raise outcome["error"]
        return str(outcome["text"])

    monkeypatch.setattr(submission, "enhance_prompt", expand)
    form = hailuo_nb.Form(prompt="a fox")
    kernel = Kernel(page, form)
    kernel.draw()
    start = page.locator(".hailuo-form__enhance")
    assert start.is_hidden()  # Hailuo 02: no prompt expansion
    form.model = "hailuo-h3-text-to-video"  # MiniMax's H3 Context-IR (the simulator speaks it)
    kernel.refresh()
    assert start.is_visible()
    panel = page.locator(".hailuo-form__enhanced")
    start.click()
    assert kernel.pump() == [{"type": "enhance", "prompt": "a fox"}]
    assert start.text_content() == "Enhancing…" and start.is_disabled()
    assert panel.locator(".hailuo-form__enhanced-status").text_content() == "Enhancing…"
    go.set()
    wait_until(lambda: form.enhancement["status"] == "ready", what="enhanced")
    kernel.refresh()
    assert panel.locator(".hailuo-form__enhanced-text").text_content() == outcome["text"]
    area = page.locator(".hailuo-form__prompt")
    assert area.input_value() == "a fox"  # to read first
    panel.get_by_role("button", name="Use it").click()
    kernel.pump()
    assert area.input_value() == outcome["text"] and panel.is_hidden()
    page.locator(".hailuo-form__enhance-undo").click()
    kernel.pump()
    assert area.input_value() == "a fox" and page.locator(".hailuo-form__enhance-undo").is_hidden()
    # An error is shown by the prompt, and can be dismissed.
    outcome["error"] = GatewayError("Context-IR failed (1026)", provider="sim")
    start.click()
    kernel.pump()
    wait_until(lambda: form.enhancement["status"] == "failed", what="failed")
    kernel.refresh()
    assert "Context-IR failed (1026)" in (panel.locator(".hailuo-form__enhanced-error").text_content() or "")
    assert panel.get_by_role("button", name="Use it").is_hidden()
    panel.get_by_role("button", name="Discard").click()
    kernel.pump()
    assert panel.is_hidden() and not start.is_disabled()
