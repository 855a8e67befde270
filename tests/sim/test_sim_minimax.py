"""MiniMax official protocol (docs/protocols.md §1) against a real SimServer."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

SUBMIT = "/v1/video_generation"
QUERY = "/v1/query/video_generation"


def submit(client: httpx.Client, **body: Any) -> dict[str, Any]:
    reply = client.post(SUBMIT, json={"model": "MiniMax-Hailuo-02", "prompt": "a red fox", **body})
    assert reply.status_code == 200
    result: dict[str, Any] = reply.json()
    return result


def test_text_to_video_flow(drive, client, fetch, decode):
    created = submit(client, duration=6, resolution="768P")
    assert created["base_resp"] == {"status_code": 0, "status_msg": "success"}
    task_id = created["task_id"]
    assert isinstance(task_id, str) and task_id.isdigit()

    done = drive.wait("minimax", task_id)
    for record in drive.srv.requests:
        assert record.protocol == "minimax" and record.has_authorization
        assert record.kind in ("submit", "poll") and record.status == 200
    assert done["status"] == "Success"
    assert isinstance(done["file_id"], str) and done["file_id"].isdigit()
    assert (done["video_width"], done["video_height"]) == (342, 192)

    retrieved = client.get("/v1/files/retrieve", params={"file_id": done["file_id"]}).json()
    file = retrieved["file"]
    assert file["file_id"] == int(done["file_id"])  # a JSON number here, a string in query
    assert file["filename"] == "output_aigc.mp4" and file["purpose"] == "video_generation"
    url = file["download_url"]
    assert url.startswith(drive.srv.video_base_url + "/videos/")

    video = fetch.get(url)
    assert video.status_code == 200
    assert video.headers["content-type"] == "video/mp4"
    assert int(video.headers["content-length"]) == len(video.content) == file["bytes"]
    info = decode(video.content)
    assert (info.frames, info.seconds, info.width, info.height) == (60, 6.0, 342, 192)
    assert info.codec == "h264"


def test_statuses_follow_the_timeline(drive, client, wait_for):
    drive.srv.job_seconds = 0.4
    task_id = submit(client)["task_id"]
    seen: list[str] = []

    def finished() -> bool:
        status = drive.poll("minimax", task_id).json()["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        return status in ("Success", "Fail")

    wait_for(finished, interval=0.005)
    assert seen[-1] == "Success"
    order = ["Preparing", "Queueing", "Processing", "Success"]
    assert [order.index(s) for s in seen] == sorted(order.index(s) for s in seen)
    assert "Processing" in seen


def test_1080p_and_ten_seconds(drive, client, fetch, decode):
    done = drive.wait("minimax", submit(client, duration=6, resolution="1080P")["task_id"])
    assert (done["video_width"], done["video_height"]) == (480, 270)
    done10 = drive.wait("minimax", submit(client, duration=10)["task_id"])
    info = decode(fetch.get(drive.video_url("minimax", done10)).content)
    assert (info.frames, info.seconds) == (100, 10.0)


def test_image_to_video_uses_the_first_frame(drive, client, fetch, decode, image_url):
    created = submit(client, first_frame_image=image_url(640, 400, (220, 30, 30)))
    done = drive.wait("minimax", created["task_id"])
    # The output follows the first frame's aspect (16:10), scaled to a 192 px short side.
    assert (done["video_width"], done["video_height"]) == (308, 192)
    info = decode(fetch.get(drive.video_url("minimax", done)).content)
    r, g, b = info.first_rgb[150, 250]
    assert r > 150 and g < 90 and b < 90


def test_first_and_last_frame(drive, client, fetch, decode, image_url):
    created = submit(client, first_frame_image=image_url(640, 360, (220, 30, 30)),
                     last_frame_image=image_url(640, 360, (30, 30, 220)))
    done = drive.wait("minimax", created["task_id"])
    info = decode(fetch.get(drive.video_url("minimax", done)).content)
    r, g, b = info.last_rgb[150, 150]
    assert b > 150 and r < 90  # cross-fades into the last frame


@pytest.mark.parametrize("body, fragment", [
    ({"duration": "6"}, "duration must be an integer"),
    ({"resolution": "768p"}, "resolution"),
    ({"model": "MiniMax-Hailuo-2.3-Fast"}, "does not support t2v"),
    ({"model": "Hailuo-9"}, "does not support"),
    ({"resolution": "1080P", "duration": 10}, "duration 10 not allowed"),
    ({"model": "T2V-01", "resolution": "768P"}, "resolution"),
    ({"prompt": "x" * 2001}, "2000"),
    ({"prompt": ""}, "prompt is required"),
    ({"prompt_optimizer": "yes"}, "prompt_optimizer"),
])
def test_invalid_params_are_2013(client, body, fragment):
    reply = client.post(SUBMIT, json={"model": "MiniMax-Hailuo-02", "prompt": "fox", **body})
    assert reply.status_code == 200
    assert reply.json()["base_resp"]["status_code"] == 2013
    assert fragment in reply.json()["base_resp"]["status_msg"]


def test_image_rules(client, image_url):
    small = client.post(SUBMIT, json={"model": "MiniMax-Hailuo-02", "first_frame_image":
                                      image_url(400, 200)}).json()
    assert small["base_resp"]["status_code"] == 2013 and "short side" in small["base_resp"][
        "status_msg"]
    fl512 = client.post(SUBMIT, json={"model": "MiniMax-Hailuo-02", "resolution": "512P",
                                      "first_frame_image": image_url(),
                                      "last_frame_image": image_url()}).json()
    assert fl512["base_resp"]["status_code"] == 2013
    i2v512 = client.post(SUBMIT, json={"model": "MiniMax-Hailuo-02", "resolution": "512P",
                                       "first_frame_image": image_url()}).json()
    assert i2v512["base_resp"]["status_code"] == 0
    broken = client.post(SUBMIT, json={"model": "MiniMax-Hailuo-02",
                                       "first_frame_image": "data:image/png;base64,AAAA"}).json()
    assert broken["base_resp"]["status_code"] == 2013


def test_content_type_is_required(client):
    body = json.dumps({"model": "MiniMax-Hailuo-02", "prompt": "fox"})
    reply = client.post(SUBMIT, content=body, headers={"Content-Type": "text/plain"})
    assert reply.json()["base_resp"]["status_code"] == 2013


@pytest.mark.parametrize("header, code", [
    (None, 1004), ("Bearer wrong-key", 1004), ("Token test-key", 2049), ("Bearer a b", 2049),
])
def test_bad_key_is_in_band(sim, header, code):
    headers = {"Authorization": header} if header else {}
    with httpx.Client(verify=False, base_url=sim.base_url, headers=headers) as c:
        reply = c.post(SUBMIT, json={"model": "MiniMax-Hailuo-02", "prompt": "fox"})
    assert reply.status_code == 200
    assert reply.json()["base_resp"]["status_code"] == code
    assert "test-key" not in reply.text and "wrong-key" not in reply.text
    assert sim.accepted_submissions() == []


def test_unknown_task_and_file(client):
    assert client.get(QUERY, params={"task_id": "123"}).json()["base_resp"]["status_code"] == 2013
    assert client.get(QUERY).json()["base_resp"]["status_code"] == 2013
    gone = client.get("/v1/files/retrieve", params={"file_id": "99"}).json()
    assert gone["base_resp"]["status_code"] == 2013


def test_failure_words(drive, client):
    failed = drive.wait("minimax", submit(client, prompt="fox [fail]")["task_id"])
    assert failed["status"] == "Fail" and "file_id" not in failed
    drive.srv.set_variant("minimax", fail_word="Failed")
    failed = drive.wait("minimax", submit(client, prompt="fox [fail]")["task_id"])
    assert failed["status"] == "Failed"


def test_expired_url_and_fresh_retrieve(drive, client, fetch, wait_for):
    drive.srv.url_ttl = 0.3
    done = drive.wait("minimax", submit(client)["task_id"])
    first = drive.video_url("minimax", done)
    assert fetch.get(first).status_code == 200
    wait_for(lambda: fetch.get(first).status_code == 403, timeout=5)
    fresh = drive.video_url("minimax", done)
    assert fresh != first
    assert fetch.get(fresh).status_code == 200


class _Receiver(BaseHTTPRequestHandler):
    posts: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).posts.append(body)
        reply = json.dumps({"challenge": body["challenge"]} if "challenge" in body
                           else {"status": "success"}).encode()
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


def test_callback_handshake_then_status_changes(drive, client, receiver, wait_for):
    url, posts = receiver
    task_id = submit(client, callback_url=url)["task_id"]
    wait_for(lambda: any(p.get("status") == "success" for p in posts), timeout=5)
    assert set(posts[0]) == {"challenge"}
    statuses = [p["status"] for p in posts[1:]]
    assert statuses == ["processing", "success"]
    final = posts[-1]
    assert final["task_id"] == task_id and isinstance(final["file_id"], str)
    assert final["base_resp"]["status_code"] == 0
    assert drive.srv.tasks[task_id].callbacks == ["challenge", "processing", "success"]


def test_callback_without_echo_stops(drive, client, wait_for):
    task_id = submit(client, callback_url=drive.srv.base_url + "/nowhere")["task_id"]
    task = drive.srv.tasks[task_id]
    wait_for(lambda: task.callbacks == ["challenge-failed"], timeout=5)
