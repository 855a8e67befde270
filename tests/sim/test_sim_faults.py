"""Every injectable fault, triggered and observed over real HTTP."""

from __future__ import annotations

import json
import time

import httpx
import pytest

PROTOCOLS = ("minimax", "runapi", "runbase", "runninghub", "agentsflare")
DROPPED = (httpx.RemoteProtocolError, httpx.ReadError)


def test_rate_limit_with_retry_after(drive):
    fault = drive.srv.inject("rate_limit", kind="submit", retry_after=2.5)
    limited = drive.submit("runapi")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "3"
    assert limited.json()["retry_after"] == 2.5
    assert fault.hits == 1 and drive.srv.faults == []
    assert drive.submit("runapi").status_code == 200
    assert len(drive.srv.accepted_submissions()) == 1
    assert [r.fault for r in drive.srv.requests] == ["rate_limit", None]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_rate_limit_on_every_protocol(drive, protocol):
    drive.srv.inject("rate_limit", protocol=protocol)
    reply = drive.submit(protocol)
    assert reply.status_code == 429 and reply.headers["retry-after"] == "1"
    assert drive.srv.accepted_submissions() == []


def test_minimax_rate_limit_is_in_band(drive):
    drive.srv.inject("minimax_rate_limit")
    drive.srv.inject("rate_limit", protocol="minimax", kind="poll")
    assert drive.submit("runapi").status_code == 200  # not a MiniMax request: untouched
    reply = drive.submit("minimax")
    assert reply.status_code == 200 and reply.json()["base_resp"]["status_code"] == 1002
    with pytest.raises(ValueError):
        drive.srv.inject("minimax_rate_limit", protocol="runapi")


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_error(drive, status):
    drive.srv.inject("server_error", kind="poll", status=status)
    task_id = drive.id_of(drive.submit("runbase").json())
    assert drive.poll("runbase", task_id).status_code == status
    assert drive.poll("runbase", task_id).status_code == 200


@pytest.mark.parametrize("kind", ["submit", "poll"])
def test_reset_closes_without_reply(drive, kind):
    task_id = drive.id_of(drive.submit("agentsflare").json())
    drive.srv.inject("reset", kind=kind)
    with pytest.raises(DROPPED):
        if kind == "submit":
            drive.submit("agentsflare")
        else:
            drive.poll("agentsflare", task_id)
    assert drive.srv.requests[-1].status is None and drive.srv.requests[-1].fault == "reset"
    assert len(drive.srv.accepted_submissions()) == 1


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_lost_reply_creates_the_task(drive, protocol):
    drive.srv.inject("lost_reply", kind="submit")
    with pytest.raises(DROPPED):
        drive.submit(protocol, "a paid fox")
    accepted = drive.srv.accepted_submissions()
    assert len(accepted) == 1 and accepted[0].prompt == "a paid fox"


def test_lost_reply_is_found_by_client_id(drive):
    drive.srv.inject("lost_reply", kind="submit", protocol="agentsflare")
    with pytest.raises(DROPPED):
        drive.submit("agentsflare", external_task_id="journal-7")
    task = drive.srv.find_task(client_task_id="journal-7")
    assert task is not None and task.protocol == "agentsflare"
    # Any protocol: an Idempotency-Key header is kept as the client id too.
    drive.srv.inject("lost_reply", kind="submit")
    with pytest.raises(DROPPED):
        drive.client.post("/api/v1/runs", json={"model": "hailuo/pro", "input": {"prompt": "a"}},
                          headers={"Idempotency-Key": "journal-8"})
    assert drive.srv.find_task(client_task_id="journal-8").protocol == "runbase"


def test_slow(drive):
    drive.srv.inject("slow", kind="submit", delay=0.3)
    start = time.monotonic()
    assert drive.submit("runninghub").status_code == 200
    assert time.monotonic() - start >= 0.3


def test_malformed_json(drive):
    drive.srv.inject("malformed_json", kind="submit")
    reply = drive.submit("minimax")
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        reply.json()
    assert drive.srv.accepted_submissions() == []


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_unknown_status(drive, protocol):
    task_id = drive.id_of(drive.submit(protocol).json())
    drive.srv.inject("unknown_status", word="Thinking")
    assert drive.status_of(drive.poll(protocol, task_id).json()) == "Thinking"
    assert drive.status_of(drive.poll(protocol, task_id).json()) != "Thinking"


@pytest.mark.parametrize("protocol, failed", [
    ("minimax", "Fail"), ("runapi", "failed"), ("runbase", "failed"), ("runninghub", "FAILED"),
    ("agentsflare", "FAIL")])
def test_remote_failure_on_submit_and_on_poll(drive, protocol, failed):
    drive.srv.inject("remote_failure", kind="submit", message="GPU on fire")
    task_id = drive.id_of(drive.submit(protocol).json())
    done = drive.wait(protocol, task_id)
    assert drive.status_of(done) == failed and "GPU on fire" in json.dumps(done)

    drive.srv.job_seconds = 30
    slow_id = drive.id_of(drive.submit(protocol).json())
    drive.srv.inject("remote_failure", kind="poll", message="node lost")
    now = drive.poll(protocol, slow_id).json()  # fails at once, not after 30 s
    assert drive.status_of(now) == failed and "node lost" in json.dumps(now)
    assert drive.srv.tasks[slow_id].status == "failed"


def test_content_policy_on_submit(drive):
    for protocol in PROTOCOLS:
        drive.srv.inject("content_policy", kind="submit", protocol=protocol)
    mm = drive.submit("minimax").json()
    assert mm["base_resp"]["status_code"] == 1026
    rh = drive.submit("runninghub")
    assert rh.status_code == 200 and rh.json()["errorCode"] == "1505"
    for protocol in ("runapi", "runbase", "agentsflare"):
        reply = drive.submit(protocol)
        assert reply.status_code == 400 and "policy" in reply.text
    assert drive.srv.accepted_submissions() == []


