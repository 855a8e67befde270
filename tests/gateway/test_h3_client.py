"""Cancel, reconcile, enhance and uploads through the real GatewayClient (httpx.MockTransport)."""

import asyncio
import json
from types import SimpleNamespace

import httpx
import pytest

import hailuo_nb
from hailuo_nb.errors import ValidationError
from hailuo_nb.gateway import remote
from hailuo_nb.gateway.client import GatewayClient
from hailuo_nb.gateway.config import resolve_provider
from hailuo_nb.gateway.enhance import expand
from hailuo_nb.gateway.providers import runapi
from hailuo_nb.gateway.providers.base import HttpCall, PreparedRequest
from hailuo_nb.gateway.request import build_request
from hailuo_nb.gateway.retry import RequestBudget
from hailuo_nb.gateway.task import QUEUED, RUNNING, TaskRef

KEY = "sk-unit-test-key-0123456789"


@pytest.fixture(autouse=True)
def keys(monkeypatch):
    for name in ("MINIMAX", "RUNAPI"):
        monkeypatch.setenv(f"{name}_API_KEY", KEY)
        monkeypatch.setenv(f"{name}_BASE_URL", "http://gw.test")
    monkeypatch.setenv("HAILUO_POLL_INTERVAL", "0.01")


def with_client(provider, replies, work):
    """Run ``work(client)`` against a MockTransport answering ``replies(request)``; return (result, hits)."""
    hits = []

    def handler(request):
        hits.append(request)
        return replies(request)

    async def go():
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            return await work(GatewayClient(resolve_provider(provider), http, RequestBudget(1000)))

    return asyncio.run(go()), hits


def v2_task(id, status, **extra):
    return {"id": id, "model": "MiniMax-H3", "status": status, "created_at": 1761000002, "resolution": "768P",
            "duration": 6, "ratio": "16:9", "task_type": "generation", "usage": {}, **extra}


# -- cancel ----------------------------------------------------------------------------------------
REFUSED = httpx.Response(400, json={"type": "error", "error": {
    "type": "bad_request_error", "message": "task is running and cannot be cancelled (2013)"}})


@pytest.mark.parametrize("route, status, reply, deletes, note", [
    ("v2", QUEUED, httpx.Response(200, json={"task_id": "42", "action": "cancelled", "status": "cancelled"}),
     1, remote.CANCELLED_FREE),
    ("v2", QUEUED, httpx.Response(200, json={"task_id": "42", "action": "cancel", "status": "cancel"}),
     1, remote.CANCELLED_FREE),
    ("v2", QUEUED, REFUSED, 1, "the gateway refused the cancel: task is running"),
    ("v2", RUNNING, None, 0, remote.RUNNING),  # a running task is never sent a DELETE
    (None, QUEUED, None, 0, remote.NO_CANCEL_CALL),  # a v1 task: no cancel call
])
def test_cancel(route, status, reply, deletes, note):
    gen = SimpleNamespace(task_id="42", route=route, status=status)
    result, hits = with_client("minimax", lambda r: reply, lambda c: remote.cancel_remote(c, gen))
    assert note in result
    assert [(h.method, h.url.path) for h in hits] == [("DELETE", "/v2/video_generation/42")] * deletes


def test_runapi_has_no_cancel():
    gen = SimpleNamespace(task_id="t1", route="minimax_h3/text_to_video", status=QUEUED)
    result, hits = with_client("runapi", lambda r: None, lambda c: remote.cancel_remote(c, gen))
    assert result == remote.NO_CANCEL_CALL and hits == []


# -- reconcile a lost submit reply ------------------------------------------------------------------
class Journal:
    def __init__(self, known=()):
        self.known = set(known)

    def by_task_id(self, task_id):
        return {"task_id": task_id} if task_id in self.known else None


def find(listed, journal=None, provider="minimax"):
    request = build_request("a fox runs", model="hailuo-h3-text-to-video", provider=provider, ratio="16:9")
    prepared = PreparedRequest(request, "gen-1")
    pauses = []

    async def pause():
        pauses.append(1)
        return False

    def reply(request):
        return httpx.Response(200, json={"items": listed, "total": len(listed)})

    result, hits = with_client(provider, reply, lambda c: remote.find_submitted(
        c, journal or Journal(), prepared, 1761000000.0, pause))
    return result, hits, pauses


