"""RunAPI MiniMax H3 (docs/protocols.md §11.2) and its direct upload, against a real SimServer."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import httpx
import pytest
from sim_media import data_url, make_image, mp4_bytes, wav_bytes

T2V = "/api/v1/minimax_h3/text_to_video"
I2V = "/api/v1/minimax_h3/image_to_video"


def img(w: int = 640, h: int = 360, color: tuple[int, int, int] = (200, 30, 30)) -> str:
    return data_url(make_image(w, h, color))


def submit(client: httpx.Client, path: str = T2V, **extra: Any) -> httpx.Response:
    body = {"model": "minimax-h3", "prompt": "a fox in the snow", **extra}
    if path == T2V and "aspect_ratio" not in extra and not any("reference" in k for k in extra):
        body["aspect_ratio"] = "16:9"
    return client.post(path, json={k: v for k, v in body.items() if v is not None})


def finish(drive: Any, reply: httpx.Response, route: str = "text_to_video") -> dict[str, Any]:
    assert reply.status_code == 200, reply.text
    created = reply.json()
    assert created["status"] == "pending" and reply.headers["x-runapi-task-id"] == created["id"]
    body: dict[str, Any] = drive.wait("runapi", created["id"], path=f"../minimax_h3/{route}")
    return body


@pytest.fixture
def h3_poll(drive, client):
    """Poll H3 tasks at /api/v1/minimax_h3/{route}/{id}."""

    def poll(protocol: str, task_id: str, path: str | None = None) -> httpx.Response:
        route = (path or "text_to_video").removeprefix("../minimax_h3/")
        return client.get(f"/api/v1/minimax_h3/{route}/{task_id}")

    drive.poll = poll
    return drive


def test_text_to_video_with_sound_and_cost(h3_poll, client, fetch, probe_streams):
    done = finish(h3_poll, submit(client, duration_seconds=10, output_resolution="2k",
                                  aspect_ratio="4:3"))
    assert done["status"] == "completed" and done["usage"] == {"cost": 1.3}
    info = probe_streams(fetch.get(done["videos"][0]["url"]).content)
    assert abs(info["video"].seconds - 10) <= 0.1 and abs(info["audio"].seconds - 10) <= 0.1
    assert info["video"].rate == 24 and info["audio"].channels == 2
    assert abs(info["video"].width / info["video"].height - 4 / 3) < 0.03
    default = finish(h3_poll, submit(client))
    assert default["usage"] == {"cost": 0.48}  # 6 s at 768p, $0.08/s
    task = h3_poll.srv.tasks[default["id"]]
    assert (task.duration, task.resolution, task.ratio, task.has_audio) == (6, "768P", "16:9",
                                                                              True)


def test_references_and_frames(h3_poll, client, fetch, probe_streams):
    refs = finish(h3_poll, submit(
        client, reference_image_urls=[img(360, 640)] * 6,
        reference_video_urls=[data_url(mp4_bytes(2), "video/mp4")],
        reference_audio_urls=[data_url(wav_bytes(2), "audio/wav")]))
    assert refs["usage"] == {"cost": round(0.08 * (6 + 2) + 0.04, 4)}  # 6th image, 2 s video
    assert h3_poll.srv.tasks[refs["id"]].ratio == "9:16"  # adaptive: follows the first image
    frames = finish(h3_poll, submit(client, I2V, first_frame_image_url=img(),
                                    last_frame_image_url=img(color=(0, 0, 200))),
                    "image_to_video")
    assert "audio" in probe_streams(fetch.get(frames["videos"][0]["url"]).content)
    last_only = finish(h3_poll, submit(client, I2V, last_frame_image_url=img()),
                       "image_to_video")
    assert last_only["status"] == "completed"
    # A task is polled on the route it was created on.
    assert client.get(f"{T2V}/{frames['id']}").status_code == 404
    assert client.get(f"/api/v1/hailuo/image_to_video/{frames['id']}").status_code == 404


@pytest.mark.parametrize("path, extra, fragment", [
    (T2V, {"duration_seconds": 16}, "duration_seconds must be an integer 4-15"),
    (T2V, {"duration_seconds": 3}, "duration_seconds"),
    (T2V, {"duration_seconds": "6"}, "duration_seconds"),
    (T2V, {"output_resolution": "1080p"}, "output_resolution"),
    (T2V, {"output_resolution": "2K"}, "output_resolution"),
    (T2V, {"aspect_ratio": "adaptive"}, "aspect_ratio is required"),
    (T2V, {"aspect_ratio": "5:4"}, "aspect_ratio='5:4' not allowed"),
    (T2V, {"model": "MiniMax-H3"}, "model"),
    (T2V, {"prompt": ""}, "prompt is required"),
    (T2V, {"prompt": "x" * 7001}, "7000"),
    (T2V, {"reference_image_urls": [img()] * 10}, "at most 9"),
    (T2V, {"reference_video_urls": ["https://e.com/a.mp4"] * 4}, "at most 3"),
    (T2V, {"reference_audio_urls": [data_url(wav_bytes(2), "audio/wav")]},
     "needs at least one reference image or video"),
    (T2V, {"reference_image_urls": "x"}, "must be a list"),
    (T2V, {"reference_image_urls": [img(200, 200)]}, "256-5760"),
    (T2V, {"first_frame_image_url": img()}, "unknown field"),
    (T2V, {"enable_safety_checker": True}, "unknown field"),
    (I2V, {}, "first_frame_image_url or last_frame_image_url is required"),
    (I2V, {"first_frame_image_url": img(), "aspect_ratio": "16:9"}, "unknown field"),
    (I2V, {"first_frame_image_url": img(), "reference_image_urls": [img()]}, "unknown field"),
    (I2V, {"first_frame_image_url": "data:image/png;base64,AAAA"}, "image"),
])
def test_validation_is_422(client, sim, path, extra, fragment):
    reply = submit(client, path, **extra)
    assert reply.status_code == 422, reply.text
    error = reply.json()["error"]
    assert error["code"] == "validation_error" and fragment in error["message"]
    assert reply.headers["x-request-id"] and sim.accepted_submissions() == []


def test_unreadable_body_is_400(client):
    reply = client.post(T2V, content=b"{nope", headers={"Content-Type": "application/json"})
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "bad_request"


def test_failure_and_faults(h3_poll, client, sim):
    failed = finish(h3_poll, submit(client, prompt="fox [fail]"))
    assert failed["status"] == "failed" and failed["error"] and "usage" not in failed
    sim.inject("rate_limit", protocol="runapi", kind="submit")
    assert submit(client).status_code == 429
    sim.inject("lost_reply", protocol="runapi", kind="submit")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        submit(client, prompt="a lost fox")
    assert sim.find_task(prompt="a lost fox") is not None


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def test_direct_upload(client, fetch, sim, h3_poll):
    png = make_image(640, 480, (10, 120, 200))
    prepared = client.post("/api/v1/files/prepare", json={
        "filename": "frame.png", "byte_size": len(png), "checksum": md5_b64(png)})
    assert prepared.status_code == 200, prepared.text
    ticket = prepared.json()
    assert ticket["upload_url"].startswith(sim.video_base_url + "/uploads/")
    assert ticket["headers"] == {"Content-Type": "image/png", "Content-MD5": md5_b64(png)}
    early = client.post("/api/v1/files/confirm", json={"signed_id": ticket["signed_id"]})
    assert early.status_code == 422 and "not been uploaded" in early.json()["error"]["message"]
    assert fetch.put(ticket["upload_url"], content=png[:-1],
                     headers=ticket["headers"]).status_code == 400  # short: IncompleteBody
    flipped = png[:-1] + bytes([png[-1] ^ 1])
    bad = fetch.put(ticket["upload_url"], content=flipped, headers=ticket["headers"])
    assert bad.status_code == 400 and "BadDigest" in bad.text
    assert fetch.put(ticket["upload_url"], content=png,
                     headers={"Authorization": "Bearer x"}).status_code == 403
    put = fetch.put(ticket["upload_url"], content=png, headers=ticket["headers"])
    assert put.status_code == 200
    confirmed = client.post("/api/v1/files/confirm", json={"signed_id": ticket["signed_id"]})
    assert confirmed.status_code == 200
    meta = confirmed.json()
    assert meta["file_name"] == "frame.png" and meta["size_bytes"] == len(png)
    assert meta["mime_type"] == "image/png" and meta["expires_at"] > meta["created_at"]
    assert fetch.get(meta["url"]).content == png
    again = client.post("/api/v1/files/confirm", json={"signed_id": ticket["signed_id"]})
    assert again.json()["url"] == meta["url"]  # confirming twice: the same file
    done = finish(h3_poll, submit(client, I2V, first_frame_image_url=meta["url"]),
                  "image_to_video")
    assert done["status"] == "completed"
    kinds = [r.kind for r in sim.requests if r.path.startswith(("/api/v1/files", "/uploads"))]
    assert kinds.count("upload") == 8


@pytest.mark.parametrize("body, fragment", [
    ({"byte_size": 10, "checksum": "x" * 24}, "filename"),
    ({"filename": "a.png", "byte_size": 0, "checksum": md5_b64(b"")}, "byte_size"),
    ({"filename": "a.png", "byte_size": "10", "checksum": md5_b64(b"")}, "byte_size"),
    ({"filename": "a.png", "byte_size": 10, "checksum": "abc"}, "checksum"),
])
def test_prepare_validation(client, body, fragment):
    reply = client.post("/api/v1/files/prepare", json=body)
    assert reply.status_code == 422 and fragment in reply.json()["error"]["message"]


def test_confirm_unknown_and_upload_faults(client, fetch, sim):
    assert client.post("/api/v1/files/confirm", json={"signed_id": "nope"}).status_code == 404
    assert fetch.put(sim.video_base_url + "/uploads/nope", content=b"x").status_code == 404
    data = b"hello audio"
    ticket = client.post("/api/v1/files/prepare", json={
        "filename": "a.wav", "byte_size": len(data), "checksum": md5_b64(data)}).json()
    assert ticket["headers"]["Content-Type"] in ("audio/x-wav", "audio/wav")
    sim.inject("server_error", protocol="runapi", kind="upload", status=503)
    assert fetch.put(ticket["upload_url"], content=data).status_code == 503
    sim.inject("lost_reply", protocol="runapi", kind="upload")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        fetch.put(ticket["upload_url"], content=data)
    # The bytes arrived before the reply was lost: confirm works.
    assert client.post("/api/v1/files/confirm",
                       json={"signed_id": ticket["signed_id"]}).status_code == 200
