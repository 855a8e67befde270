"""Runbase protocol (docs/protocols.md §3) against a real SimServer."""

from __future__ import annotations

import httpx
import pytest


def test_text_to_video_flow(drive, client, fetch, decode):
    reply = client.post("/api/v1/runs", json={"model": "hailuo/pro",
                                              "input": {"prompt": "a ceramic lamp"}})
    assert reply.status_code == 200
    run = reply.json()
    assert run["status"] == "queued" and run["output"] is None and run["model"] == "hailuo/pro"
    assert run["id"].startswith("run_")
    done = drive.wait("runbase", run["id"])
    assert done["status"] == "succeeded"
    info = decode(fetch.get(done["output"]["urls"][0]).content)
    # hailuo/pro defaults to 1080P: 480x270 at the simulator's scale.
    assert (info.frames, info.seconds, info.width, info.height) == (60, 6.0, 480, 270)


def test_image_urls_first_and_last(drive, client, fetch, decode, image_url):
    reply = client.post("/api/v1/runs", json={"model": "hailuo/pro", "input": {
        "prompt": "fade", "image_urls": [image_url(600, 600, (220, 30, 30)),
                                         image_url(600, 600, (30, 30, 220))],
        "duration": 10, "resolution": "768P"}})
    assert reply.status_code == 200, reply.text
    done = drive.wait("runbase", reply.json()["id"])
    info = decode(fetch.get(done["output"]["urls"][0]).content)
    assert (info.frames, info.width, info.height) == (100, 192, 192)
    assert info.first_rgb[100, 100][0] > 150 and info.last_rgb[100, 100][2] > 150


@pytest.mark.parametrize("body, fragment", [
    ({"model": "flux/dev", "input": {"prompt": "a"}}, "not found"),
    ({"model": "hailuo/pro"}, "input must be an object"),
    ({"model": "hailuo/pro", "input": {}}, "input.prompt is required"),
    ({"model": "hailuo/pro", "input": {"prompt": "a", "image_urls": "x"}}, "image_urls"),
    ({"model": "hailuo/pro", "input": {"prompt": "a", "image_urls": ["ftp://x"]}}, "URL"),
    ({"model": "hailuo/pro", "input": {"prompt": "a", "duration": 7}}, "duration"),
])
def test_validation_is_400(client, body, fragment):
    reply = client.post("/api/v1/runs", json=body)
    assert reply.status_code == 400
    assert fragment in reply.json()["error"] and reply.json()["code"] == "invalid_request"


def test_failed_run_and_unknown_run(drive, client):
    done = drive.run("runbase", "lamp [fail]")
    assert done["status"] == "failed" and done["output"] is None and "error" in done
    assert client.get("/api/v1/runs/run_nope").status_code == 404


def test_replicate_words_variant(drive):
    drive.srv.set_variant("runbase", words="replicate")
    created = drive.submit("runbase").json()
    assert created["status"] == "starting"
    assert drive.wait("runbase", created["id"])["status"] == "succeeded"


def test_bad_key_is_401(sim):
    with httpx.Client(verify=False, base_url=sim.base_url) as c:
        reply = c.get("/api/v1/runs/run_1")
    assert reply.status_code == 401 and reply.json()["code"] == "unauthorized"