def test_a_unique_match_is_adopted_at_the_first_look():
    result, hits, pauses = find([v2_task("a", "queued"), v2_task("old", "succeeded", created_at=1760000000)])
    assert result == TaskRef("a", route="v2") and len(hits) == 1 and pauses == []
    assert hits[0].url.params["filter.model"] == "MiniMax-H3" and hits[0].url.path == "/v2/query/video_generation"


def test_no_match_looks_twice_and_says_the_list_was_checked():
    result, hits, pauses = find([])
    assert len(hits) == 2 and pauses == [1]
    assert result == " (its task list was checked twice and shows no task matching this request)"


def test_several_matches_stay_uncertain():
    result, hits, _ = find([v2_task("a", "queued"), v2_task("b", "running")])
    assert "2 tasks match this request (a, b)" in result and len(hits) == 1


def test_tasks_of_other_generations_are_skipped():
    result, _, _ = find([v2_task("a", "queued"), v2_task("b", "queued")], Journal(known={"a"}))
    assert result == TaskRef("b", route="v2")


def test_no_list_no_lookup():
    result, hits, _ = find([], provider="runapi")
    assert result == "" and hits == []


# -- enhance -----------------------------------------------------------------------------------------
def test_enhance_creates_polls_and_returns_the_prompt():
    replies = iter([
        httpx.Response(200, json={"task_id": "ir1"}),
        httpx.Response(200, json={"task": v2_task("ir1", "running", task_type="h3_context_ir")}),
        httpx.Response(200, json={"task": v2_task("ir1", "succeeded", task_type="h3_context_ir",
                                                  content={"prompt": "A red fox bounds <...>"})}),
    ])
    request = build_request("a fox", model="hailuo-h3-text-to-video", provider="minimax", ratio="16:9",
                            duration=8)
    text, hits = with_client("minimax", lambda r: next(replies), lambda c: expand(c, request, 5.0))
    assert text == "A red fox bounds <...>"
    assert [(h.method, h.url.path) for h in hits] == [("POST", "/v2/h3_context_ir"),
                                                       ("GET", "/v2/query/video_generation/ir1"),
                                                       ("GET", "/v2/query/video_generation/ir1")]
    assert json.loads(hits[0].content) == {"model": "MiniMax-H3", "duration": 8, "ratio": "16:9",
                                           "content": [{"type": "text", "text": "a fox"}]}


@pytest.mark.parametrize("provider", ["runapi", "runninghub"])
def test_enhance_elsewhere_names_who_can(provider):
    with pytest.raises(ValidationError, match="allowed: minimax, sim") as info:
        hailuo_nb.enhance("a fox", provider=provider, ratio="16:9")
    assert info.value.field == "provider"


def test_enhance_is_an_h3_feature():
    with pytest.raises(ValidationError, match="H3 feature"):
        hailuo_nb.enhance("a fox", model="hailuo-02-text-to-video-pro", provider="minimax")


# -- uploads: the PUT of a direct upload ---------------------------------------------------------------
FILE = {"file_name": "c.mp4", "url": "https://files.runapi.test/c.mp4"}


@pytest.mark.parametrize("upload_url, authorized", [
    ("https://storage.test/bucket/c?sig=1", False),  # a storage host never sees the key
    ("http://gw.test/api/v1/files/blob/c", True),
])
def test_direct_upload_through_the_client(upload_url, authorized):
    data = b"\x00\x01" * (runapi.DIRECT_UPLOAD_OVER // 2 + 1)
    ticket = {"upload_url": upload_url, "signed_id": "sid", "headers": {"Content-Type": "video/mp4"}}

    def reply(request):
        if request.url.path.endswith("/prepare"):
            return httpx.Response(200, json=ticket)
        if request.method == "PUT":
            return httpx.Response(200)  # storage answers with no JSON
        return httpx.Response(200, json=FILE)

    url, hits = with_client("runapi", reply, lambda c: c.run_flow(runapi.upload_flow(data, "video/mp4", "c.mp4")))
    assert url == FILE["url"]
    put = hits[1]
    assert (put.method, str(put.url), put.content == data) == ("PUT", upload_url, True)
    assert put.headers["Content-Type"] == "video/mp4"
    assert ("Authorization" in put.headers) is authorized
    assert all(h.headers["Authorization"] == f"Bearer {KEY}" for h in (hits[0], hits[2]))


def test_raw_put_is_sent_as_given():
    call = HttpCall("upload", "PUT", "", url="https://s.test/x", content=b"abc", headers={"X-A": "1"})
    result, hits = with_client("runapi", lambda r: httpx.Response(204), lambda c: c.send(call))
    assert result is None and hits[0].content == b"abc" and hits[0].headers["X-A"] == "1"
