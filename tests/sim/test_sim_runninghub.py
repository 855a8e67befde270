"""RunningHub standard-model API v2 (docs/protocols.md §4) against a real SimServer."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture
def rh(sim):
    """A client whose base URL is what a RunningHub client is told to use."""
    with httpx.Client(verify=False, base_url=sim.base_url_for("runninghub"),
                      headers={"Authorization": "Bearer test-key"}) as c:
        yield c


def test_base_url_includes_openapi_v2(sim):
    assert sim.base_url_for("runninghub") == sim.base_url + "/openapi/v2"
    assert sim.env("runninghub")["RUNNINGHUB_BASE_URL"].endswith("/openapi/v2")


def test_text_to_video_flow(drive, rh, fetch, decode):
    reply = rh.post("/minimax/hailuo-02/t2v-standard",
                    json={"prompt": "a crystal orb", "enablePromptExpansion": True,
                          "duration": "6"})
    assert reply.status_code == 200
    created = reply.json()
    assert created["errorCode"] == "" and created["errorMessage"] == ""
    assert created["results"] is None and created["status"] in ("CREATE", "QUEUED")
    assert created["taskId"].isdigit() and isinstance(created["promptTips"], str)

    done = drive.wait("runninghub", created["taskId"])
    assert done["status"] == "SUCCESS" and done["errorCode"] == ""
    result = done["results"][0]
    assert result["outputType"] == "mp4"
    assert done["usage"]["consumeMoney"] == 1.5
    info = decode(fetch.get(result["url"]).content)
    assert (info.frames, info.seconds, info.width, info.height) == (60, 6.0, 342, 192)


def test_upload_then_first_and_last_frame(drive, rh, fetch, decode, image_bytes, image_url):
    png = image_bytes(480, 480, (220, 30, 30))
    up = rh.post("/media/upload/binary", files={"file": ("first.png", png, "image/png")})
    assert up.status_code == 200 and up.json()["code"] == 0
    url = up.json()["data"]["download_url"]
    assert fetch.get(url).content == png

    reply = rh.post("/minimax/hailuo-02/i2v-standard", json={
        "firstImageUrl": url, "lastImageUrl": image_url(480, 480, (30, 30, 220)),
        "enablePromptExpansion": False, "duration": "10"})
    assert reply.status_code == 200, reply.text
    done = drive.wait("runninghub", reply.json()["taskId"])
    assert done["usage"]["consumeMoney"] == 3.0
    info = decode(fetch.get(done["results"][0]["url"]).content)
    assert (info.frames, info.width, info.height) == (100, 192, 192)
    assert info.first_rgb[100, 100][0] > 150 and info.last_rgb[100, 100][2] > 150


def test_fast_endpoint_is_512p(drive, rh, fetch, decode, image_url):
    reply = rh.post("/minimax/hailuo-02/fast", json={"imageUrl": image_url(640, 360),
                                                      "enablePromptExpansion": True})
    done = drive.wait("runninghub", reply.json()["taskId"])
    info = decode(fetch.get(done["results"][0]["url"]).content)
    assert (info.width, info.height) == (228, 128)


def test_all_thirteen_endpoints_exist(rh, image_url):
    endpoints = ["hailuo-02/t2v-standard", "hailuo-02/t2v-pro", "hailuo-02/i2v-standard",
                 "hailuo-02/i2v-pro", "hailuo-02/standard", "hailuo-02/pro", "hailuo-02/fast",
                 "hailuo-2.3/t2v-standard", "hailuo-2.3/t2v-pro", "hailuo-2.3/i2v-standard",
                 "hailuo-2.3/image-to-video-pro", "hailuo-2.3-fast/image-to-video",
                 "hailuo-2.3-fast-pro/image-to-video"]
    for name in endpoints:
        body = {"prompt": "a fox", "enablePromptExpansion": True}
        if "02/i2v" in name:
            body["firstImageUrl"] = image_url()
        elif "i2v" in name or "image-to-video" in name or name.endswith("fast"):
            body["imageUrl"] = image_url()
        reply = rh.post(f"/minimax/{name}", json=body)
        assert reply.status_code == 200 and reply.json()["errorCode"] == "", (name, reply.text)


@pytest.mark.parametrize("endpoint, body, fragment", [
    ("hailuo-02/t2v-standard", {"prompt": "a", "duration": "6"}, "enablePromptExpansion"),
    ("hailuo-02/t2v-standard", {"prompt": "a", "enablePromptExpansion": "yes"},
     "enablePromptExpansion"),
    ("hailuo-02/t2v-standard", {"prompt": "a", "enablePromptExpansion": True, "duration": 6},
     "duration"),
    ("hailuo-02/pro", {"prompt": "a", "enablePromptExpansion": True, "duration": "10"},
     "duration"),
    ("hailuo-02/t2v-standard", {"enablePromptExpansion": True}, "prompt is required"),
    ("hailuo-2.3/i2v-standard", {"enablePromptExpansion": True}, "imageUrl is required"),
    ("hailuo-2.3/i2v-standard", {"enablePromptExpansion": True, "imageUrl": "https://x/a.png",
                                 "lastImageUrl": "https://x/b.png"}, "not a field"),
    ("hailuo-02/t2v-standard", {"prompt": "a" * 2001, "enablePromptExpansion": True}, "2000"),
])
def test_validation_is_400_params_invalid(rh, endpoint, body, fragment):
    reply = rh.post(f"/minimax/{endpoint}", json=body)
    assert reply.status_code == 400
    assert reply.json()["errorCode"] == "301" and fragment in reply.json()["errorMessage"]


def test_unknown_endpoint_and_task(rh):
    gone = rh.post("/minimax/hailuo-99/ultra", json={"prompt": "a", "enablePromptExpansion": True})
    assert gone.status_code == 404 and gone.json()["errorCode"] == "807"
    missing = rh.post("/query", json={"taskId": "1"})
    assert missing.status_code == 404 and missing.json()["errorCode"] == "807"
    assert rh.post("/query", json={}).json()["errorCode"] == "301"


def test_numeric_task_id_in_query(drive, rh):
    task_id = drive.submit("runninghub").json()["taskId"]
    assert rh.post("/query", json={"taskId": int(task_id)}).json()["taskId"] == task_id


def test_failure_and_policy(drive, rh):
    failed = drive.run("runninghub", "orb [fail]")
    assert failed["status"] == "FAILED" and failed["errorCode"] == "416"
    assert failed["errorMessage"] and failed["results"] is None
    policy = drive.submit("runninghub", "orb [policy]")
    assert policy.status_code == 200 and policy.json()["errorCode"] == "1505"
    assert drive.srv.accepted_submissions() == [drive.srv.tasks[failed["taskId"]]]


def test_upload_needs_the_file_field(rh):
    reply = rh.post("/media/upload/binary", files={"image": ("a.png", b"x", "image/png")})
    assert reply.status_code == 400 and reply.json()["code"] != 0


def test_bad_key_is_401(sim):
    with httpx.Client(verify=False, base_url=sim.base_url_for("runninghub"),
                      headers={"Authorization": "Bearer wrong"}) as c:
        reply = c.post("/query", json={"taskId": "1"})
    assert reply.status_code == 401 and reply.json()["errorCode"] == "802"
