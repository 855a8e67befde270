"""hailuo_nb.Form() in JupyterLab, in headless Chromium, against the simulator.

A new user's path: ``Form()`` in a cell; write a prompt, pick an image-to-video model,
upload a PNG as first frame (and drop another as last frame), generate with Ctrl+Enter,
watch the card go from live status to a playing video; put a camera move in the prompt
and open (then cancel) the card's Finalize ledger; switch to a model without a last
frame and see that picker go; reload the page and see the gallery and video come back;
a video outside the server root reaches its card as bytes. Screenshots go to
test-artifacts/ (light and dark theme) and a small copy to docs/form.png (written when
missing, or refreshed with HAILUO_UPDATE_DOCS=1).
Every wait is on a condition with a deadline, never a sleep.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest
from form_lab import DROP_FILE, LUMINANCE, VIDEO_READY, lab, png_bytes, small_copy

lab_server = lab.lab_server  # the shared module-scoped JupyterLab (jupyterlab.py)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCS_PNG = lab.ROOT / "docs" / "form.png"
PROMPT = "a red kite over a grey sea, late afternoon light"
NASTY = 'a <img src=x onerror="document.title=1"> paper boat on a puddle'
CELLS = [
    "import hailuo_nb\nform = hailuo_nb.Form()\nform",
    # Run later, by hand: a video outside the server root (no files/ URL for it).
    "import os, tempfile\n"
    "os.environ['HAILUO_OUTPUT_DIR'] = tempfile.mkdtemp(prefix='hailuo-outside-')\n"
    "form.model = 'hailuo-02-text-to-video-standard'\n"
    f"form.prompt = {NASTY!r}\n"
    "outside = form.submit()",
]
WAIT = 60_000
CELL_COUNT = "() => window.jupyterapp.shell.currentWidget.content.widgets.length"


def card_video(page: Any, index: int = 0) -> Any:
    return page.locator(".hailuo-form__card").nth(index).locator("video.hailuo-form__video")


def wait_video_ready(page: Any, index: int = 0, timeout: float = WAIT) -> None:
    card_video(page, index).wait_for(state="attached", timeout=timeout)
    page.wait_for_function(
        f"(i) => ({VIDEO_READY})(document.querySelectorAll('video.hailuo-form__video')[i])",
        arg=index,
        timeout=timeout,
    )


def test_form_in_jupyterlab(chromium_browser: Any, lab_server: Any, tmp_path: Path) -> None:
    notebook = lab_server.root / "form.ipynb"
    lab.write_notebook(notebook, CELLS)
    context = chromium_browser.new_context(viewport={"width": 1200, "height": 1100})
    page = context.new_page()
    try:
        lab.open_notebook(page, lab_server, notebook.name)
        lab.command(page, "notebook:run-cell")  # the first cell only
        form = page.locator(".hailuo-form")
        form.wait_for(timeout=WAIT)

        # -- fields: labelled controls, reachable by their labels
        prompt = form.get_by_label("Prompt", exact=True)
        prompt.fill(PROMPT[:-20])
        # Typed keys are the textarea's: JupyterLab's command-mode shortcuts (a, o, l...)
        # must not fire while the form has focus.
        prompt.press_sequentially(PROMPT[-20:])
        assert prompt.input_value() == PROMPT
        assert page.evaluate(CELL_COUNT) == len(CELLS)
        model = form.get_by_label("Model", exact=True)
        model.select_option("hailuo-02-image-to-video-standard")
        first = form.locator('.hailuo-form__frame[data-field="first_frame"]')
        last = form.locator('.hailuo-form__frame[data-field="last_frame"]')
        first.wait_for(state="visible", timeout=WAIT)
        last.wait_for(state="visible", timeout=WAIT)
        # Submit is disabled, with the gateway's reason, until there is a first frame.
        page.wait_for_function(
            "() => document.querySelector('.hailuo-form__submit').disabled"
            " && document.querySelector('.hailuo-form__blocker').textContent.startsWith('First frame')",
            timeout=WAIT,
        )
        assert "needs a first frame" in first.locator(".hailuo-form__msg").text_content()

        # -- first frame: the file input; last frame: drag and drop
        upload = tmp_path / "form-first-frame.png"
        upload.write_bytes(png_bytes(480, 320))
        first.locator('input[type="file"]').set_input_files(str(upload))
        page.evaluate(
            DROP_FILE,
            [
                '.hailuo-form__frame[data-field="last_frame"] .hailuo-form__drop',
                "dropped.png",
                base64.b64encode(png_bytes(480, 320, 1)).decode(),
            ],
        )
        for picker, name in ((first, "form-first-frame.png"), (last, "dropped.png")):
            thumb = picker.locator("img.hailuo-form__thumb")
            thumb.wait_for(state="visible", timeout=WAIT)
            assert thumb.get_attribute("src").startswith("data:image/jpeg;base64,")
            assert picker.locator(".hailuo-form__frame-name").text_content() == name
            assert picker.locator(".hailuo-form__frame-detail").text_content().startswith("480×320")
        page.wait_for_function("() => !document.querySelector('.hailuo-form__submit').disabled", timeout=WAIT)
        assert form.locator(".hailuo-form__cost").text_content() == "$0.28 est."

        # -- Ctrl+Enter in the prompt generates (and does not re-run the cell)
        prompt.press("Control+Enter")
        card = form.locator(".hailuo-form__card").first
        card.wait_for(timeout=WAIT)
        page.wait_for_function(
            "() => { const s = document.querySelector('.hailuo-form__card .hailuo-status');"
            " return s && ['queued', 'running'].includes(s.dataset.status)"
            " && s.querySelector('.hailuo-status__elapsed').textContent !== ''"
            " && s.querySelector('.hailuo-status__task-id').textContent !== ''; }",
            timeout=WAIT,
        )
        status = card.locator(".hailuo-status")
        assert status.locator(".hailuo-status__cost").text_content() == "$0.28 est."
        assert page.locator(".hailuo-form").count() == 1  # the cell did not run again
        assert page.evaluate(CELL_COUNT) == len(CELLS)
        assert status.locator(".hailuo-status__prompt").text_content() == PROMPT
        lab.screenshot(form, "form-running.png")

        # -- the card ends with the video playing, served by the Jupyter server
        wait_video_ready(page)
        video = card_video(page)
        assert video.get_attribute("data-source") == "files"
        assert "/files/hailuo_videos/" in video.get_attribute("src")
        download = card.locator("a.hailuo-form__download")
        assert download.get_attribute("href").endswith("?download=1")
        assert download.get_attribute("download").endswith(".mp4")
        video.evaluate("(v) => v.play()")
        page.wait_for_function(
            "() => { const v = document.querySelector('video.hailuo-form__video');"
            " return v.currentTime > 0 && !v.paused; }",
            timeout=WAIT,
        )
        assert status.get_attribute("data-status") == "succeeded"
        assert status.locator(".hailuo-status__model").text_content() == "hailuo-02-image-to-video-standard"
        assert status.locator(".hailuo-status__spec").text_content().startswith("6 s")
        shot = lab.screenshot(form, "form.png")
        if not DOCS_PNG.exists() or os.environ.get("HAILUO_UPDATE_DOCS") == "1":
            small_copy(shot, DOCS_PNG)  # the README's picture; refreshed only on request

        # -- the prompt's tools, through the real kernel: a camera move at the caret (Python
        # inserts it), and a card's Finalize shows its ledger, sending nothing until Confirm
        prompt.evaluate("(a) => a.setSelectionRange(0, 0)")
        form.get_by_role("button", name="Camera moves").click()
        form.get_by_role("button", name="Pan left", exact=True).click()
        page.wait_for_function(
            f"() => document.querySelector('.hailuo-form__prompt').value === {('[Pan left] ' + PROMPT)!r}"
            " && document.querySelector('.hailuo-form__prompt').selectionStart === 10",
            timeout=WAIT,
        )
        card.get_by_role("button", name="Finalize").click()
        confirm = card.locator(".hailuo-form__confirm")
        confirm.wait_for(state="visible", timeout=WAIT)
        assert confirm.locator(".hailuo-form__confirm-label").text_content().startswith("Finalize at 1080p: $")
        confirm.get_by_role("button", name="Cancel").click()
        confirm.wait_for(state="hidden", timeout=WAIT)
        assert form.locator(".hailuo-form__card").count() == 1

        # -- a model without a last frame: that picker goes; a text model: both go
        model.select_option("hailuo-2.3-image-to-video-standard")
        last.wait_for(state="hidden", timeout=WAIT)
        assert first.is_visible()
        model.select_option("hailuo-2.3-text-to-video-standard")
        first.wait_for(state="hidden", timeout=WAIT)

        # -- tweak loads the card's settings back, frames included
        card.get_by_role("button", name="Tweak").click()
        page.wait_for_function(
            "() => document.querySelector('.hailuo-form__field--model select').value"
            " === 'hailuo-02-image-to-video-standard'",
            timeout=WAIT,
        )
        last.wait_for(state="visible", timeout=WAIT)
        assert prompt.input_value() == PROMPT

        # -- dark theme: the same widget, dark colours from JupyterLab's variables
        light = form.locator(".hailuo-form__fields").evaluate(LUMINANCE)
        page.evaluate(
            "() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})"
        )
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'", timeout=WAIT)
        page.wait_for_function(
            f"() => ({LUMINANCE})(document.querySelector('.hailuo-form__fields')) < 0.3", timeout=WAIT
        )
        assert light > 0.7
        lab.screenshot(form, "form-dark.png")
        page.evaluate(
            "() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})"
        )
        page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'", timeout=WAIT)

        # -- a reload: the form comes back from the live kernel, video and all
        lab.command(page, "docmanager:save")
        page.wait_for_function(
            "() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=WAIT
        )
        lab.open_notebook(page, lab_server, notebook.name)
        page.locator(".hailuo-form__card").first.wait_for(timeout=WAIT)
        wait_video_ready(page)
        assert card_video(page).get_attribute("data-source") == "files"

        # -- a video outside the server root reaches its card as bytes (blob: URL)
        page.evaluate(
            "() => { const nb = window.jupyterapp.shell.currentWidget.content; nb.activeCellIndex = 1; }"
        )
        lab.command(page, "notebook:run-cell")
        page.wait_for_function(
            "() => document.querySelectorAll('.hailuo-form__card').length === 2", timeout=WAIT
        )
        wait_video_ready(page, 0)
        assert card_video(page, 0).get_attribute("data-source") == "blob"
        assert card_video(page, 0).get_attribute("src").startswith("blob:")
        assert card_video(page, 1).get_attribute("data-source") == "files"
        # That prompt's markup is text: no <img> was made and its handler never ran.
        newest = page.locator(".hailuo-form__card").first
        assert newest.locator(".hailuo-status__prompt").text_content() == NASTY
        assert newest.locator("img").count() == 0 and page.title() != "1"
        lab.screenshot(page.locator(".hailuo-form"), "form-two-cards.png")
    except Exception:
        lab.screenshot(page, "form-failure.png")
        raise
    finally:
        context.close()


def test_initial_prompt_shows_and_generates(chromium_browser: Any, lab_server: Any) -> None:
    """Issue 15: ``Form(prompt=...)`` drew an empty box, and Generate then failed."""
    notebook = lab_server.root / "form-initial.ipynb"
    lab.write_notebook(
        notebook,
        [
            "import hailuo_nb\n"
            "fox = hailuo_nb.Form(prompt='a red fox', model='hailuo-02-text-to-video-standard',"
            " duration=10, prompt_optimizer=False)\nfox"
        ],
    )
    context = chromium_browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    try:
        lab.open_notebook(page, lab_server, notebook.name)
        lab.command(page, "notebook:run-cell")
        form = page.locator(".hailuo-form")
        form.wait_for(timeout=WAIT)
        # Every initial value is in its control at first render.
        assert form.get_by_label("Prompt", exact=True).input_value() == "a red fox"
        assert form.get_by_label("Model", exact=True).input_value() == "hailuo-02-text-to-video-standard"
        assert form.get_by_label("Duration", exact=True).input_value() == "10"
        assert not form.get_by_label("Prompt optimizer").is_checked()
        assert form.locator(".hailuo-form__cost").text_content() == "$0.56 est."
        # Generate works with the prompt as given, and the video plays from a relative files/ URL.
        form.get_by_role("button", name="Generate").click()
        card = form.locator(".hailuo-form__card").first
        card.wait_for(timeout=WAIT)
        assert card.locator(".hailuo-status__prompt").text_content() == "a red fox"
        assert form.get_by_label("Prompt", exact=True).input_value() == "a red fox"
        assert form.locator(".hailuo-form__notice").is_hidden()
        wait_video_ready(page)
        assert card_video(page).get_attribute("data-source") == "files"
        assert "/files/hailuo_videos/" in card_video(page).get_attribute("src")
    except Exception:
        lab.screenshot(page, "form-initial-failure.png")
        raise
    finally:
        context.close()
