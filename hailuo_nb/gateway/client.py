"""The one place that talks HTTP to a gateway API: auth, timeouts, retries, error mapping."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Generator
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar, cast

import httpx

from hailuo_nb import __version__
from hailuo_nb.errors import (
    AuthenticationError,
    ContentPolicyError,
    GatewayError,
    GatewayUnreachableError,
    GatewayValidationError,
    HailuoError,
    InsufficientCreditsError,
    RateLimitError,
)
from hailuo_nb.gateway.config import Endpoint
from hailuo_nb.gateway.providers import reader
from hailuo_nb.gateway.providers.base import HttpCall
from hailuo_nb.gateway.retry import POLL, SUBMIT, RequestBudget, RetryPolicy

log = logging.getLogger("hailuo_nb")
T = TypeVar("T")

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
USER_AGENT = f"hailuo-nb/{__version__}"


def new_http_client(**kw: Any) -> httpx.AsyncClient:
    """An httpx client with our timeouts and User-Agent and no credentials in it."""
    kw.setdefault("timeout", TIMEOUT)
    return httpx.AsyncClient(headers={"User-Agent": USER_AGENT}, **kw)


class GatewayClient:
    """Sends a provider's :class:`HttpCall` s and returns their JSON, or raises a HailuoError."""

    def __init__(self, endpoint: Endpoint, http: httpx.AsyncClient, budget: RequestBudget) -> None:
        self.endpoint = endpoint
        self.http = http
        self.budget = budget

    def __repr__(self) -> str:
        return f"GatewayClient({self.endpoint.name!r})"

    async def send(self, call: HttpCall, policy: RetryPolicy | None = None, *,
                   on_wire: Callable[[bool], None] | None = None) -> Any:
        """Send ``call`` with retries as ``policy`` allows (submissions: SUBMIT rules).

        ``on_wire(True)`` runs right before each attempt leaves (after its pacing slot, so
        a journal can mark a submission "sent" only when it may really reach the gateway);
        ``on_wire(False)`` when an attempt is known to have left nothing there: it could not
        connect, or the gateway answered "too many requests".
        """
        policy = policy or (SUBMIT if call.kind == "submit" else POLL)
        attempt = 0
        while True:
            await self.budget.acquire(urgent=call.kind == "submit")
            if on_wire is not None:
                on_wire(True)
            body, error, sent = await self._attempt(call)
            if error is None:
                return body
            if on_wire is not None and (not sent or isinstance(error, RateLimitError)):
                on_wire(False)
            attempt += 1
            if attempt >= policy.attempts or not policy.retryable(error, sent=sent):
                raise error from error.__cause__
            retry_after = getattr(error, "retry_after", None)
            if isinstance(error, RateLimitError):
                self.budget.pause(policy.delay(attempt - 1, retry_after))
            wait = policy.delay(attempt - 1, retry_after)
            log.info("hailuo_nb: %s %s failed (%s); retry %d in %.1fs",
                     self.endpoint.name, call.kind, error, attempt, wait)
            await asyncio.sleep(wait)

    async def _attempt(self, call: HttpCall) -> tuple[Any, HailuoError | None, bool]:
        """One try: (reply, None, True), or (None, error, whether the request may have been received)."""
        name = self.endpoint.name
        error: HailuoError
        try:
            response = await self._request(call)
            return self._parse(call, response), None, True
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # no connection was made: not a byte of the request left this machine
            error = GatewayUnreachableError(
                f"could not connect to {name} at {self.endpoint.base_url} ({_describe(exc)});"
                " nothing was sent, it is safe to retry", provider=name)
            error.__cause__ = exc
            return None, error, False
        except httpx.TimeoutException as exc:
            error = GatewayError(f"{call.kind} request timed out ({_describe(exc)})", provider=name)
            error.__cause__ = exc
        except httpx.TransportError as exc:
            error = GatewayError(f"{call.kind} request failed: {_describe(exc)}", provider=name)
            error.__cause__ = exc
        except HailuoError as exc:
            error = exc
        return None, error, True

    async def _request(self, call: HttpCall) -> httpx.Response:
        url = call.url or self.endpoint.base_url + call.path
        headers: dict[str, str] = {}
        if _same_origin(url, self.endpoint.base_url):  # never the key to a storage host
            headers["Authorization"] = f"Bearer {self.endpoint.api_key()}"
        if call.json is not None:
            headers["Content-Type"] = "application/json"
        if call.idempotency_key:
            headers["Idempotency-Key"] = call.idempotency_key
        headers.update(call.headers or {})
        body = call.content if call.content is not None else (
            json.dumps(call.json).encode() if call.json is not None else None)
        return await self.http.request(
            call.method,
            url,
            params=dict(call.params) if call.params else None,
            content=body,
            files=dict(call.files) if call.files else None,
            headers=headers,
            timeout=TIMEOUT,
        )

    async def run_flow(self, flow: Generator[HttpCall, Any, T]) -> T:
        """Drive a multi-step exchange: send each call the generator yields, hand it the reply."""
        reply: Any = None
        try:
            while True:
                call = flow.send(reply)
                reply = await self.send(call)
        except StopIteration as done:
            return cast(T, done.value)

    def _parse(self, call: HttpCall, response: httpx.Response) -> Any:
        body = _json_or_none(response)
        error = http_error(response, body, self.endpoint.name, kind=call.kind)
        if error is not None:
            raise error
        if call.content is not None and body is None:
            return None  # a raw upload (a storage PUT) answers with no JSON
        request_id = reader.find_request_id(response.headers, body)
        if body is None:
            raise GatewayError(f"malformed JSON in the {call.kind} reply", provider=self.endpoint.name,
                               status_code=response.status_code, request_id=request_id)
        in_band = self.endpoint.protocol.check_body(body)
        if in_band is not None:
            in_band.status_code = response.status_code
            in_band.request_id = in_band.request_id or request_id
            raise in_band
        return body


