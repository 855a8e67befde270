"""MiniMax v2 API for H3 (docs/protocols.md §11.1) against a real SimServer, with plain httpx."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from sim_media import data_url, make_image, mp4_bytes, wav_bytes

CREATE = "/v2/video_generation"
QUERY = "/v2/query/video_generation"
TEXT = {"type": "text", "text": "a red fox runs through snow"}


def body(**extra: Any) -> dict[str, Any]:
    return {"model": "MiniMax-H3", "content": [TEXT], "resolution": "768P", "duration": 4,
            "ratio": "16:9", **extra}


def image(role: str | None = None, w: int = 640, h: int = 360,
          color: tuple[int, int, int] = (200, 40, 40)) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "image_url",
                            "image_url": {"url": data_url(make_image(w, h, color))}}
    return {**item, "role": role} if role else item


def clip(kind: str, url: str, role: str | None = None) -> dict[str, Any]:
    return {"type": f"{kind}_url", f"{kind}_url": {"url": url}, "role": role or f"reference_{kind}"}


def create(client: httpx.Client, **extra: Any) -> str:
    reply = client.post(CREATE, json=body(**extra))
    assert reply.status_code == 200, reply.text
    assert set(reply.json()) == {"task_id"} and reply.headers["trace-id"]
    return str(reply.json()["task_id"])


def query(client: httpx.Client, task_id: str) -> dict[str, Any]:
    reply = client.get(f"{QUERY}/{task_id}")
    assert reply.status_code == 200, reply.text
    task: dict[str, Any] = reply.json()["task"]
    return task


def wait(client: httpx.Client, task_id: str, wait_for: Any) -> dict[str, Any]:
    done = wait_for(lambda: (t := query(client, task_id))["status"] in (
        "succeeded", "failed", "cancelled") and t)
    assert isinstance(done, dict)
    return done


def refused(reply: httpx.Response, status: int = 400, code: int = 2013) -> str:
    """Check an OpenAI-style v2 error; returns its message."""
    assert reply.status_code == status, reply.text
    got = reply.json()
    assert got["type"] == "error" and got["error"]["http_code"] == str(status)
    assert got["error"]["message"].endswith(f"({code})")
    assert got["request_id"] == reply.headers["trace-id"]
    return str(got["error"]["message"])


def test_text_to_video_with_sound(client, fetch, wait_for, probe_streams):
    task_id = create(client, duration=5, ratio="21:9")
    task = wait(client, task_id, wait_for)
    assert task["status"] == "succeeded" and task["id"] == task_id
    assert (task["model"], task["resolution"], task["duration"], task["ratio"]) == (
        "MiniMax-H3", "768P", 5, "21:9")
    assert (task["task_type"], task["modality"]) == ("generation", "video")
    assert isinstance(task["created_at"], int) and task["updated_at"] >= task["created_at"]
    assert task["usage"] == {"total_seconds": 5, "input_seconds": 0, "output_seconds": 5,
                             "input_image_count": 0, "prompt_tokens": 0,
                             "completion_tokens": 5000, "total_tokens": 5000}
    assert "error" not in task
    video = fetch.get(task["content"]["url"])
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    info = probe_streams(video.content)
    assert info["video"].codec == "h264" and info["video"].rate == 24
    assert info["audio"].codec == "aac" and info["audio"].channels == 2
    assert info["audio"].rate == 32000
    assert abs(info["video"].seconds - 5) <= 0.1 and abs(info["audio"].seconds - 5) <= 0.1
    assert abs(info["video"].width / info["video"].height - 21 / 9) < 0.05


@pytest.mark.parametrize("ratio, aspect", [
    ("21:9", 21 / 9), ("16:9", 16 / 9), ("4:3", 4 / 3), ("1:1", 1.0), ("3:4", 3 / 4),
    ("9:16", 9 / 16),
])
@pytest.mark.parametrize("resolution, short", [("768P", 96), ("2K", 180)])
def test_every_ratio_and_resolution(client, fetch, wait_for, probe_streams, ratio, aspect,
                                    resolution, short):
    task = wait(client, create(client, ratio=ratio, resolution=resolution), wait_for)
    info = probe_streams(fetch.get(task["content"]["url"]).content)
    w, h = info["video"].width, info["video"].height
    assert min(w, h) == short  # 1/8 of 768 or of 1440 lines
    assert abs(w / h - aspect) < 0.03 and "audio" in info


@pytest.mark.parametrize("seconds", [4, 9, 15])
def test_every_length_has_matching_tracks(client, fetch, wait_for, probe_streams, seconds):
    task = wait(client, create(client, duration=seconds), wait_for)
    info = probe_streams(fetch.get(task["content"]["url"]).content)
    assert abs(info["video"].seconds - seconds) <= 0.1
    assert abs(info["audio"].seconds - seconds) <= 0.1


def test_v1_hailuo_02_stays_silent(drive, fetch, probe_streams):
    done = drive.run("minimax")
    info = probe_streams(fetch.get(drive.video_url("minimax", done)).content)
    assert "audio" not in info and abs(info["video"].seconds - 6) <= 0.1


@pytest.mark.parametrize("extra, fragment", [
    ({"duration": 16}, "duration must be an integer 4-15"),
    ({"duration": 3}, "duration"),
    ({"duration": "6"}, "duration"),
    ({"duration": 5.5}, "duration"),
    ({"duration": True}, "duration"),
    ({"duration": None}, "duration"),
    ({"resolution": "768p"}, "resolution"),
    ({"resolution": "1080P"}, "resolution"),
    ({"resolution": None}, "resolution"),
    ({"ratio": None}, "ratio is required"),
    ({"ratio": "adaptive"}, "ratio is required"),
    ({"ratio": "2:1"}, "ratio '2:1' not allowed"),
    ({"model": "MiniMax-Hailuo-02"}, "model"),
    ({"model": "MiniMax-H3-Max", "resolution": "2K"}, "resolution"),
    ({"model": "MiniMax-H3-Max", "duration": 4}, "duration must be an integer 5-15"),
    ({"content": []}, "non-empty list"),
    ({"content": "a fox"}, "non-empty list"),
    ({"content": [{"type": "text", "text": "  "}]}, "exactly one non-empty text"),
    ({"content": [TEXT, TEXT]}, "exactly one non-empty text"),
    ({"content": [{"type": "text", "text": "x" * 7001}]}, "7000"),
    ({"content": [TEXT, {"type": "sticker"}]}, "content[1].type"),
    ({"content": [TEXT, {"type": "image_url", "image_url": "x"}]}, "image_url must be"),
    ({"content": [TEXT, {"type": "image_url", "image_url": {"url": "x"}, "role": "base_video"}]},
     "role 'base_video' not allowed"),
    ({"callback_url": "ftp://x"}, "callback_url"),
    ({"aigc_watermark": "yes"}, "aigc_watermark"),
])
def test_invalid_create_is_400_2013(client, sim, extra, fragment):
    message = refused(client.post(CREATE, json=body(**extra)))
    assert message.startswith("invalid params") and fragment in message
    assert sim.accepted_submissions() == []


def test_content_type_is_required(client):
    reply = client.post(CREATE, content=json.dumps(body()), headers={"Content-Type": "text/plain"})
    assert "Content-Type" in refused(reply)


@pytest.mark.parametrize("items, fragment", [
    ([image("first_frame"), image("reference_image")], "cannot be combined"),
    ([image("first_frame"), image("first_frame")], "at most one first_frame"),
    ([image(), image()], "role is required"),
    ([image("reference_image")] * 10, "10 reference_image items, at most 9"),
    ([clip("audio", data_url(wav_bytes(2), "audio/wav"))], "needs at least one reference_image"),
    ([image(w=200, h=360, role="first_frame")], "256-5760"),
    ([image(w=1000, h=300, role="first_frame")], "between 2:5 and 5:2"),
    ([{"type": "image_url", "image_url": {"url": "data:image/PNG;base64,AAAA"}}], "lower case"),
    ([{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}], "image"),
    ([clip("video", data_url(wav_bytes(2), "audio/wav"))], "data URL type"),
    ([clip("audio", data_url(wav_bytes(1), "audio/wav")), image("reference_image")],
     "each clip must be 2-15 s"),
    ([clip("audio", data_url(b"not audio", "audio/mpeg")), image("reference_image")],
     "not a readable media file"),
])
def test_content_rules(client, items, fragment):
    message = refused(client.post(CREATE, json=body(content=[TEXT, *items])))
    assert fragment in message


def test_reference_counts_and_totals(client):
    video = clip("video", data_url(mp4_bytes(2), "video/mp4"))
    assert "4 reference_video items, at most 3" in refused(
        client.post(CREATE, json=body(content=[TEXT, *[video] * 4])))
    long_audio = clip("audio", data_url(wav_bytes(8), "audio/wav"))
    assert "at most 15 s" in refused(
        client.post(CREATE, json=body(content=[TEXT, image("reference_image"), long_audio,
                                               long_audio])))
    max_refs = body(model="MiniMax-H3-Max", content=[TEXT, image("reference_image")], duration=5)
    assert "no reference media" in refused(client.post(CREATE, json=max_refs))


def test_first_and_last_frames(client, fetch, wait_for, probe_streams):
    # One image without a role is the first frame; the ratio follows it (given one ignored).
    tall = create(client, content=[TEXT, image(w=360, h=640)], ratio="21:9")
    task = wait(client, tall, wait_for)
    assert task["ratio"] == "9:16"
    info = probe_streams(fetch.get(task["content"]["url"]).content)
    assert info["video"].height > info["video"].width and "audio" in info
    both = create(client, content=[TEXT, image("first_frame"), image("last_frame")], ratio=None)
    assert wait(client, both, wait_for)["usage"]["input_image_count"] == 2
    last_only = create(client, content=[TEXT, image("last_frame", 480, 480)], ratio=None)
    assert wait(client, last_only, wait_for)["ratio"] == "1:1"
    max_frames = create(client, model="MiniMax-H3-Max", resolution="480P", duration=5,
                        content=[TEXT, image("first_frame")])
    assert wait(client, max_frames, wait_for)["status"] == "succeeded"


def test_references_with_video_and_audio(client, fetch, wait_for, probe_streams):
    refs = [image("reference_image"), image("reference_image", color=(0, 0, 200)),
            clip("video", data_url(mp4_bytes(3), "video/mp4")),
            clip("audio", data_url(wav_bytes(2.5), "audio/wav")),
            clip("image", "https://example.com/cat.png", "reference_image")]  # unreachable: trusted
    task = wait(client, create(client, content=[TEXT, *refs], ratio=None, duration=6), wait_for)
    assert task["ratio"] == "16:9"
    assert task["usage"]["input_seconds"] == 3 and task["usage"]["input_image_count"] == 3
    assert task["usage"]["input_audio_seconds"] == 3 and task["usage"]["total_seconds"] == 9
    assert "audio" in probe_streams(fetch.get(task["content"]["url"]).content)
    square = create(client, content=[TEXT, image("reference_image")], ratio="1:1")
    assert wait(client, square, wait_for)["ratio"] == "1:1"


def test_cancel_while_queued_is_free(client, sim, wait_for):
    sim.hold_queue()
    task_id = create(client)
    assert query(client, task_id)["status"] == "queued"
    reply = client.delete(f"{CREATE}/{task_id}")
    assert reply.status_code == 200 and reply.headers["trace-id"]
    assert reply.json() == {"task_id": task_id, "action": "cancelled", "status": "cancelled"}
    task = query(client, task_id)
    assert task["status"] == "cancelled" and task["usage"] == {} and "content" not in task
    assert "cancelled" in refused(client.delete(f"{CREATE}/{task_id}"))
    assert sim.count("cancel") == 2 and sim.tasks[task_id].status == "cancelled"


def test_running_task_cannot_be_cancelled(client, sim, wait_for):
    sim.hold_queue()
    task_id = create(client)
    sim.job_seconds = 30
    sim.release(task_id)
    assert query(client, task_id)["status"] == "running"
    assert "a running task cannot be cancelled" in refused(client.delete(f"{CREATE}/{task_id}"))


def test_queue_fraction_knob(client, sim):
    sim.job_seconds, sim.queue_fraction = 30, 0.5
    assert query(client, create(client))["status"] == "queued"
    with pytest.raises(ValueError):
        sim.queue_fraction = 1.0


@pytest.mark.parametrize("prompt, status", [("a fox", "succeeded"), ("a fox [fail]", "failed")])
def test_finished_tasks_are_deleted(client, wait_for, prompt, status):
    task_id = create(client, content=[{"type": "text", "text": prompt}])
    task = wait(client, task_id, wait_for)
    assert task["status"] == status
    if status == "failed":
        assert task["error"] == {"code": "1000", "message": task["error"]["message"]}
        assert task["usage"] == {} and "content" not in task
    deleted = client.delete(f"{CREATE}/{task_id}").json()
    assert deleted == {"task_id": task_id, "action": "deleted", "status": "deleted"}
    assert "invalid task_id" in refused(client.get(f"{QUERY}/{task_id}"))
    assert client.get(QUERY, params={"filter.task_ids": task_id}).json()["total"] == 0


def test_unknown_task(client):
    assert "invalid task_id" in refused(client.get(f"{QUERY}/123"))
    assert "invalid task_id" in refused(client.delete(f"{CREATE}/123"))


def test_seven_day_window(client, sim, wait_for):
    old, new = create(client), create(client)
    wait(client, old, wait_for)
    sim.age_task(old, 7 * 86400 - 60)
    assert query(client, old)["status"] == "succeeded"  # still inside the window
    sim.age_task(old, 120)
    assert "invalid task_id" in refused(client.get(f"{QUERY}/{old}"))
    listed = client.get(QUERY).json()
    assert [t["id"] for t in listed["items"]] == [new] and listed["total"] == 1
    assert "invalid task_id" in refused(client.delete(f"{CREATE}/{old}"))
    with pytest.raises(KeyError):
        sim.age_task("nope", 1)


def test_list_filters_and_pages(client, sim, wait_for):
    ids = [create(client, duration=4 + i) for i in range(5)]
    failed = create(client, content=[{"type": "text", "text": "x [fail]"}])
    max_id = create(client, model="MiniMax-H3-Max", duration=5)
    for task_id in [*ids, failed, max_id]:
        wait(client, task_id, wait_for)
    everything = client.get(QUERY).json()
    assert everything["total"] == 7
    assert [t["id"] for t in everything["items"]] == [max_id, failed, *reversed(ids)]
    page = client.get(QUERY, params={"page_num": 2, "page_size": 3}).json()
    assert page["total"] == 7 and [t["id"] for t in page["items"]] == [ids[3], ids[2], ids[1]]
    assert client.get(QUERY, params={"page_num": 9}).json() == {"items": [], "total": 7}
    only_failed = client.get(QUERY, params={"filter.status": "failed"}).json()
    assert [t["id"] for t in only_failed["items"]] == [failed]
    picked = client.get(QUERY, params=[("filter.task_ids", ids[0]), ("filter.task_ids", ids[2])])
    assert {t["id"] for t in picked.json()["items"]} == {ids[0], ids[2]}
    comma = client.get(QUERY, params={"filter.task_ids": f"{ids[0]},{ids[1]}"}).json()
    assert comma["total"] == 2
    by_model = client.get(QUERY, params={"filter.model": "MiniMax-H3-Max"}).json()
    assert [t["id"] for t in by_model["items"]] == [max_id]
    by_type = client.get(QUERY, params={"filter.task_type": "h3_context_ir"}).json()
    assert by_type == {"items": [], "total": 0}
    assert sim.count("list") == 8
    for bad in ({"page_size": 0}, {"page_size": 101}, {"page_num": "x"},
                {"filter.status": "done"}, {"filter.task_type": "video"}):
        refused(client.get(QUERY, params=bad))


def test_lost_submit_reply_is_found_in_the_list(client, sim):
    sim.inject("lost_reply", protocol="minimax", kind="submit")
    before = int(time.time())
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.post(CREATE, json=body(duration=7))
    assert len(sim.accepted_submissions()) == 1
    listed = client.get(QUERY, params={"filter.model": "MiniMax-H3"}).json()
    assert listed["total"] == 1
    item = listed["items"][0]
    assert item["duration"] == 7 and item["created_at"] >= before - 1
    assert item["id"] == sim.accepted_submissions()[0].id


def test_context_ir_expands_the_prompt(client, wait_for):
    reply = client.post("/v2/h3_context_ir", json={
        "model": "MiniMax-H3", "duration": 6, "ratio": None,
        "content": [TEXT, image("reference_image"), clip("audio", data_url(wav_bytes(2),
                                                                          "audio/wav"))]})
    assert reply.status_code == 200 and set(reply.json()) == {"task_id"}
    task = wait(client, reply.json()["task_id"], wait_for)
    assert (task["task_type"], task["modality"], task["status"]) == (
        "h3_context_ir", "text", "succeeded")
    prompt = task["content"]["prompt"]
    assert prompt.startswith(TEXT["text"]) and "<Picture 1>" in prompt and "<Audio 1>" in prompt
    assert len(prompt) > len(TEXT["text"]) + 50
    usage = task["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    assert "ratio is required" in refused(client.post("/v2/h3_context_ir", json={
        "model": "MiniMax-H3", "duration": 6, "content": [TEXT]}))


def test_regeneration_from_a_task(client, fetch, wait_for, probe_streams):
    source = create(client, duration=5, ratio="9:16")
    wait(client, source, wait_for)
    reply = client.post("/v2/video_regeneration", json={
        "model": "MiniMax-H3", "resolution": "2K", "source_task_id": source})
    assert reply.status_code == 200, reply.text
    task = wait(client, reply.json()["task_id"], wait_for)
    assert (task["task_type"], task["resolution"], task["duration"], task["ratio"]) == (
        "regeneration", "2K", 5, "9:16")
    info = probe_streams(fetch.get(task["content"]["url"]).content)
    assert info["video"].width == 180 and "audio" in info  # 2K short side / 8
    listed = client.get(QUERY, params={"filter.task_type": "regeneration"}).json()
    assert [t["id"] for t in listed["items"]] == [task["id"]]


def test_regeneration_from_a_base_video(client, fetch, wait_for):
    source = wait(client, create(client), wait_for)
    url = source["content"]["url"]
    for ref in (url, data_url(fetch.get(url).content, "video/mp4")):
        content = [TEXT, clip("video", ref, "base_video")]
        reply = client.post("/v2/video_regeneration", json={
            "model": "MiniMax-H3", "resolution": "2K", "content": content})
        assert reply.status_code == 200, reply.text
        assert wait(client, reply.json()["task_id"], wait_for)["status"] == "succeeded"


def test_regeneration_rules(client, sim, wait_for):
    done = create(client)
    wait(client, done, wait_for)
    two_k = wait(client, create(client, resolution="2K"), wait_for)["id"]
    sim.hold_queue()
    queued = create(client)
    regen = "/v2/video_regeneration"
    ok = {"model": "MiniMax-H3", "resolution": "2K"}
    cases = [
        ({**ok, "resolution": "768P", "source_task_id": done}, "resolution must be '2K'"),
        ({**ok, "model": "MiniMax-H3-Max", "source_task_id": done}, "only for MiniMax-H3"),
        ({**ok}, "exactly one of source_task_id and content"),
        ({**ok, "source_task_id": done, "content": [TEXT]}, "exactly one"),
        ({**ok, "source_task_id": "404"}, "invalid source_task_id"),
        ({**ok, "source_task_id": queued}, "succeeded MiniMax-H3 768P"),
        ({**ok, "source_task_id": two_k}, "succeeded MiniMax-H3 768P"),
        ({**ok, "content": [TEXT]}, "base_video"),
        ({**ok, "content": [TEXT, clip("video", data_url(mp4_bytes(2), "video/mp4"),
                                       "base_video")]}, "unmodified MiniMax-H3 768P output"),
    ]
    for request, fragment in cases:
        assert fragment in refused(client.post(regen, json=request)), request
    assert "only for /v2/video_regeneration" in refused(client.post(CREATE, json=body(
        content=[TEXT, clip("video", "https://example.com/a.mp4", "base_video")])))


def test_errors_use_http_statuses(sim, client):
    with httpx.Client(base_url=sim.base_url, verify=False) as anon:
        refused(anon.post(CREATE, json=body()), 401, 1004)
        refused(anon.get(f"{QUERY}/1", headers={"Authorization": "Token x"}), 401, 2049)
    sim.inject("rate_limit", protocol="minimax", kind="submit", retry_after=2)
    limited = client.post(CREATE, json=body())
    refused(limited, 429, 1002)
    assert limited.json()["error"]["type"] == "rate_limit_error"
    assert limited.headers["retry-after"] == "2"
    sim.inject("minimax_rate_limit", kind="list")
    refused(client.get(QUERY), 429, 1002)
    sim.inject("server_error", protocol="minimax", kind="poll", status=503)
    assert client.get(f"{QUERY}/1").status_code == 503
    sim.inject("credits", kind="submit")
    refused(client.post(CREATE, json=body()), 402, 1008)
    sim.inject("content_policy", kind="submit")
    assert refused(client.post(CREATE, json=body()), 422, 1026)
    policy = client.post(CREATE, json=body(content=[{"type": "text", "text": "x [policy]"}]))
    assert policy.json()["error"]["type"] == "unprocessable_entity_error"
    assert sim.accepted_submissions() == []


def test_policy_failure_after_acceptance(client, sim):
    task_id = create(client)
    sim.inject("content_policy", kind="poll", protocol="minimax")
    task = query(client, task_id)
    assert task["status"] == "failed" and task["error"]["code"] == "1026"
    sim.inject("unknown_status", kind="poll", word="expired")
    assert query(client, task_id)["status"] == "expired"


def test_trace_id_on_every_minimax_reply(sim, client):
    replies = [client.post("/v1/video_generation", json={"model": "nope"}),
               client.get("/v1/query/video_generation", params={"task_id": "1"}),
               client.get("/v1/files/retrieve", params={"file_id": "1"}),
               httpx.post(sim.base_url + "/v1/video_generation", json={}),
               client.get(f"{QUERY}/1"), client.get(QUERY)]
    sim.inject("server_error", protocol="minimax")
    replies.append(client.get(QUERY))
    traces = [r.headers.get("trace-id") for r in replies]
    assert all(t and len(t) >= 16 for t in traces) and len(set(traces)) == len(traces)
    v1_task = client.post("/v1/video_generation", json={"model": "MiniMax-Hailuo-02",
                                                         "prompt": "fox"}).json()["task_id"]
    # A v1 task is not a v2 task and the other way round.
    assert "invalid task_id" in refused(client.get(f"{QUERY}/{v1_task}"))
    v2_task = create(client)
    v1 = client.get("/v1/query/video_generation", params={"task_id": v2_task}).json()
    assert v1["base_resp"]["status_code"] == 2013


class _Receiver(BaseHTTPRequestHandler):
    posts: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server naming)
        got = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).posts.append(got)
        reply = json.dumps({"challenge": got["challenge"]} if "challenge" in got else {}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    handler = type("Receiver", (_Receiver,), {"posts": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler.posts
    server.shutdown()
    server.server_close()


def test_callbacks_post_task_objects(client, sim, receiver, wait_for):
    url, posts = receiver
    sim.job_seconds = 0.6
    task_id = create(client, callback_url=url)
    wait_for(lambda: any(p.get("task", {}).get("status") == "succeeded" for p in posts), 5)
    statuses = [p["task"]["status"] for p in posts[1:]]
    assert set(posts[0]) == {"challenge"} and statuses[-1] == "succeeded"
    assert statuses == sorted(statuses, key=["queued", "running", "succeeded"].index)
    assert posts[-1]["task"]["id"] == task_id and posts[-1]["task"]["content"]["url"]


def _request(client: httpx.Client, kind: str, task_id: str) -> httpx.Response:
    if kind == "submit":
        return client.post(CREATE, json=body())
    if kind == "poll":
        return client.get(f"{QUERY}/{task_id}")
    if kind == "list":
        return client.get(QUERY)
    return client.delete(f"{CREATE}/{task_id}")


@pytest.mark.parametrize("kind", ["submit", "poll", "list", "cancel"])
def test_generic_faults_on_every_v2_route(client, sim, kind):
    sim.hold_queue()
    task_id = create(client)
    sim.inject("reset", protocol="minimax", kind=kind)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        _request(client, kind, task_id)
    sim.inject("malformed_json", protocol="minimax", kind=kind)
    with pytest.raises(json.JSONDecodeError):
        _request(client, kind, task_id).json()
    sim.inject("auth", protocol="minimax", kind=kind)
    refused(_request(client, kind, task_id), 401, 1004)
    sim.inject("server_error", protocol="minimax", kind=kind, status=502)
    assert _request(client, kind, task_id).status_code == 502
    sim.inject("lost_reply", protocol="minimax", kind=kind)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        _request(client, kind, task_id)
    if kind == "cancel":  # the lost reply's DELETE was carried out
        assert sim.tasks[task_id].status == "cancelled"
    assert [r.fault for r in sim.requests[1:]] == [
        "reset", "malformed_json", "auth", "server_error", "lost_reply"]


def test_download_faults_on_h3_clips(client, fetch, sim, wait_for):
    url = wait(client, create(client), wait_for)["content"]["url"]
    whole = fetch.get(url).content
    sim.inject("truncated", kind="download")
    with pytest.raises(httpx.RemoteProtocolError):
        fetch.get(url)
    sim.inject("expired_url", kind="download")
    assert fetch.get(url).status_code == 403
    sim.url_ttl = 0.0
    assert fetch.get(url).status_code == 403
    fresh = query(client, sim.accepted_submissions()[0].id)["content"]["url"]
    sim.url_ttl = 3600
    assert fresh != url and fetch.get(fresh).content == whole  # re-query: a fresh URL
