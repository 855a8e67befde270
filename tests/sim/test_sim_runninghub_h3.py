"""RunningHub MiniMax H3 (docs/protocols.md §11.3) and its cancel, against a real SimServer."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sim_media import data_url, make_image, mp4_bytes, wav_bytes

BASE = "/openapi/v2/minimax/"
T2V = "hailuo-h3/text-to-video"
I2V = "hailuo-h3/image-to-video"
MM = "hailuo-h3/multimodal-to-video"
REGEN = "hailuo-h3/regeneration-multimodal-to-video"
MAX = "hailuo-h3-max/text-to-video"
CANCEL = "/task/openapi/cancel"


def img(w: int = 640, h: int = 360) -> str:
    return data_url(make_image(w, h, (40, 160, 40)))


def submit(client: httpx.Client, endpoint: str, **fields: Any) -> httpx.Response:
    body = {"prompt": "a fox in the snow", **fields}
    if endpoint in (T2V, MAX) and "ratio" not in fields:
        body["ratio"] = "16:9"
    return client.post(BASE + endpoint, json={k: v for k, v in body.items() if v is not None})


def run(drive: Any, client: httpx.Client, endpoint: str, **fields: Any) -> dict[str, Any]:
    reply = submit(client, endpoint, **fields)
    assert reply.status_code == 200, reply.text
    assert reply.json()["errorCode"] == "" and reply.json()["taskId"]
    body: dict[str, Any] = drive.wait("runninghub", reply.json()["taskId"])
    return body


def test_text_to_video_with_sound_and_usage(drive, client, fetch, probe_streams):
    done = run(drive, client, T2V, duration="8", resolution="2K", ratio="1:1",
               aigc_watermark=True)
    assert done["status"] == "SUCCESS" and done["errorCode"] == ""
    assert done["usage"]["thirdPartyConsumeMoney"] == pytest.approx(0.77 * 8)
    assert done["usage"]["consumeCoins"] == 5
    mp4 = [r for r in done["results"] if r["outputType"] == "mp4"]
    info = probe_streams(fetch.get(mp4[0]["url"]).content)
    assert abs(info["video"].seconds - 8) <= 0.1 and abs(info["audio"].seconds - 8) <= 0.1
    assert info["video"].width == info["video"].height == 180
    default = run(drive, client, T2V)
    assert default["usage"]["thirdPartyConsumeMoney"] == pytest.approx(0.48 * 6)
    task = drive.srv.tasks[default["taskId"]]
    assert (task.duration, task.resolution, task.has_audio) == (6, "768P", True)


def test_frames_references_and_max(drive, client, fetch, probe_streams):
    frames = run(drive, client, I2V, firstFrameUrl=img(360, 640), lastFrameUrl=img(360, 640),
                 duration="5")
    info = probe_streams(fetch.get(frames["results"][0]["url"]).content)
    assert info["video"].height > info["video"].width and "audio" in info
    assert run(drive, client, I2V, lastFrameUrl=img())["status"] == "SUCCESS"
    refs = run(drive, client, MM, imageUrls=[img()] * 6,
               videoUrls=[data_url(mp4_bytes(2), "video/mp4")],
               audioUrls=[data_url(wav_bytes(2), "audio/wav")], ratio="adaptive")
    assert refs["usage"]["thirdPartyConsumeMoney"] == pytest.approx(0.48 * 8 + 0.20)
    max_done = run(drive, client, MAX, resolution="480P", duration="5")
    assert max_done["usage"]["thirdPartyConsumeMoney"] == pytest.approx(0.24 * 5)


def test_regeneration(drive, client, fetch):
    source = run(drive, client, T2V, duration="7", ratio="9:16")
    url = source["results"][0]["url"]
    done = run(drive, client, REGEN, baseVideoUrl=url, resolution="2K")
    task = drive.srv.tasks[done["taskId"]]
    assert (task.duration, task.resolution, task.ratio) == (7, "2K", "9:16")
    assert done["usage"]["thirdPartyConsumeMoney"] == pytest.approx(0.30 * 7)
    as_data = run(drive, client, REGEN, baseVideoUrl=data_url(fetch.get(url).content,
                                                              "video/mp4"), resolution="2K")
    assert drive.srv.tasks[as_data["taskId"]].duration == 7
    two_k = run(drive, client, T2V, resolution="2K")
    refused = submit(client, REGEN, baseVideoUrl=two_k["results"][0]["url"], resolution="2K")
    assert refused.json()["errorCode"] == "301" and "768P output" in refused.json()[
        "errorMessage"]
    silent = submit(client, REGEN, baseVideoUrl=data_url(mp4_bytes(4), "video/mp4"),
                    resolution="2K")
    assert "video with sound" in silent.json()["errorMessage"]


@pytest.mark.parametrize("endpoint, fields, fragment", [
    (T2V, {"enablePromptExpansion": True}, "not in this endpoint's schema"),
    (T2V, {"aspectRatio": "16:9"}, "not in this endpoint's schema"),
    (T2V, {"duration": 6}, 'duration must be a string "5".."15"'),
    (T2V, {"duration": "4"}, "duration"),
    (T2V, {"duration": "16"}, "duration"),
    (T2V, {"resolution": "768p"}, "resolution"),
    (T2V, {"resolution": "1080P"}, "resolution"),
    (T2V, {"ratio": None}, "ratio is required"),
    (T2V, {"ratio": "adaptive"}, "ratio 'adaptive' not allowed"),
    (T2V, {"prompt": ""}, "prompt is required"),
    (T2V, {"prompt": "x" * 7001}, "7000"),
    (T2V, {"aigc_watermark": "no"}, "aigc_watermark"),
    (T2V, {"aigcWatermark": True}, "not in this endpoint's schema"),
    (I2V, {}, "firstFrameUrl or lastFrameUrl is required"),
    (I2V, {"firstFrameUrl": img(), "ratio": "16:9"}, "not in this endpoint's schema"),
    (I2V, {"firstFrameUrl": img(200, 200)}, "256-5760"),
    (MM, {}, "imageUrls or videoUrls is required"),
    (MM, {"imageUrls": [img()] * 10}, "at most 9"),
    (MM, {"videoUrls": ["https://e.com/a.mp4"] * 4}, "at most 3"),
    (MM, {"audioUrls": [data_url(wav_bytes(2), "audio/wav")]}, "needs at least one"),
    (REGEN, {"resolution": "2K"}, "baseVideoUrl is required"),
    (REGEN, {"baseVideoUrl": "https://e.com/a.mp4"}, "resolution None not allowed"),
    (MAX, {"resolution": "2K"}, "resolution"),
    (MAX, {"duration": "4"}, "duration"),
])
def test_params_invalid(client, sim, endpoint, fields, fragment):
    reply = submit(client, endpoint, **fields)
    assert reply.status_code == 400
    body = reply.json()
    assert body["errorCode"] == "301" and body["errorMessage"].startswith("PARAMS_INVALID")
    assert fragment in body["errorMessage"] and sim.accepted_submissions() == []


def test_refusals_in_band_variant(client, sim):
    sim.set_variant("runninghub", refusal_http=200)
    reply = submit(client, T2V, enablePromptExpansion=True)
    assert reply.status_code == 200 and reply.json()["errorCode"] == "301"


def test_cancel_queued_running_and_finished(drive, client, sim):
    sim.hold_queue()
    queued = submit(client, T2V).json()["taskId"]
    assert drive.poll("runninghub", queued).json()["status"] in ("CREATE", "QUEUED")
    cancelled = client.post(CANCEL, json={"apiKey": "test-key", "taskId": queued},
                            headers={"Authorization": ""})
    assert cancelled.json() == {"code": 0, "msg": "success", "data": None}
    assert drive.poll("runninghub", queued).json()["status"] == "CANCEL"
    assert client.post(CANCEL, json={"taskId": queued}).json()["code"] == 817
    assert client.post(CANCEL, json={"taskId": "123"}).json()["code"] == 807
    sim.release()
    done = drive.wait("runninghub", submit(client, T2V).json()["taskId"])
    assert client.post(CANCEL, json={"taskId": done["taskId"]}).json()["code"] == 817
    with httpx.Client(base_url=sim.base_url, verify=False) as anon:
        assert anon.post(CANCEL, json={"apiKey": "wrong", "taskId": queued}).status_code == 401
    assert sim.count("cancel", "runninghub") == 5


def test_faults_apply(client, sim, drive):
    sim.inject("rate_limit", protocol="runninghub", kind="submit")
    assert submit(client, T2V).status_code == 429
    sim.inject("lost_reply", protocol="runninghub", kind="submit")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        submit(client, T2V, prompt="a paid fox")
    assert sim.find_task(prompt="a paid fox") is not None
    failed = run(drive, client, T2V, prompt="fox [fail]")
    assert failed["status"] == "FAILED" and failed["errorCode"] == "416"
