"""A tolerant reader for gateway replies (docs/protocols.md §10).

Two gateways publish no poll shape and the others disagree with themselves, so ids,
statuses, video URLs and error messages are looked for in every documented place.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from hailuo_nb.errors import ContentPolicyFailure, GenerationFailed
from hailuo_nb.gateway.task import CANCELLED, FAILED, QUEUED, RUNNING, SUCCEEDED

log = logging.getLogger("hailuo_nb")

#: Every lifecycle word any of the five gateways uses, lower-case (docs/protocols.md §10).
STATUS_WORDS: dict[str, str] = {
    # MiniMax
    "preparing": QUEUED,
    "queueing": QUEUED,
    "processing": RUNNING,
    "success": SUCCEEDED,
    "fail": FAILED,
    "failed": FAILED,
    # RunAPI
    "pending": QUEUED,
    "completed": SUCCEEDED,
    # Runbase (and Replicate-like words)
    "queued": QUEUED,
    "starting": QUEUED,
    "running": RUNNING,
    "succeeded": SUCCEEDED,
    "canceled": CANCELLED,
    "cancelled": CANCELLED,
    # RunningHub
    "create": QUEUED,
    "created": QUEUED,
    "cancel": CANCELLED,
    # Agentsflare / BigModel
    "in_progress": RUNNING,
    "in_queue": QUEUED,
    "error": FAILED,
    "expired": FAILED,
}

_ID_KEYS = ("task_id", "taskId", "id", "run_id", "runId", "request_id", "requestId")
_NESTS = ("data", "task", "run", "result", "output", "file")
_warned_words: set[str] = set()


def unwrap(body: Any) -> list[Mapping[str, Any]]:
    """``body`` and the objects nested under data/task/… (the places fields may be)."""
    found: list[Mapping[str, Any]] = []
    queue = [body]
    while queue:
        item = queue.pop(0)
        if isinstance(item, Mapping):
            found.append(item)
            queue.extend(item[k] for k in _NESTS if isinstance(item.get(k), Mapping))
    return found


def find_task_id(body: Any) -> str | None:
    """The task id wherever it is, as a string (numbers are kept exact)."""
    for obj in unwrap(body):
        for key in _ID_KEYS:
            value = obj.get(key)
            if isinstance(value, bool):
                continue
            if isinstance(value, (str, int)) and str(value).strip():
                return str(value).strip()
    return None


def map_status(raw: Any, extra: Mapping[str, str] | None = None) -> str:
    """A provider status word on the lifecycle; unknown words keep the task running."""
    word = str(raw or "").strip().lower()
    if extra and word in extra:
        return extra[word]
    if word in STATUS_WORDS:
        return STATUS_WORDS[word]
    if word not in _warned_words:
        _warned_words.add(word)
        log.warning("hailuo_nb: unknown status %r from the gateway; still waiting", raw)
    return RUNNING


def find_status(body: Any, keys: Iterable[str] = ("status", "task_status", "state")) -> Any:
    """The raw status word (first of ``keys``) anywhere in the reply."""
    for obj in unwrap(body):
        for key in keys:
            if isinstance(obj.get(key), str):
                return obj[key]
    return None


def find_video_url(body: Any) -> str | None:
    """The first video URL in any documented location, preferring mp4 results."""
    for obj in unwrap(body):
        url = _url_in(obj)
        if url:
            return url
    return None


def _url_in(obj: Mapping[str, Any]) -> str | None:
    for key in ("videos", "results", "video_result", "urls"):
        url = _first_url(obj.get(key))
        if url:
            return url
    output = obj.get("output")
    if isinstance(output, str) and _is_url(output):
        return output
    if isinstance(output, list):
        url = _first_url(output)
        if url:
            return url
    if isinstance(output, Mapping):
        url = _first_url(output.get("urls")) or _url_in(output)
        if url:
            return url
    video = obj.get("video")
    if isinstance(video, Mapping) and _is_url(video.get("url")):
        return str(video["url"])
    for key in ("video_url", "outputUrl", "url", "download_url"):
        if _is_url(obj.get(key)):
            return str(obj[key])
    return None


def _first_url(items: Any) -> str | None:
    if isinstance(items, str):
        return items if _is_url(items) else None
    if not isinstance(items, list):
        return None
    candidates: list[tuple[int, str]] = []
    for item in items:
        if isinstance(item, str) and _is_url(item):
            candidates.append((1, item))
        elif isinstance(item, Mapping):
            url = item.get("url") or item.get("outputUrl") or item.get("video_url")
            if _is_url(url):
                kind = str(item.get("outputType") or item.get("type") or "").lower()
                candidates.append((0 if kind in ("mp4", "video") else 1, str(url)))
    candidates.sort(key=lambda c: c[0])
    return candidates[0][1] if candidates else None


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def find_error_message(body: Any) -> str | None:
    """A human message from an error body: error / error.message / message / detail / msg."""
    if isinstance(body, str):
        return body.strip()[:500] or None
    for obj in unwrap(body):
        error = obj.get("error")
        if isinstance(error, Mapping):
            msg = error.get("message") or error.get("msg") or error.get("detail")
            if msg:
                return str(msg)
        elif isinstance(error, str) and error:
            return error
        errors = obj.get("errors")
        if isinstance(errors, list) and errors:
            first = errors[0]
            return str(first.get("message", first)) if isinstance(first, Mapping) else str(first)
        for key in ("errorMessage", "message", "detail", "msg", "failedReason", "status_msg"):
            value = obj.get(key)
            if value and not isinstance(value, (Mapping, list)):
                return str(value)
    return None


#: "… invalid params (2013)": MiniMax v2 keeps its numeric code in the message's trailing parentheses
_TRAILING_CODE = re.compile(r"\((\d{3,6})\)\s*$")
_CODE_KEYS = ("status_code", "code", "error_code", "errorCode")
_REQUEST_ID_HEADERS = ("trace-id", "x-request-id", "x-trace-id", "request-id", "x-amzn-requestid")
_REQUEST_ID_KEYS = ("request_id", "requestId", "trace_id", "traceId")


def find_error(body: Any) -> tuple[str | None, str | None]:
    """The gateway's own (message, code) of an error reply, wherever its dialect puts them.

    MiniMax v1 ``base_resp.status_msg``/``status_code``; MiniMax v2 ``error.message`` with
    the code in trailing parentheses; ``error.code``; then :func:`find_error_message`.
    """
    message, code = None, None
    if isinstance(body, Mapping):
        base = body.get("base_resp")
        if isinstance(base, Mapping) and _code_of(base.get("status_code")) not in (None, "0"):
            message, code = _text(base.get("status_msg")), _code_of(base.get("status_code"))
        error = body.get("error")
        if message is None and isinstance(error, Mapping):
            message = _text(error.get("message") or error.get("msg") or error.get("detail"))
            code = _first_code(error)
        if code is None:
            code = _first_code(body)
    message = message or find_error_message(body)
    if code is None and message:
        found = _TRAILING_CODE.search(message)
        code = found.group(1) if found else None
    return message, code


def find_request_id(headers: Mapping[str, str], body: Any = None) -> str | None:
    """The gateway's request / trace id for its support desk (``Trace-Id``, ``x-request-id``, body)."""
    for name in _REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return str(value)[:200]
    for obj in unwrap(body):
        for key in _REQUEST_ID_KEYS:
            value = obj.get(key)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
                return str(value)[:200]
    return None


