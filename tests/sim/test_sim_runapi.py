"""RunAPI protocol (docs/protocols.md §2) against a real SimServer."""

from __future__ import annotations

import base64

import httpx
import pytest

T2V = "/api/v1/hailuo/text_to_video"
I2V = "/api/v1/hailuo/image_to_video"


def test_text_to_video_flow(drive, client, fetch, decode):
    reply = client.post(T2V, json={"model": "hailuo-02-text-to-video-standard",
                                   "prompt": "a red fox", "duration_seconds": 6})
    assert reply.status_code == 200
    created = reply.json()
    assert created == {"id": created["id"], "status": "pending"}
    assert reply.headers["x-runapi-task-id"] == created["id"]

    done = drive.wait("runapi", created["id"])
    assert done["status"] == "completed"
    assert done["usage"] == {"cost": 0.30}
    info = decode(fetch.get(done["videos"][0]["url"]).content)
    assert (info.frames, info.seconds, info.width, info.height) == (60, 6.0, 342, 192)


def test_defaults_standard_ten_seconds_pro_1080p(drive, client):
    std = client.post(T2V, json={"model": "hailuo-02-text-to-video-standard", "prompt": "a"})
    pro = client.post(T2V, json={"model": "hailuo-02-text-to-video-pro", "prompt": "b"})
    tasks = drive.srv.tasks
    assert (tasks[std.json()["id"]].duration, tasks[std.json()["id"]].resolution) == (10, "768P")
    assert (tasks[pro.json()["id"]].duration, tasks[pro.json()["id"]].resolution) == (6, "1080P")
    assert drive.wait("runapi", pro.json()["id"])["usage"] == {"cost": 0.57}


def test_upload_then_image_to_video_first_and_last(drive, client, fetch, decode, image_bytes,
                                                   image_url):
    png = image_bytes(400, 600, (30, 200, 30))  # portrait
    uploaded = client.post("/api/v1/files", json={
        "source": {"type": "base64", "data": base64.b64encode(png).decode()},
        "file_name": "first.png"})
    assert uploaded.status_code == 200
    meta = uploaded.json()
    assert meta["file_name"] == "first.png" and meta["size_bytes"] == len(png)
    assert meta["mime_type"] == "image/png" and meta["expires_at"] > meta["created_at"]
    assert meta["url"].startswith(drive.srv.video_base_url + "/files/")
    assert fetch.get(meta["url"]).content == png

    reply = client.post(I2V, json={"model": "hailuo-02-image-to-video-standard",
                                   "prompt": "the leaf turns blue",
                                   "first_frame_image_url": meta["url"],
                                   "last_frame_image_url": image_url(400, 600, (30, 30, 220)),
                                   "duration_seconds": 6, "output_resolution": "512p"})
    assert reply.status_code == 200, reply.text
    done = drive.wait("runapi", reply.json()["id"], path="image_to_video")
    assert done["usage"] == {"cost": 0.12}
    info = decode(fetch.get(done["videos"][0]["url"]).content)
    assert (info.width, info.height) == (128, 192)  # 512P short side, portrait aspect
    assert info.first_rgb[120, 64][1] > 150 and info.last_rgb[120, 64][2] > 150


def test_upload_from_url_source(client, fetch, image_url, image_bytes):
    reply = client.post("/api/v1/files", json={"source": {"type": "url", "url": image_url()}})
    assert reply.status_code == 200
    assert fetch.get(reply.json()["url"]).content == image_bytes(640, 400, (220, 30, 30))
    offline = client.post("/api/v1/files", json={"source": {"type": "url",
                                                            "url": "https://example.com/a.png"}})
    assert offline.status_code == 422 and "could not fetch" in offline.json()["error"]["message"]


def test_external_image_url_renders_plain_background(drive, client):
    reply = client.post(I2V, json={"model": "hailuo-2.3-image-to-video-standard", "prompt": "a",
                                   "first_frame_image_url": "https://example.com/cat.png",
                                   "duration_seconds": 6})
    assert reply.status_code == 200
    assert drive.wait("runapi", reply.json()["id"], path="image_to_video")["status"] == "completed"


