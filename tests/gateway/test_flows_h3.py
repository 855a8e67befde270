"""Acceptance (issue 12): MiniMax H3 through MiniMax v2, RunAPI and RunningHub over loopback HTTP.

The simulator speaks each wire from docs/protocols.md §11 on its own; these tests drive the
public API against it and count at the server what was sent and paid for.
"""

import io
import math
import struct
import time
import wave

import av
import pytest
from PIL import Image
from waiting import wait_for

import hailuo_nb
from hailuo_nb.gateway import remote
from hailuo_nb.gateway.providers import runapi
from hailuo_nb.sim import SimServer

KEY = "sk-live-DISTINCTIVE-h3-5b1e"
H3 = ["minimax", "runapi", "runninghub"]
PROMPT = "a red fox runs through fresh snow, its paws crunching"


@pytest.fixture(scope="module")
def server():
    with SimServer(job_seconds=0.3, api_key=KEY) as srv:
        yield srv


@pytest.fixture
def sim(server, monkeypatch):
    """``sim(protocol)`` points the library at the simulator speaking ``protocol``."""
    server.clear_faults()
    server.reset_variants()
    server.release()
    monkeypatch.setenv("HAILUO_POLL_INTERVAL", "0.05")

    def use(protocol):
        for name, value in server.env(protocol).items():
            monkeypatch.setenv(name, value)
        return server

    yield use
    server.release()


