"""Errors say what happened: nothing sent, refused, or unknown; the gateway's message, code and request id.

Unit tests drive :class:`GatewayClient` through httpx.MockTransport; the end-to-end ones talk
HTTP to the simulator or to a scripted loopback gateway (stdlib http.server in a thread).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from backoff import quick_backoff

import hailuo_nb
from hailuo_nb.errors import (
    ContentPolicyError,
    ContentPolicyFailure,
    GatewayError,
    GatewayUnreachableError,
    GatewayValidationError,
    GenerationFailed,
    HailuoError,
    RateLimitError,
    ValidationError,
)
from hailuo_nb.gateway import session
from hailuo_nb.gateway.client import GatewayClient
from hailuo_nb.gateway.config import resolve_provider
from hailuo_nb.gateway.providers import minimax, runapi, runbase, runninghub
from hailuo_nb.gateway.providers.base import HttpCall
from hailuo_nb.gateway.retry import RequestBudget, RetryPolicy
from hailuo_nb.sim import SimServer

KEY = "sk-unit-test-key-0123456789"
FAST_SUBMIT = RetryPolicy(attempts=3, base=0.001, cap=0.01, submit=True)
SUBMIT = HttpCall("submit", "POST", "/v1/video_generation", json={"model": "MiniMax-Hailuo-02"})
RUNAPI_SUBMIT = HttpCall("submit", "POST", "/api/v1/hailuo/text_to_video", json={"model": "x"})
OK = {"task_id": "7", "base_resp": {"status_code": 0, "status_msg": "success"}}


def send(provider: str, replies: list[Any], call: HttpCall = SUBMIT,
         events: list[bool] | None = None) -> tuple[Any, int]:
    """Send ``call`` through a MockTransport answering ``replies`` in turn; (result or error, hits)."""
    hits = []

    def handler(request: httpx.Request) -> httpx.Response:
        hits.append(request)
        reply = replies[min(len(hits) - 1, len(replies) - 1)]
        if isinstance(reply, Exception):
            raise reply
        return reply

    async def go() -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            client = GatewayClient(resolve_provider(provider), http, RequestBudget(1000))
            return await client.send(call, FAST_SUBMIT, on_wire=None if events is None else events.append)

    try:
        return asyncio.run(go()), len(hits)
    except Exception as exc:  # noqa: BLE001 - returned for assertions
        return exc, len(hits)


@pytest.fixture
def keys(monkeypatch):
    for name in ("MINIMAX", "RUNAPI"):
        monkeypatch.setenv(f"{name}_API_KEY", KEY)
        monkeypatch.setenv(f"{name}_BASE_URL", "http://gw.test")


# -- (a) a refused connection: nothing was sent --------------------------------------------------

def test_a_refused_connection_says_nothing_was_sent(keys):
    events: list[bool] = []
    result, hits = send("minimax", [httpx.ConnectError("[Errno 111] Connection refused")], events=events)
    assert isinstance(result, GatewayUnreachableError) and hits == FAST_SUBMIT.attempts
    text = str(result)
    assert "could not connect to minimax at http://gw.test" in text and "nothing was sent" in text
    assert "outcome" not in text
    assert isinstance(result.__cause__, httpx.ConnectError)  # the cause chain is kept
    assert events == [True, False] * FAST_SUBMIT.attempts


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_after_a_refused_connection_the_same_generation_can_simply_be_retried(monkeypatch):
    monkeypatch.setenv("MINIMAX_API_KEY", KEY)
    monkeypatch.setenv("MINIMAX_BASE_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("HAILUO_POLL_INTERVAL", "0.05")
    with quick_backoff():  # the closed port is tried as often as ever, with shorter pauses
        gen = hailuo_nb.generate("a heron in the reeds", provider="minimax", reuse=True)
    assert gen.status == "failed" and isinstance(gen.error, GatewayUnreachableError)
    assert "nothing was sent" in str(gen.error) and "outcome is unknown" not in str(gen.error)
    assert session.journal().get(gen.id)["submit_state"] == "pending"
    with SimServer(job_seconds=0.1, api_key=KEY) as sim:
        monkeypatch.setenv("MINIMAX_BASE_URL", sim.env("minimax")["MINIMAX_BASE_URL"])
        again = hailuo_nb.generate("a heron in the reeds", provider="minimax", reuse=True)
        assert again.status == "succeeded", again.error


# -- (b) "sent" only on the wire ------------------------------------------------------------------

def test_on_wire_says_sent_per_attempt_and_not_sent_after_a_429(keys):
    events: list[bool] = []
    limited = httpx.Response(429, headers={"Retry-After": "0"}, json={"error": "slow down"})
    result, hits = send("minimax", [limited, httpx.Response(200, json=OK)], events=events)
    assert result == OK and hits == 2
    assert events == [True, False, True]  # sent, refused (nothing accepted), sent again


# -- (c) a refusal inside an HTTP 200 ------------------------------------------------------------

class Scripted:
    """A loopback gateway answering each POST with the next scripted (status, headers, body)."""

    def __init__(self, replies: list[tuple[int, dict[str, str], Any]]) -> None:
        self.replies = replies
        self.posts = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers, body = outer.replies[min(outer.posts, len(outer.replies) - 1)]
                outer.posts += 1
                data = json.dumps(body).encode()
                self.send_response(status)
                for key, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def scripted(monkeypatch) -> Iterator[Any]:
    started: list[Scripted] = []

    def start(*replies: tuple[int, dict[str, str], Any]) -> Scripted:
        gateway = Scripted(list(replies))
        started.append(gateway)
        monkeypatch.setenv("MINIMAX_API_KEY", KEY)
        monkeypatch.setenv("MINIMAX_BASE_URL", gateway.url)
        return gateway

    yield start
    for gateway in started:
        gateway.close()


def test_a_refusal_inside_http_200_is_a_rejection_with_the_gateways_message(scripted):
    refusal = {"task_id": "", "base_resp": {"status_code": 1033, "status_msg": "system error, mysql failed"}}
    gateway = scripted((200, {"Trace-Id": "trace-abc-123"}, refusal))
    gen = hailuo_nb.generate("a lighthouse at dusk", provider="minimax", reuse=True)
    assert gen.status == "failed" and gateway.posts == 1
    text = str(gen.error)
    assert "system error, mysql failed" in text and "code 1033" in text and "trace-abc-123" in text
    assert "outcome is unknown" not in text
    assert session.journal().get(gen.id)["submit_state"] == "rejected"
    assert not [r for r in hailuo_nb.history() if r.get("uncertain")]


def test_a_5xx_on_submit_stays_uncertain_but_shows_the_gateways_message(scripted):
    body = {"base_resp": {"status_code": 1000, "status_msg": "unknown error, please retry"}}
    scripted((500, {"Trace-Id": "trace-500"}, body))
    gen = hailuo_nb.generate("a lighthouse at dawn", provider="minimax")
    text = str(gen.error)
    assert "unknown error, please retry" in text and "code 1000" in text and "trace-500" in text
    assert "Internal Server Error" not in text
    assert "outcome is unknown" in text  # a 5xx may come from a proxy after the gateway accepted
    assert session.journal().get(gen.id)["submit_state"] == "unknown"


# -- (d) the gateway's own message, code and request id ------------------------------------------

V2_BODY = {"type": "error", "error": {"type": "bad_request_error", "http_code": "400",
                                      "message": "invalid params, content must include a non-empty text item (2013)"},
           "request_id": "021785aa"}


@pytest.mark.parametrize("reply, cls, message, code, request_id", [
    (httpx.Response(500, headers={"Trace-Id": "t-1"},
                    json={"base_resp": {"status_code": 1013, "status_msg": "internal service error"}}),
     GatewayError, "internal service error", "1013", "t-1"),
    (httpx.Response(401, headers={"Trace-Id": "t-2"},
                    json={"base_resp": {"status_code": 1004, "status_msg": "token not match group"}}),
     hailuo_nb.AuthenticationError, "token not match group", "1004", "t-2"),
    (httpx.Response(400, json=V2_BODY), GatewayValidationError, "invalid params", "2013", "021785aa"),
    (httpx.Response(422, json={"type": "error", "request_id": "r-9", "error": {
        "type": "unprocessable_entity_error", "message": "input new_sensitive (1026)", "http_code": "422"}}),
     ContentPolicyError, "input new_sensitive", "1026", "r-9"),
    (httpx.Response(429, headers={"Retry-After": "0", "Trace-Id": "t-3"}, json={"type": "error", "error": {
        "type": "rate_limit_error", "message": "rate limit exceeded (1002)", "http_code": "429"}}),
     RateLimitError, "rate limit exceeded", "1002", "t-3"),
])
def test_minimax_error_replies_keep_message_code_and_request_id(keys, reply, cls, message, code, request_id):
    result, _ = send("minimax", [reply])
    assert type(result) is cls, result
    assert message in result.message and result.code == code and result.request_id == request_id
    assert f"code {code}" in str(result) and request_id in str(result)


def test_an_in_band_error_carries_the_trace_id(keys):
    reply = httpx.Response(200, headers={"Trace-Id": "t-7"},
                           json={"task_id": "", "base_resp": {"status_code": 2049, "status_msg": "invalid api key"}})
    result, _ = send("minimax", [reply])
    assert isinstance(result, hailuo_nb.AuthenticationError) and result.request_id == "t-7"


# -- (f) RunAPI validation replies ----------------------------------------------------------------

@pytest.mark.parametrize("status", [400, 422])
def test_runapi_validation_replies_are_validation_errors(keys, status):
    reply = httpx.Response(status, headers={"x-request-id": "req-42"},
                           json={"error": {"message": "duration_seconds must be 6 or 10"}})
    result, hits = send("runapi", [reply], RUNAPI_SUBMIT)
    assert isinstance(result, GatewayValidationError) and isinstance(result, ValidationError) and hits == 1
    assert "duration_seconds must be 6 or 10" in str(result) and "req-42" in str(result)
    assert result.status_code == status and not isinstance(result, GatewayError)


def test_a_runapi_cancelled_task_fails_with_a_reason():
    for word in ("cancelled", "canceled", "CANCELLED"):
        state = runapi.parse_poll({"id": "t1", "status": word})
        assert state.status == "failed" and isinstance(state.error, GenerationFailed)
        assert "cancelled the task" in str(state.error)


@pytest.fixture(scope="module")
def sim_server() -> Iterator[SimServer]:
    # a job long enough that the first poll (50 ms) arrives before it ends, even on a loaded machine:
    # a policy fault on a poll only fails a task still running
    with SimServer(job_seconds=1.0, api_key=KEY) as srv:
        yield srv


def use(sim_server: SimServer, protocol: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sim_server.clear_faults()
    for name, value in sim_server.env(protocol).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HAILUO_POLL_INTERVAL", "0.05")


def test_a_runapi_task_cancelled_by_the_gateway_ends_failed_not_silently(sim_server, monkeypatch):
    use(sim_server, "runapi", monkeypatch)
    sim_server.inject("unknown_status", protocol="runapi", kind="poll", word="cancelled")
    gen = hailuo_nb.generate("a fox in the snow", model="hailuo-02-text-to-video-standard")
    assert gen.status == "failed" and isinstance(gen.error, GenerationFailed), (gen.status, gen.error)
    assert gen.task_id and "cancelled" in str(gen.error)


# -- (e) accepted, then refused by moderation ------------------------------------------------------

@pytest.mark.parametrize("protocol", ["minimax", "runapi", "runbase", "runninghub", "agentsflare"])
def test_a_task_refused_after_acceptance_is_a_generation_failed(sim_server, monkeypatch, protocol):
    use(sim_server, protocol, monkeypatch)
    model = "hailuo-02-text-to-video-pro"
    sim_server.inject("content_policy", protocol=protocol, kind="poll", count=-1)  # every poll of it
    try:
        gen = hailuo_nb.generate("a quiet harbour at night", model=model)
    finally:
        sim_server.clear_faults()
    assert gen.status == "failed" and gen.task_id, gen.error
    assert isinstance(gen.error, GenerationFailed) and isinstance(gen.error, ContentPolicyError), repr(gen.error)


@pytest.mark.parametrize("error", [
    minimax.parse_poll({"task_id": "1", "status": "Fail",
                        "base_resp": {"status_code": 1027, "status_msg": "output video sensitive"}}).error,
    runapi.parse_poll({"id": "t1", "status": "failed", "error": "NSFW content detected"}).error,
    runbase.parse_poll({"id": "r1", "status": "failed", "error": "blocked by the safety checker"}).error,
    runninghub.parse_poll({"taskId": "1", "status": "FAILED", "errorCode": "1505",
                           "errorMessage": "content review failed"}).error,
])
def test_every_accepted_then_refused_error_is_both(error):
    assert isinstance(error, ContentPolicyFailure)
    assert isinstance(error, GenerationFailed) and isinstance(error, ContentPolicyError)
    assert isinstance(error, HailuoError)