@pytest.mark.parametrize("path, body, fragment", [
    (T2V, {"model": "hailuo-02-text-to-video-standard", "prompt": "a", "duration": "6"},
     "unknown field"),
    (I2V, {"model": "hailuo-02-image-to-video-standard", "prompt": "a",
           "image_url": "https://x/y.png"}, "unknown field"),
    (I2V, {"model": "hailuo-02-image-to-video-standard", "prompt": "a"},
     "first_frame_image_url is required"),
    (T2V, {"model": "hailuo-02-text-to-video-pro", "prompt": "a", "duration_seconds": 6},
     "not accepted"),
    (I2V, {"model": "hailuo-2.3-image-to-video-standard", "prompt": "a",
           "first_frame_image_url": "https://x/a.png", "last_frame_image_url": "https://x/b.png"},
     "only available on Hailuo 02"),
    (I2V, {"model": "hailuo-2.3-image-to-video-pro", "prompt": "a", "prompt_optimizer": True,
           "first_frame_image_url": "https://x/a.png"}, "prompt_optimizer"),
    (I2V, {"model": "hailuo-2.3-image-to-video-standard", "prompt": "a",
           "first_frame_image_url": "https://x/a.png", "output_resolution": "1080p",
           "duration_seconds": 10}, "1080p"),
    (I2V, {"model": "hailuo-2.3-image-to-video-standard", "prompt": "a",
           "first_frame_image_url": "https://x/a.png", "output_resolution": "768P"},
     "output_resolution"),
    (T2V, {"model": "hailuo-02-image-to-video-standard", "prompt": "a"}, "served at"),
    (T2V, {"model": "hailuo-2.3-text-to-video-standard", "prompt": "a"}, "is not one of"),
    (T2V, {"model": "hailuo-02-text-to-video-standard", "prompt": ""}, "prompt is required"),
    (T2V, {"model": "hailuo-02-text-to-video-standard", "prompt": "a", "duration_seconds": 8},
     "6 or 10"),
])
def test_validation_is_422(client, sim, path, body, fragment):
    reply = client.post(path, json=body)
    assert reply.status_code == 422, reply.text
    assert fragment in reply.json()["error"]["message"]
    assert reply.headers["x-request-id"]
    assert sim.accepted_submissions() == []


def test_malformed_json_is_400(client):
    reply = client.post(T2V, content=b"{not json", headers={"Content-Type": "application/json"})
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "bad_request"


def test_older_vocabulary_variant(drive, client, image_url):
    drive.srv.set_variant("runapi", vocabulary="older")
    reply = client.post(I2V, json={"model": "hailuo-02-image-to-video-standard", "prompt": "a",
                                   "image_url": image_url(), "end_image_url": image_url(),
                                   "duration": "6", "resolution": "512P", "nsfw_checker": True})
    assert reply.status_code == 200, reply.text
    task = drive.srv.tasks[reply.json()["id"]]
    assert (task.duration, task.resolution, task.last_frame is not None) == (6, "512P", True)
    current = client.post(I2V, json={"model": "hailuo-02-image-to-video-standard", "prompt": "a",
                                     "first_frame_image_url": image_url()})
    assert current.status_code == 422
    numeric = client.post(T2V, json={"model": "hailuo-02-text-to-video-standard", "prompt": "a",
                                     "duration": 6})
    assert numeric.status_code == 422


def test_seed_shape_with_task_id(drive, client):
    drive.srv.set_variant("runapi", id_field="task_id")
    created = client.post(T2V, json={"model": "hailuo-02-text-to-video-standard",
                                     "prompt": "a"}).json()
    assert set(created) == {"task_id", "status"} and created["task_id"].startswith("tsk_")
    assert set(drive.wait("runapi", created["task_id"])) >= {"task_id", "status", "videos"}


def test_poll_on_the_wrong_endpoint_is_404(drive, client):
    created = client.post(T2V, json={"model": "hailuo-02-text-to-video-standard", "prompt": "a"})
    task_id = created.json()["id"]
    assert drive.poll("runapi", task_id, path="image_to_video").status_code == 404
    assert drive.poll("runapi", "tsk_nope").status_code == 404


def test_failure_has_error_string(drive):
    done = drive.run("runapi", "a fox [fail]")
    assert done["status"] == "failed" and isinstance(done["error"], str) and "videos" not in done


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"},
                                     {"Authorization": "Basic dGVzdC1rZXk="}])
def test_bad_key_is_401(sim, headers):
    with httpx.Client(verify=False, base_url=sim.base_url, headers=headers) as c:
        reply = c.post(T2V, json={"model": "hailuo-02-text-to-video-standard", "prompt": "a"})
    assert reply.status_code == 401 and reply.json()["error"]["code"] == "unauthorized"
    assert "test-key" not in reply.text and sim.accepted_submissions() == []
