"""Retries and error mapping of the one HTTP client (unit level: httpx.MockTransport)."""

import asyncio

import httpx
import pytest

from hailuo_nb.errors import AuthenticationError, GatewayError, InsufficientCreditsError, RateLimitError
from hailuo_nb.gateway.client import GatewayClient
from hailuo_nb.gateway.config import resolve_provider
from hailuo_nb.gateway.providers.base import HttpCall
from hailuo_nb.gateway.retry import RequestBudget, RetryPolicy

KEY = "sk-unit-test-key-0123456789"
FAST = RetryPolicy(attempts=4, base=0.001, cap=0.01)
FAST_SUBMIT = RetryPolicy(attempts=4, base=0.001, cap=0.01, submit=True)
SUBMIT = HttpCall("submit", "POST", "/v1/video_generation", json={"model": "MiniMax-Hailuo-02"})
POLL = HttpCall("poll", "GET", "/v1/query/video_generation", params={"task_id": "1"})
OK = {"task_id": "7", "base_resp": {"status_code": 0, "status_msg": "success"}}


def run(replies, call, policy):
    """Send ``call`` through a MockTransport answering ``replies`` in turn; return (result, hits)."""
    hits = []

    def handler(request):
        hits.append(request)
        reply = replies[min(len(hits) - 1, len(replies) - 1)]
        if isinstance(reply, Exception):
            raise reply
        return reply

    async def go():
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            client = GatewayClient(resolve_provider("minimax"), http, RequestBudget(1000))
            return await client.send(call, policy)

    try:
        return asyncio.run(go()), hits
    except Exception as exc:  # noqa: BLE001 - returned for assertions
        return exc, hits


@pytest.fixture(autouse=True)
def key(monkeypatch):
    monkeypatch.setenv("MINIMAX_API_KEY", KEY)
    monkeypatch.setenv("MINIMAX_BASE_URL", "http://gw.test")


def test_authorization_header_and_path():
    result, hits = run([httpx.Response(200, json=OK)], SUBMIT, FAST_SUBMIT)
    assert result == OK
    assert hits[0].headers["Authorization"] == f"Bearer {KEY}"
    assert str(hits[0].url) == "http://gw.test/v1/video_generation"


def test_submit_429_is_retried_honouring_retry_after():
    replies = [httpx.Response(429, headers={"Retry-After": "0"}, json={"error": "slow down"})] * 2
    result, hits = run([*replies, httpx.Response(200, json=OK)], SUBMIT, FAST_SUBMIT)
    assert result == OK and len(hits) == 3


def test_submit_in_band_1002_is_retried():
    limited = httpx.Response(200, json={"task_id": "", "base_resp": {"status_code": 1002, "status_msg": "rpm"}})
    result, hits = run([limited, httpx.Response(200, json=OK)], SUBMIT, FAST_SUBMIT)
    assert result == OK and len(hits) == 2


@pytest.mark.parametrize("failure", [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("reset"),
                                     httpx.Response(500, json={"error": "boom"}),
                                     httpx.Response(200, content=b"{not json")])
def test_a_sent_submission_is_never_retried(failure):
    result, hits = run([failure, httpx.Response(200, json=OK)], SUBMIT, FAST_SUBMIT)
    assert isinstance(result, GatewayError) and len(hits) == 1


def test_submit_connection_refused_is_retried():
    result, hits = run([httpx.ConnectError("refused"), httpx.Response(200, json=OK)], SUBMIT, FAST_SUBMIT)
    assert result == OK and len(hits) == 2


@pytest.mark.parametrize("failure", [httpx.Response(503), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("x"),
                                     httpx.Response(200, content=b"<html>")])
def test_polls_are_retried(failure):
    result, hits = run([failure, failure, httpx.Response(200, json=OK)], POLL, FAST)
    assert result == OK and len(hits) == 3


def test_rate_limit_surfaces_after_the_attempts():
    result, hits = run([httpx.Response(429, headers={"Retry-After": "0"})], POLL, FAST)
    assert isinstance(result, RateLimitError) and len(hits) == FAST.attempts


@pytest.mark.parametrize("status, cls", [(401, AuthenticationError), (403, AuthenticationError),
                                         (402, InsufficientCreditsError), (400, GatewayError), (404, GatewayError)])
def test_http_errors_are_mapped_and_not_retried(status, cls):
    result, hits = run([httpx.Response(status, json={"message": "nope"})], POLL, FAST)
    assert type(result) is cls and result.status_code == status and len(hits) == 1


def test_an_echoed_key_never_reaches_the_exception():
    echo = httpx.Response(401, json={"error": {"message": f"invalid key {KEY} (Bearer {KEY})"}})
    result, _ = run([echo], POLL, FAST)
    assert KEY not in str(result) and KEY not in repr(result) and "***" in str(result)