def test_content_policy_on_poll(drive):
    ids = {p: drive.id_of(drive.submit(p).json()) for p in PROTOCOLS}
    drive.srv.inject("content_policy", kind="poll", count=len(PROTOCOLS))
    mm = drive.poll("minimax", ids["minimax"]).json()
    assert mm["status"] == "Fail" and mm["base_resp"]["status_code"] == 1027
    rh = drive.poll("runninghub", ids["runninghub"]).json()
    assert rh["status"] == "FAILED" and rh["errorCode"] == "1505"
    for protocol in ("runapi", "runbase", "agentsflare"):
        body = drive.poll(protocol, ids[protocol]).json()
        assert drive.status_of(body).lower().startswith("fail") and "policy" in json.dumps(body)


def test_policy_and_fail_prompt_words(drive):
    assert drive.submit("minimax", "a [policy] fox").json()["base_resp"]["status_code"] == 1026
    assert drive.submit("runbase", "a [policy] fox").status_code == 400
    assert drive.status_of(drive.run("runapi", "a [fail] fox")) == "failed"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_auth_fault(drive, protocol):
    drive.srv.inject("auth", protocol=protocol)
    reply = drive.submit(protocol)
    if protocol == "minimax":
        assert reply.status_code == 200 and reply.json()["base_resp"]["status_code"] == 1004
    else:
        assert reply.status_code == 401
    assert "test-key" not in reply.text


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_credits(drive, protocol):
    drive.srv.inject("credits", kind="submit")
    reply = drive.submit(protocol)
    if protocol == "minimax":
        assert reply.status_code == 200 and reply.json()["base_resp"]["status_code"] == 1008
    else:
        assert reply.status_code == 402
    assert drive.srv.accepted_submissions() == []


def test_expired_url_fault(drive, fetch):
    url = drive.video_url("runapi", drive.run("runapi"))
    drive.srv.inject("expired_url")
    refused = fetch.get(url)
    assert refused.status_code == 403 and "expired" in refused.text
    assert fetch.get(url).status_code == 200


def test_truncated_download(drive, fetch):
    url = drive.video_url("runbase", drive.run("runbase"))
    size = len(fetch.get(url).content)
    drive.srv.inject("truncated")
    received = 0
    with pytest.raises(httpx.RemoteProtocolError), fetch.stream("GET", url) as reply:
        assert int(reply.headers["content-length"]) == size
        for chunk in reply.iter_bytes():
            received += len(chunk)
    assert 0 < received < size


@pytest.mark.parametrize("fault", ["rate_limit", "server_error", "reset", "lost_reply", "slow"])
def test_wire_faults_on_downloads(drive, fetch, fault):
    url = drive.video_url("runninghub", drive.run("runninghub"))
    drive.srv.inject(fault, kind="download", delay=0.05)
    if fault in ("reset", "lost_reply"):
        with pytest.raises(DROPPED):
            fetch.get(url)
    else:
        assert fetch.get(url).status_code in (200, 429, 500)
    assert fetch.get(url).status_code == 200
    assert drive.srv.requests[-2].kind == "download"
    assert drive.srv.requests[-2].fault == fault


def test_count_forever_and_clear(drive):
    drive.srv.inject("server_error", kind="submit", count=-1)
    assert [drive.submit("runapi").status_code for _ in range(3)] == [500, 500, 500]
    drive.srv.clear_faults()
    assert drive.submit("runapi").status_code == 200


def test_count_and_matching(drive):
    drive.srv.inject("server_error", protocol="runbase", kind="poll", count=2)
    assert drive.submit("runbase").status_code == 200  # wrong kind: not consumed
    task_id = drive.id_of(drive.submit("runapi").json())
    assert drive.poll("runapi", task_id).status_code == 200  # wrong protocol
    run_id = drive.id_of(drive.submit("runbase").json())
    assert [drive.poll("runbase", run_id).status_code for _ in range(3)] == [500, 500, 200]


@pytest.mark.parametrize("args", [
    {"fault": "meteor"}, {"fault": "truncated", "kind": "submit"},
    {"fault": "unknown_status", "kind": "submit"}, {"fault": "reset", "count": 0},
    {"fault": "reset", "protocol": "fal"}, {"fault": "server_error", "status": 418},
])
def test_bad_injections_are_refused(sim, args):
    with pytest.raises(ValueError):
        sim.inject(**args)


def test_rate_limit_rps_token_bucket(drive):
    drive.srv.rate_limit_rps = 2
    statuses = [drive.submit("runapi").status_code for _ in range(5)]
    assert statuses[:2] == [200, 200] and 429 in statuses  # a burst of 2, then 2 per second
    limited = drive.submit("runapi")
    assert limited.status_code == 429
    wait = limited.json()["retry_after"]
    assert 0 < wait <= 0.5 and limited.headers["retry-after"] == "1"
    time.sleep(wait + 0.01)  # the documented wait, not synchronisation
    assert drive.submit("runapi").status_code == 200
    drive.srv.rate_limit_rps = None
    assert all(drive.submit("runapi").status_code == 200 for _ in range(5))


def test_rate_limit_rps_is_per_protocol_shape(drive):
    drive.srv.rate_limit_rps = 1
    assert drive.submit("minimax").status_code == 200
    limited = drive.submit("minimax")
    assert limited.status_code == 429
    assert limited.json()["base_resp"]["status_code"] == 1002