def _first_code(obj: Mapping[str, Any]) -> str | None:
    for key in _CODE_KEYS:
        code = _code_of(obj.get(key))
        if code not in (None, "0"):
            return code
    return None


def _code_of(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        return None
    return str(value).strip()


def _text(value: Any) -> str | None:
    return str(value) if value and not isinstance(value, (Mapping, list)) else None


_POLICY_WORDS = ("content policy", "policy violation", "sensitive", "nsfw", "moderation", "unsafe",
                 "safety", "inappropriate", "prohibited", "real person", "real-person")


def is_policy_message(message: str | None) -> bool:
    """Whether a gateway's message says a content filter refused the input or output."""
    text = (message or "").lower()
    return any(word in text for word in _POLICY_WORDS)


def failure(message: str, provider: str, code: str | None = None, *,
            policy: bool = False) -> GenerationFailed:
    """The error of an accepted task that failed: a GenerationFailed, a ContentPolicyFailure on moderation."""
    cls = ContentPolicyFailure if policy or is_policy_message(message) else GenerationFailed
    return cls(message, provider=provider, code=code)


def find_number(body: Any, *keys: str) -> float | None:
    """The first numeric value under any of ``keys`` (also inside ``usage``)."""
    for obj in unwrap(body):
        for scope in (obj, obj.get("usage")):
            if isinstance(scope, Mapping):
                for key in keys:
                    value = scope.get(key)
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        return float(value)
    return None


def strip_suffix(url: str, *suffixes: str) -> str:
    """``url`` without a trailing slash or any of ``suffixes`` (users paste either form)."""
    url = url.rstrip("/")
    for suffix in suffixes:
        if url.endswith(suffix):
            return url[: -len(suffix)].rstrip("/")
    return url
