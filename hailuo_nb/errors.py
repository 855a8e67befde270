"""The one error tree of hailuo_nb.

    HailuoError
    ├── ValidationError          bad input, raised before any request (also a ValueError)
    │   └── GatewayValidationError   the gateway refused the parameters (HTTP 400/422, MiniMax 2013)
    ├── BudgetExceededError      HAILUO_BUDGET_USD would be exceeded; nothing was sent
    ├── AuthenticationError      401, 403 auth; MiniMax 1004/2049
    ├── InsufficientCreditsError 402; MiniMax 1008
    ├── RateLimitError           429; MiniMax 1002/1039 (surfaces only after retries)
    ├── ContentPolicyError       a content filter refused: MiniMax 1026 on submit, other gateways' refusals
    │   └── ContentPolicyFailure     accepted, then refused by moderation (MiniMax 1027)
    ├── GenerationFailed         accepted, then failed remotely (every such task, moderation included)
    │   └── ContentPolicyFailure
    ├── GenerationTimeout        a wait's deadline passed (also a TimeoutError)
    ├── StorageError             a local folder (HAILUO_HOME, HAILUO_OUTPUT_DIR) cannot be written
    └── GatewayError             5xx, malformed replies, network failures, anything else
        └── GatewayUnreachableError  no connection could be made: nothing was sent, safe to retry

Every error carries the context a user needs to act: ``provider``, ``status_code``
(HTTP), ``code`` (the gateway's own code), ``request_id`` (the gateway's request or
trace id, for its support desk), ``task_id`` (once a gateway accepted the task, the id is
never lost), and for validation ``field``, ``value`` and ``allowed``.
Messages pass through :func:`hailuo_nb.gateway.secrets.redact`, so an API key echoed
back by a gateway never reaches a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "AuthenticationError",
    "BudgetExceededError",
    "ContentPolicyError",
    "ContentPolicyFailure",
    "GatewayError",
    "GatewayUnreachableError",
    "GatewayValidationError",
    "GenerationFailed",
    "GenerationTimeout",
    "HailuoError",
    "InsufficientCreditsError",
    "RateLimitError",
    "StorageError",
    "ValidationError",
]


class HailuoError(Exception):
    """Base class of every error hailuo_nb raises on purpose."""

    #: A short hint telling the user what to do about this kind of error.
    hint: str = ""

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        status_code: int | None = None,
        code: str | None = None,
        task_id: str | None = None,
        request_id: str | None = None,
    ) -> None:
        from hailuo_nb.gateway.secrets import redact

        self.message = redact(message)
        self.provider = provider
        self.status_code = status_code
        self.code = code
        self.task_id = task_id
        self.request_id = redact(request_id) if request_id else None
        super().__init__(self.message)

    def __str__(self) -> str:
        parts = [self.message]
        context = []
        if self.provider:
            context.append(f"provider={self.provider}")
        if self.status_code is not None:
            context.append(f"HTTP {self.status_code}")
        if self.code:
            context.append(f"code {self.code}")
        if self.task_id:
            context.append(f"task {self.task_id}")
        if self.request_id:
            context.append(f"request id {self.request_id}")
        if context:
            parts.append(f"({', '.join(context)})")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def with_task_id(self, task_id: str | None) -> HailuoError:
        """Attach the task id (kept if already set) and return self."""
        if task_id and not self.task_id:
            self.task_id = task_id
        return self

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly summary (journal, widgets)."""
        return {
            "type": type(self).__name__,
            "message": self.message,
            "hint": self.hint,
            "provider": self.provider,
            "status_code": self.status_code,
            "code": self.code,
            "task_id": self.task_id,
            "request_id": self.request_id,
        }


class ValidationError(HailuoError, ValueError):
    """A request parameter is not allowed; raised before any HTTP request."""

    hint = "Fix the named field; nothing was sent and nothing was charged."

    def __init__(
        self,
        field: str,
        value: Any,
        allowed: str | Iterable[Any],
        *,
        reason: str | None = None,
        provider: str | None = None,
    ) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed if isinstance(allowed, str) else ", ".join(map(str, allowed))
        shown = _short_repr(value)
        head = f"{field}={shown}: {reason}" if reason else f"{field}={shown} is not allowed"
        super().__init__(f"{head}; allowed: {self.allowed}", provider=provider)


class GatewayValidationError(ValidationError):
    """The gateway refused the request's parameters (HTTP 400/422; MiniMax 2013): its message says which."""

    hint = "The gateway's message names what it refused; nothing was generated or charged."

    def __init__(self, message: str, **kw: Any) -> None:
        self.field = "request"
        self.value = None
        self.allowed = "what the gateway accepts"
        HailuoError.__init__(self, message, **kw)


class BudgetExceededError(HailuoError):
    """The cost estimate would take the session over HAILUO_BUDGET_USD."""

    hint = "Raise HAILUO_BUDGET_USD, or unset it, to allow this generation."


class AuthenticationError(HailuoError):
    """The gateway refused the API key."""

    hint = "Check the API key variable for this provider (and that key and host are the same region)."


class InsufficientCreditsError(HailuoError):
    """The account has no balance left for this generation."""

    hint = "Top up the account on the provider's site, or switch provider."


class RateLimitError(HailuoError):
    """Too many requests, still refused after backing off."""

    hint = "Wait a minute and retry; fewer generations at once avoid this."

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)


class ContentPolicyError(HailuoError):
    """The prompt, an image or the generated video was refused by the content filter."""

    hint = "Rephrase the prompt or change the image; refused generations are usually not billed."


class GenerationFailed(HailuoError):
    """The gateway accepted the task, then reported that it failed."""

    hint = "The gateway's message says why; failed generations are usually not billed."


class ContentPolicyFailure(GenerationFailed, ContentPolicyError):
    """Accepted, then refused by moderation: both a GenerationFailed and a ContentPolicyError."""

    hint = ContentPolicyError.hint


class GenerationTimeout(HailuoError, TimeoutError):
    """A wait's deadline passed; the task may still finish (resume it by task id)."""

    hint = "The task goes on remotely: `%hailuo resume TASK_ID` (or hailuo_nb.resume) picks it up."


class StorageError(HailuoError):
    """A local folder cannot be written (full, read-only, a file in its place); ``folder`` names it."""

    hint = "Free space there, or point the named setting at a writable folder; nothing paid for is lost."

    def __init__(self, message: str, *, folder: Path | None = None, **kw: Any) -> None:
        self.folder = folder
        super().__init__(message, **kw)


class GatewayError(HailuoError):
    """Server errors, malformed replies, network failures."""

    hint = "Usually temporary; the task id (if any) is in the journal, so nothing is lost."


class GatewayUnreachableError(GatewayError):
    """No connection could be made (refused, DNS, TLS, connect timeout): nothing was sent."""

    hint = "Nothing was sent, so nothing can be charged: check the network and the base URL, then retry."


def _short_repr(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
