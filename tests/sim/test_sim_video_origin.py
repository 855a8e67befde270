"""The video origin: no auth accepted, Range and HEAD, expiring URLs, determinism."""

from __future__ import annotations

import base64

import pytest

from hailuo_nb.sim import SimServer


@pytest.fixture
def url(drive):
    return drive.video_url("runapi", drive.run("runapi"))


def test_authorization_is_refused(drive, fetch, url):
    refused = fetch.get(url, headers={"Authorization": "Bearer test-key"})
    assert refused.status_code == 403
    assert drive.srv.requests[-1].has_authorization and drive.srv.requests[-1].kind == "download"
    uploaded = drive.client.post("/api/v1/files", json={"source": {
        "type": "base64", "data": base64.b64encode(b"\x89PNG\r\n\x1a\nxx").decode()}})
    file_url = uploaded.json()["url"]
    assert fetch.get(file_url, headers={"Authorization": "Bearer x"}).status_code == 403
    assert fetch.get(file_url).status_code == 200


def test_range_requests(fetch, url):
    full = fetch.get(url).content
    head = fetch.get(url, headers={"Range": "bytes=0-99"})
    assert head.status_code == 206 and head.content == full[:100]
    assert head.headers["content-range"] == f"bytes 0-99/{len(full)}"
    tail = fetch.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == full[-10:]
    rest = fetch.get(url, headers={"Range": f"bytes={len(full) - 5}-"})
    assert rest.content == full[-5:]
    beyond = fetch.get(url, headers={"Range": f"bytes={len(full)}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(full)}"
    assert fetch.get(url, headers={"Range": "lines=1-2"}).status_code == 200


def test_head(fetch, url):
    full = fetch.get(url).content
    head = fetch.head(url)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) == len(full)
    assert head.headers["content-type"] == "video/mp4" and head.headers["accept-ranges"] == "bytes"
    assert full[4:8] == b"ftyp"


def test_unknown_and_wrong_method(fetch, drive, url):
    assert fetch.get(drive.srv.video_base_url + "/videos/nope.mp4").status_code == 404
    assert fetch.get(drive.srv.video_base_url + "/elsewhere").status_code == 404
    assert fetch.post(url).status_code == 405


def test_urls_expire_and_polls_hand_out_fresh_ones(fetch, wait_for):
    with SimServer(job_seconds=0.05, api_key="k", url_ttl=0.2) as srv:
        headers = {"Authorization": "Bearer k"}
        created = fetch.post(srv.base_url + "/api/v1/runs", headers=headers,
                             json={"model": "hailuo/pro", "input": {"prompt": "a"}}).json()
        poll = srv.base_url + f"/api/v1/runs/{created['id']}"
        first = wait_for(lambda: (fetch.get(poll, headers=headers).json()["output"] or {}).get(
            "urls"))[0]
        assert fetch.get(first).status_code == 200
        wait_for(lambda: fetch.get(first).status_code == 403, timeout=5)
        fresh = fetch.get(poll, headers=headers).json()["output"]["urls"][0]
        assert fresh != first and fetch.get(fresh).status_code == 200


def render_once(fetch, wait_for) -> bytes:
    """A fresh server, one Agentsflare job, the video's bytes."""
    with SimServer(job_seconds=0.05, api_key="k") as srv:
        headers = {"Authorization": "Bearer k"}
        body = {"model": "minimax-hailuo-02", "prompt": "the same fox", "duration": 6}
        task_id = fetch.post(srv.base_url + "/v1/videos/generations", headers=headers,
                             json=body).json()["task_id"]

        def finished():
            got = fetch.get(srv.base_url + f"/v1/async-result/{task_id}", headers=headers).json()
            return got["task_status"] == "SUCCESS" and got

        done = wait_for(finished)
        return bytes(fetch.get(done["video_result"][0]["url"]).content)


def test_same_request_same_bytes(fetch, wait_for):
    assert render_once(fetch, wait_for) == render_once(fetch, wait_for)