def png(width=640, height=360, color=(30, 120, 200)):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def wav(seconds=2.5, rate=16000):
    """A short 440 Hz tone: a reference audio clip."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                                 for i in range(int(seconds * rate))))
    return buffer.getvalue()


def assert_video_with_sound(gen):
    assert gen.status == "succeeded", gen.error
    assert gen.has_audio and gen.video_path.read_bytes()[4:8] == b"ftyp"
    with av.open(str(gen.video_path)) as container:
        assert container.streams.video and container.streams.audio, "no audio stream"


def paid(server, protocol):
    return len(server.accepted_submissions(protocol))


# -- the three modes on the three wires -----------------------------------------------------------
MODES = {
    "text": {"model": "hailuo-h3-text-to-video", "ratio": "16:9"},
    "frames": {"model": "hailuo-h3-image-to-video", "first_frame": png(), "last_frame": png(color=(200, 60, 20))},
    "references": {"model": "hailuo-h3-reference-to-video",
                   "reference_images": [png(), png(480, 480, (10, 200, 10))], "reference_audio": [wav()]},
}


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("protocol", H3)
def test_h3_with_sound(sim, protocol, mode):
    server = sim(protocol)
    before = paid(server, protocol)
    gen = hailuo_nb.generate(PROMPT, duration=5, **MODES[mode])
    assert_video_with_sound(gen)
    assert gen.provider == protocol and paid(server, protocol) - before == 1
    assert server.tasks[gen.task_id].protocol == protocol


def test_minimax_v2_bills_usage_at_list_price(sim):
    sim("minimax")
    gen = hailuo_nb.generate(PROMPT, model="hailuo-h3-text-to-video", ratio="1:1", duration=6, resolution="2k")
    assert_video_with_sound(gen)
    assert gen.cost_usd == pytest.approx(0.78) and gen.billed_usd == pytest.approx(0.78)
    row = next(r for r in hailuo_nb.history(5) if r["id"] == gen.id)
    assert row["billed_usd"] == pytest.approx(0.78)


def test_runapi_reports_its_cost_and_runninghub_its_cny(sim):
    sim("runapi")
    gen = hailuo_nb.generate(PROMPT, model="hailuo-h3-text-to-video", ratio="4:3", duration=4)
    assert gen.status == "succeeded" and gen.cost_usd is None and gen.billed_usd is not None
    sim("runninghub")
    gen = hailuo_nb.generate(PROMPT, model="hailuo-h3-text-to-video", ratio="4:3", duration=5)
    assert gen.status == "succeeded" and gen.billed_usd is None and "¥" in (gen.note or "")


def test_a_finished_clip_as_reference_video(sim):
    sim("minimax")
    first = hailuo_nb.generate(PROMPT, model="hailuo-h3-text-to-video", ratio="16:9", duration=4)
    second = hailuo_nb.generate("the fox again, at dusk", model="hailuo-h3-reference-to-video", duration=4,
                                references=[first, png()])
    assert_video_with_sound(second)


def test_runapi_direct_upload(sim, monkeypatch):
    server = sim("runapi")
    monkeypatch.setattr(runapi, "DIRECT_UPLOAD_OVER", 0)  # every file through prepare → PUT → confirm
    before = server.count("upload")
    gen = hailuo_nb.generate(PROMPT, model="hailuo-h3-image-to-video", first_frame=png(), duration=4)
    assert_video_with_sound(gen)
    assert server.count("upload") - before == 3


# -- refused before any request -----------------------------------------------------------------
INVALID = [
    {"model": "hailuo-h3-text-to-video", "ratio": "16:9", "duration": 16},
    {"model": "hailuo-h3-text-to-video", "ratio": "16:9", "resolution": "1080p"},
    {"model": "hailuo-h3-reference-to-video", "reference_images": [png() for _ in range(10)]},
    {"model": "hailuo-h3-text-to-video"},  # text alone sets no shape: a ratio is required
]


@pytest.mark.parametrize("kwargs", INVALID, ids=["16s", "1080p", "10-images", "no-ratio"])
@pytest.mark.parametrize("protocol", H3)
def test_invalid_h3_requests_send_nothing(sim, protocol, kwargs):
    server = sim(protocol)
    before = server.count()
    with pytest.raises(hailuo_nb.ValidationError):
        hailuo_nb.generate(PROMPT, **kwargs)
    assert server.count() == before


def test_runninghub_has_no_4_s(sim):
    server = sim("runninghub")
    before = server.count()
    with pytest.raises(hailuo_nb.ValidationError, match="whole seconds from 5 to 15"):
        hailuo_nb.generate(PROMPT, model="hailuo-h3-text-to-video", ratio="16:9", duration=4)
    assert server.count() == before


# -- cancel, a lost reply, the 7-day window (MiniMax v2) ------------------------------------------
def test_cancel_while_queued_is_one_free_delete(sim):
    server = sim("minimax")
    server.hold_queue()
    before = server.count("cancel")
    gen = hailuo_nb.generate(PROMPT, model="hailuo-h3-text-to-video", ratio="16:9", wait=False)
    wait_for(lambda: gen.task_id and gen.status == "queued", what="a queued task")
    gen.cancel()
    gen.wait(10)
    assert gen.status == "cancelled" and gen.note == remote.CANCELLED_FREE
    assert server.count("cancel") - before == 1
    assert server.tasks[gen.task_id].status == "cancelled"


def test_a_running_task_is_only_stopped_locally(sim):
    server = sim("minimax")
    server.job_seconds = 30
    try:
        # [queue=0.3]: the simulator runs it after 0.3 s instead of queueing 20 % of the 30 s
        gen = hailuo_nb.generate(PROMPT + " [queue=0.3]", model="hailuo-h3-text-to-video", ratio="16:9",
                                 wait=False)
        wait_for(lambda: gen.status == "running", what="a running task")
        before = server.count("cancel")
        gen.cancel()
        gen.wait(10)
    finally:
        server.job_seconds = 0.3
    assert gen.status == "cancelled" and "cannot cancel a running task" in gen.note
    assert server.count("cancel") == before


def test_a_lost_submit_reply_is_found_in_the_list(sim):
    server = sim("minimax")
    before = paid(server, "minimax")
    server.inject("lost_reply", protocol="minimax", kind="submit")
    gen = hailuo_nb.generate(PROMPT, model="hailuo-h3-text-to-video", ratio="9:16", duration=7)
    assert_video_with_sound(gen)
    assert paid(server, "minimax") - before == 1  # the one task the lost reply created: none extra
    assert gen.task_id == server.accepted_submissions("minimax")[-1].id
    row = next(r for r in hailuo_nb.history(5) if r["id"] == gen.id)
    assert row["submit_state"] == "accepted"


def test_an_unknown_outcome_says_the_list_was_checked(sim, monkeypatch):
    from hailuo_nb.gateway import runner

    monkeypatch.setattr(runner, "RECONCILE_DELAY", 0.05)
    server = sim("minimax")
    before, lists = paid(server, "minimax"), server.count("list")
    server.inject("server_error", protocol="minimax", kind="submit", status=502)
    gen = hailuo_nb.generate(PROMPT, model="hailuo-h3-text-to-video", ratio="3:4")
    assert gen.status == "failed" and "outcome is unknown" in str(gen.error)
    assert "task list was checked twice and shows no task matching this request" in str(gen.error)
    assert server.count("list") - lists == 2 and paid(server, "minimax") == before


def test_resume_past_the_7_day_window(sim):
    server = sim("minimax")
    server.hold_queue()
    gen = hailuo_nb.generate(PROMPT, model="hailuo-h3-text-to-video", ratio="16:9", timeout=0.5)
    assert gen.status == "failed" and gen.task_id  # timed out, resumable by id
    server.age_task(gen.task_id, 8 * 86400)
    again = hailuo_nb.resume(gen.task_id)
    again.wait(10)
    assert again.status == "failed"
    assert "expired at the gateway (MiniMax keeps tasks queryable for 7 days)" in str(again.error)


def test_a_downloaded_video_survives_the_window(sim):
    server = sim("minimax")
    gen = hailuo_nb.generate(PROMPT, model="hailuo-h3-text-to-video", ratio="16:9", duration=4)
    assert_video_with_sound(gen)
    server.age_task(gen.task_id, 8 * 86400)
    before = server.count()
    again = hailuo_nb.resume(gen.task_id)
    assert again.status == "succeeded" and again.video_path == gen.video_path and again.video_path.exists()
    assert server.count() == before


# -- prompt expansion -------------------------------------------------------------------------------
def test_enhance(sim):
    server = sim("minimax")
    before = paid(server, "minimax")
    started = time.monotonic()
    text = hailuo_nb.enhance("a fox in snow", ratio="16:9", duration=6)
    assert text.strip() and text != "a fox in snow" and time.monotonic() - started < 30
    assert paid(server, "minimax") - before <= 1  # the Context-IR task only; no video


def test_the_simulator_provider_serves_h3():
    gen = hailuo_nb.generate(PROMPT, model="hailuo-h3-text-to-video", ratio="16:9", duration=4, provider="sim")
    assert_video_with_sound(gen)
    assert gen.provider == "sim"


# -- draft -> finalize: MiniMax's 2K regeneration of the same clip ------------------------------

def test_finalize_regenerates_an_h3_draft_at_2k_on_minimax(sim):
    server = sim("minimax")
    draft = hailuo_nb.generate(PROMPT, model="hailuo-h3-text-to-video", ratio="16:9", duration=4, timeout=60)
    assert_video_with_sound(draft)
    ledger = draft.finalize_plan()
    assert ledger.method == "2K regeneration" and ledger.request.resolution == "2k"
    before = [r.path for r in server.requests]
    final = draft.finalize()
    final.wait(60)
    assert_video_with_sound(final)
    sent = [r.path for r in server.requests[len(before):] if r.kind == "submit"]
    assert sent == ["/v2/video_regeneration"]  # one regeneration, no new creation
    assert final.resolution == "2k" and final.request.base_video is not None


def test_base_video_is_refused_where_there_is_no_regeneration(sim):
    sim("runapi")
    with pytest.raises(hailuo_nb.ValidationError, match="base_video"):
        hailuo_nb.generate(PROMPT, model="hailuo-h3-text-to-video", ratio="16:9", resolution="2k",
                           base_video=b"\x00" * 10, wait=False)