def _same_origin(url: str, base_url: str) -> bool:
    a, b = httpx.URL(url), httpx.URL(base_url)
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


def _describe(exc: Exception) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return None


#: Kinds of call whose body is the user's parameters: a 400/422 there is a validation error.
_PARAMETER_KINDS = ("submit", "upload", "enhance")


def http_error(response: httpx.Response, body: Any, provider: str,
               kind: str | None = None) -> HailuoError | None:
    """Map an HTTP error status to our tree (docs/design.md §4); None for 2xx.

    The error carries the gateway's own message and code (MiniMax ``base_resp``, v2
    ``error.message (2013)``, …) and its request / trace id when the reply has one.
    """
    status = response.status_code
    if status < 400:
        return None
    found, code = reader.find_error(body)
    message = found or response.reason_phrase or f"HTTP {status}"
    kw: dict[str, Any] = {"provider": provider, "status_code": status, "code": code,
                          "request_id": reader.find_request_id(response.headers, body)}
    if status == 429:
        return RateLimitError(message, retry_after=retry_after(response, body), **kw)
    if status == 402:
        return InsufficientCreditsError(message, **kw)
    if status == 403 and "credit" in message.lower():
        return InsufficientCreditsError(message, **kw)
    if status in (400, 403, 422, 451) and (reader.is_policy_message(message) or code in _POLICY_CODES):
        return ContentPolicyError(message, **kw)
    if status in (401, 403):
        return AuthenticationError(message, **kw)
    if status in (400, 422) and kind in _PARAMETER_KINDS:
        return GatewayValidationError(message, **kw)
    return GatewayError(message, **kw)


#: MiniMax's "sensitive content" codes, also carried by v2 HTTP 422 replies
_POLICY_CODES = ("1026", "1027")


def retry_after(response: httpx.Response, body: Any = None) -> float | None:
    """Seconds from a Retry-After header (seconds or HTTP date), or a JSON retry_after."""
    value = response.headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                import time

                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError):
                pass
    number = reader.find_number(body, "retry_after", "retryAfter")
    return number
