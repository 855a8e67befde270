"""The one place that talks HTTP to a gateway API: auth, timeouts, retries, error mapping."""

from __future__ import annotations

import asyncio
import json
import logging
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from hailuo_nb import __version__
from hailuo_nb.errors import (
    AuthenticationError,
    ContentPolicyError,
    GatewayError,
    HailuoError,
    InsufficientCreditsError,
    RateLimitError,
)
from hailuo_nb.gateway.config import Endpoint
from hailuo_nb.gateway.providers import reader
from hailuo_nb.gateway.providers.base import HttpCall
from hailuo_nb.gateway.retry import POLL, SUBMIT, RequestBudget, RetryPolicy

log = logging.getLogger("hailuo_nb")

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

    async def send(self, call: HttpCall, policy: RetryPolicy | None = None) -> Any:
        """Send ``call`` with retries as ``policy`` allows (submissions: SUBMIT rules)."""
        policy = policy or (SUBMIT if call.kind == "submit" else POLL)
        attempt = 0
        while True:
            sent = False
            try:
                await self.budget.acquire(urgent=call.kind == "submit")
                sent = True  # from here on, the gateway may have received the request
                response = await self._request(call)
                return self._parse(call, response)
            except httpx.ConnectError as exc:  # refused before anything was sent
                name = self.endpoint.name
                reason = f"cannot connect to {name}: {type(exc).__name__}"
                error: HailuoError = GatewayError(reason, provider=name)
                sent = False
            except httpx.TimeoutException as exc:
                error = GatewayError(f"{call.kind} request timed out ({type(exc).__name__})",
                                     provider=self.endpoint.name)
            except httpx.TransportError as exc:
                error = GatewayError(f"{call.kind} request failed: {type(exc).__name__}",
                                     provider=self.endpoint.name)
            except HailuoError as exc:
                error = exc
            attempt += 1
            if attempt >= policy.attempts or not policy.retryable(error, sent=sent):
                raise error
            retry_after = getattr(error, "retry_after", None)
            if isinstance(error, RateLimitError):
                self.budget.pause(policy.delay(attempt - 1, retry_after))
            wait = policy.delay(attempt - 1, retry_after)
            log.info("hailuo_nb: %s %s failed (%s); retry %d in %.1fs",
                     self.endpoint.name, call.kind, error, attempt, wait)
            await asyncio.sleep(wait)

    async def _request(self, call: HttpCall) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.endpoint.api_key()}"}
        if call.json is not None:
            headers["Content-Type"] = "application/json"
        if call.idempotency_key:
            headers["Idempotency-Key"] = call.idempotency_key
        return await self.http.request(
            call.method,
            self.endpoint.base_url + call.path,
            params=dict(call.params) if call.params else None,
            content=json.dumps(call.json).encode() if call.json is not None else None,
            files=dict(call.files) if call.files else None,
            headers=headers,
            timeout=TIMEOUT,
        )

    def _parse(self, call: HttpCall, response: httpx.Response) -> Any:
        body = _json_or_none(response)
        error = http_error(response, body, self.endpoint.name)
        if error is not None:
            raise error
        if body is None:
            raise GatewayError(f"malformed JSON in the {call.kind} reply", provider=self.endpoint.name,
                               status_code=response.status_code)
        in_band = self.endpoint.protocol.check_body(body)
        if in_band is not None:
            in_band.status_code = response.status_code
            raise in_band
        return body


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return None


def http_error(response: httpx.Response, body: Any, provider: str) -> HailuoError | None:
    """Map an HTTP error status to our tree (DESIGN §4); None for 2xx."""
    status = response.status_code
    if status < 400:
        return None
    message = reader.find_error_message(body) or response.reason_phrase or f"HTTP {status}"
    kw: dict[str, Any] = {"provider": provider, "status_code": status}
    if status == 429:
        return RateLimitError(message, retry_after=retry_after(response, body), **kw)
    if status == 402:
        return InsufficientCreditsError(message, **kw)
    if status == 403 and "credit" in message.lower():
        return InsufficientCreditsError(message, **kw)
    if status in (400, 403, 422, 451) and reader.is_policy_message(message):
        return ContentPolicyError(message, **kw)
    if status in (401, 403):
        return AuthenticationError(message, **kw)
    return GatewayError(message, **kw)


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
