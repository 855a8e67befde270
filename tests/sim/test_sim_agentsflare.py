"""Agentsflare protocol (docs/protocols.md §5, poll shape after BigModel) against a SimServer."""

from __future__ import annotations

import httpx
import pytest

GEN = "/v1/videos/generations"


def test_text_to_video_flow(drive, client, fetch, decode):
    reply = client.post(GEN, json={"model": "minimax-hailuo-02", "prompt": "a city at dusk",
                                   "duration": 6, "resolution": "768P"})
    assert reply.status_code == 200
    created = reply.json()
    assert set(created) == {"task_id", "model", "task_status"}
    assert created["task_status"] == "PROCESSING"
    done = drive.wait("agentsflare", created["task_id"])
    assert done["task_status"] == "SUCCESS" and done["model"] == "minimax-hailuo-02"
    info = decode(fetch.get(done["video_result"][0]["url"]).content)
    assert (info.frames, info.seconds, info.width, info.height) == (60, 6.0, 342, 192)


def test_fast_model_with_first_frame_and_external_id(drive, client, fetch, decode, image_url):
    reply = client.post(GEN, json={"model": "minimax-hailuo-2.3-Fast", "prompt": "pull back",
                                   "duration": 6, "first_frame_image": image_url(1080, 1920),
                                   "external_task_id": "gen-42"})
    assert reply.status_code == 200, reply.text
    task = drive.srv.find_task(client_task_id="gen-42")
    assert task is not None and task.id == reply.json()["task_id"]
    done = drive.wait("agentsflare", task.id)
    assert done["request_id"] == "gen-42"
    info = decode(fetch.get(done["video_result"][0]["url"]).content)
    assert (info.width, info.height) == (192, 342)


def test_frame_mode_with_images(drive, client, fetch, decode, image_url):
    reply = client.post(GEN, json={"model": "minimax-hailuo-02", "prompt": "fade", "duration": 6,
                                   "images": [{"url": image_url(500, 500, (220, 30, 30))},
                                              {"url": image_url(500, 500, (30, 30, 220))}]})
    assert reply.status_code == 200, reply.text
    done = drive.wait("agentsflare", reply.json()["task_id"])
    info = decode(fetch.get(done["video_result"][0]["url"]).content)
    assert info.first_rgb[100, 100][0] > 150 and info.last_rgb[100, 100][2] > 150


def test_aspect_ratio(drive, client, fetch, decode):
    reply = client.post(GEN, json={"model": "minimax-hailuo-2.3", "prompt": "tall", "duration": 6,
                                   "aspect_ratio": "9:16", "mode": "pro"})
    done = drive.wait("agentsflare", reply.json()["task_id"])
    info = decode(fetch.get(done["video_result"][0]["url"]).content)
    assert (info.width, info.height) == (192, 342)


@pytest.mark.parametrize("body, fragment", [
    ({"model": "minimax-hailuo-02", "prompt": "a"}, "duration is required"),
    ({"model": "minimax-hailuo-02", "prompt": "a", "duration": "6"}, "duration"),
    ({"model": "kling-1", "prompt": "a", "duration": 6}, "not supported"),
    ({"model": "minimax-hailuo-02", "duration": 6}, "prompt is required"),
    ({"model": "minimax-hailuo-2.3-Fast", "prompt": "a", "duration": 6}, "image-to-video only"),
    ({"model": "minimax-hailuo-2.3", "prompt": "a", "duration": 6,
      "images": [{"url": "https://x/a.png"}, {"url": "https://x/b.png"}]}, "only for"),
    ({"model": "minimax-hailuo-02", "prompt": "a", "duration": 6, "resolution": "4K"},
     "resolution"),
    ({"model": "minimax-hailuo-02", "prompt": "a", "duration": 10, "resolution": "1080P"},
     "6 second"),
    ({"model": "minimax-hailuo-02", "prompt": "a", "duration": 6, "aspect_ratio": "wide"},
     "aspect_ratio"),
])
def test_validation_is_400(client, body, fragment):
    reply = client.post(GEN, json=body)
    assert reply.status_code == 400
    assert fragment in reply.json()["error"]["message"]


def test_runbase_words_variant(drive):
    drive.srv.set_variant("agentsflare", words="runbase")
    created = drive.submit("agentsflare").json()
    assert created["task_status"] == "queued"
    assert drive.wait("agentsflare", created["task_id"])["task_status"] == "succeeded"


def test_failure_and_unknown_task(drive, client):
    failed = drive.run("agentsflare", "dusk [fail]")
    assert failed["task_status"] == "FAIL" and failed["error"]["message"]
    assert client.get("/v1/async-result/404404").status_code == 404


def test_bad_key_is_401(sim):
    with httpx.Client(verify=False, base_url=sim.base_url) as c:
        reply = c.post(GEN, json={"model": "minimax-hailuo-02", "prompt": "a", "duration": 6})
    assert reply.status_code == 401 and "message" in reply.json()["error"]
