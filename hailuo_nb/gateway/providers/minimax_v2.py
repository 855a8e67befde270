"""MiniMax's v2 video API (docs/protocols.md §11.1): H3 and H3-Max, used by ``minimax.py``.

Beside v1, not instead of it: v2 creates with a ``content`` list, queries by path
(``{"task": …}``), reports errors with real HTTP statuses (the client maps them; the
MiniMax code sits in the message's trailing parentheses), and adds a remote cancel, a
task list (to find a task whose submit reply was lost) and Context-IR prompt expansion.
Tasks it creates carry ``TaskRef.route == "v2"``, journaled, so a resume polls v2 again.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from hailuo_nb.errors import GatewayError, GenerationFailed, HailuoError
from hailuo_nb.gateway.catalog import ADAPTIVE
from hailuo_nb.gateway.pricing import PerSecond
from hailuo_nb.gateway.providers import reader
from hailuo_nb.gateway.providers.base import HttpCall, PreparedRequest
from hailuo_nb.gateway.task import CANCELLED, FAILED, QUEUED, RUNNING, SUCCEEDED, TaskRef, TaskState

NAME = "minimax"
ROUTE = "v2"
FAMILIES = ("h3", "h3-max")
#: MiniMax answers queries only for tasks created in the last 7 days (§11.1, [MM2-QUERY])
QUERY_WINDOW = 7 * 86400.0
#: a task listed this long before our submission was sent may still be ours (clock skew)
CLOCK_SKEW = 10.0
LIST_PAGE_SIZE = 50

_STATUSES = {"queued": QUEUED, "running": RUNNING, "succeeded": SUCCEEDED, "failed": FAILED,
             "cancelled": CANCELLED, "canceled": CANCELLED, "expired": FAILED}
_MEDIA_TYPES = {"first_frame": "image_url", "last_frame": "image_url", "reference_image": "image_url",
                "reference_video": "video_url", "reference_audio": "audio_url", "base_video": "video_url"}
_POLICY_CODES = ("1026", "1027")
EXPIRED_MESSAGE = "expired at the gateway (MiniMax keeps tasks queryable for 7 days)"


def uses_v2(req: PreparedRequest) -> bool:
    return req.model.family in FAMILIES


# -- create ------------------------------------------------------------------------------
def content(req: PreparedRequest) -> list[dict[str, Any]]:
    """The ``content`` list: exactly one text item, then every medium with its role."""
    items: list[dict[str, Any]] = [{"type": "text", "text": req.request.prompt}]
    for medium in req.media:
        kind = _MEDIA_TYPES[medium.role]
        items.append({"type": kind, kind: {"url": medium.url}, "role": medium.role})
    return items


def _ratio(req: PreparedRequest) -> str | None:
    """Only where it applies: text (concrete, required) and references; frames decide their own shape."""
    ratio = req.request.ratio
    if ratio is None or req.first_frame or req.last_frame:
        return None
    if not req.request.references and ratio == ADAPTIVE:
        return None
    return ratio


def build_submit(req: PreparedRequest) -> HttpCall:
    if req.url("base_video"):
        return build_regenerate(req)
    body: dict[str, Any] = {
        "model": req.native_model,
        "content": content(req),
        "resolution": req.request.resolution.upper(),  # 768P, 2K, 480P: lowercase is refused
        "duration": int(req.request.duration),
    }
    ratio = _ratio(req)
    if ratio:
        body["ratio"] = ratio
    if req.request.callback_url:
        body["callback_url"] = req.request.callback_url
    return HttpCall("submit", "POST", "/v2/video_generation", json=body)


def build_regenerate(req: PreparedRequest) -> HttpCall:
    """2K regeneration: the draft's text and media again, plus the draft itself as ``base_video``."""
    body = {"model": req.native_model, "resolution": req.request.resolution.upper(), "content": content(req)}
    if req.request.callback_url:
        body["callback_url"] = req.request.callback_url
    return HttpCall("submit", "POST", "/v2/video_regeneration", json=body)


def parse_submit(body: Any, req: PreparedRequest) -> TaskRef:
    task_id = reader.find_task_id(body)
    if not task_id:
        raise GatewayError("MiniMax accepted the request but returned no task_id", provider=NAME)
    return TaskRef(task_id, route=ROUTE)


# -- query -------------------------------------------------------------------------------
def build_poll(ref: TaskRef) -> HttpCall:
    return HttpCall("poll", "GET", f"/v2/query/video_generation/{quote(ref.task_id, safe='')}")


def is_v2_reply(body: Any) -> bool:
    """A v2 query reply: ``{"task": {...}}`` and no v1 ``base_resp``."""
    return isinstance(body, Mapping) and isinstance(body.get("task"), Mapping) and "base_resp" not in body


def task_of(body: Any) -> Mapping[str, Any]:
    inner = body.get("task") if isinstance(body, Mapping) else None
    if isinstance(inner, Mapping):
        return inner
    return body if isinstance(body, Mapping) else {}


def parse_poll(body: Any) -> TaskState:
    task = task_of(body)
    raw = task.get("status")
    status = reader.map_status(raw, _STATUSES)
    if status == SUCCEEDED:
        url = _content(task).get("url")
        if not isinstance(url, str) or not url:
            raise GatewayError("MiniMax reported success without content.url", provider=NAME)
        return TaskState(SUCCEEDED, str(raw), video_url=url, billed_usd=billed_usd(task))
    if status == FAILED:
        return TaskState(FAILED, str(raw), error=_failure(task))
    return TaskState(status, str(raw) if raw is not None else None)


def _content(task: Mapping[str, Any]) -> Mapping[str, Any]:
    found = task.get("content")
    return found if isinstance(found, Mapping) else {}


def _failure(task: Mapping[str, Any]) -> GenerationFailed:
    error = task.get("error") if isinstance(task.get("error"), Mapping) else {}
    code = reader.find_error(error)[1] if error else None
    message = str(error.get("message") or "") if error else ""
    if str(task.get("status", "")).lower() == "expired":
        message = message or "the task expired at the gateway before it finished"
    message = message or "MiniMax reported the generation failed"
    return reader.failure(message, NAME, code, policy=code in _POLICY_CODES)


#: list prices of a billed task (§11.4): the same table ``minimax.price`` estimates with
H3_PRICES = PerSecond({"768p": 0.08, "2k": 0.13}, free_images=5, per_extra_image=0.04)


def billed_usd(task: Mapping[str, Any]) -> float | None:
    """What a finished task costs at list price, from its ``usage`` units (v2 returns no money).

    Output seconds at the resolution's rate, images beyond the fifth at $0.04, reference
    video seconds (rounded up) at the output rate, audio free. H3-Max: no published price.
    """
    usage = task.get("usage")
    if not isinstance(usage, Mapping) or str(task.get("model", "")).endswith("-Max"):
        return None
    rate = H3_PRICES.rates.get(str(task.get("resolution", "")).lower())
    seconds = _number(usage.get("output_seconds"))
    if rate is None or seconds is None:
        return None
    images = _number(usage.get("input_image_count")) or 0.0
    video = _number(usage.get("input_seconds")) or 0.0
    extra = max(0.0, images - H3_PRICES.free_images) * H3_PRICES.per_extra_image
    return round(seconds * rate + extra + math.ceil(video) * rate, 4)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def expired(ref: TaskRef, submitted_at: float | None, error: HailuoError | None) -> HailuoError | None:
    """The error for a v2 task past the 7-day query window, known by its age or the query's reply.

    ``error`` is None before polling (age check), else a poll's error: ``invalid task_id``
    (2013) for a task the journal knows as accepted means MiniMax no longer keeps it.
    """
    if ref.route != ROUTE:
        return None
    if error is None:
        too_old = submitted_at is not None and time.time() - submitted_at > QUERY_WINDOW
        return GenerationFailed(f"task {EXPIRED_MESSAGE}", provider=NAME, task_id=ref.task_id) if too_old \
            else None
    if "invalid task_id" in error.message.lower() or "invalid task id" in error.message.lower():
        return GenerationFailed(f"task {EXPIRED_MESSAGE}; MiniMax said: {error.message}", provider=NAME,
                                status_code=error.status_code, code=error.code, task_id=ref.task_id,
                                request_id=error.request_id)
    return None


# -- cancel ------------------------------------------------------------------------------
def build_cancel(ref: TaskRef) -> HttpCall | None:
    """``DELETE`` cancels a queued task free of charge (a v1 task has no cancel)."""
    if ref.route != ROUTE:
        return None
    return HttpCall("cancel", "DELETE", f"/v2/video_generation/{quote(ref.task_id, safe='')}")


def parse_cancel(body: Any) -> str:
    """The task's status after the call: ``cancelled`` or ``deleted`` (older wording: cancel/delete)."""
    word = str(task_of(body).get("status") or task_of(body).get("action") or "").strip().lower()
    return {"cancel": "cancelled", "canceled": "cancelled", "delete": "deleted"}.get(word, word)


# -- find a task whose submit reply was lost ------------------------------------------------
def build_find(req: PreparedRequest, since: float) -> HttpCall | None:
    """The newest tasks of this model (a v1 request: None, v1 has no list)."""
    if not uses_v2(req):
        return None
    params = {"page_num": 1, "page_size": LIST_PAGE_SIZE, "filter.model": req.native_model,
              "filter.task_type": "generation"}
    return HttpCall("list", "GET", "/v2/query/video_generation", params=params)


def parse_find(body: Any, req: PreparedRequest, since: float) -> tuple[TaskRef, ...]:
    """The listed tasks that may be this request's.

    Same model, length, resolution, ratio (where reported) and prompt (where an item
    carries one — the documented task object does not), created since it was sent.
    """
    items = body.get("items") if isinstance(body, Mapping) else None
    if not isinstance(items, list):
        raise GatewayError("MiniMax's task list reply has no items", provider=NAME)
    return tuple(TaskRef(str(item["id"]), route=ROUTE) for item in items
                 if isinstance(item, Mapping) and item.get("id") and _matches(item, req, since))


def _matches(item: Mapping[str, Any], req: PreparedRequest, since: float) -> bool:
    request = req.request
    created = _number(item.get("created_at"))
    checks = [
        item.get("model") == req.native_model,
        item.get("task_type", "generation") == "generation",
        created is not None and created >= since - CLOCK_SKEW,
        str(item.get("resolution", request.resolution)).lower() == request.resolution.lower(),
        _number(item.get("duration")) in (None, float(request.duration)),
    ]
    ratio = item.get("ratio")
    sent = _ratio(req)
    if ratio and sent and ratio != ADAPTIVE:
        checks.append(ratio == sent)
    prompt = _prompt_of(item)
    if prompt is not None:
        checks.append(prompt.strip() == request.prompt.strip())
    return all(checks)


def _prompt_of(item: Mapping[str, Any]) -> str | None:
    if isinstance(item.get("prompt"), str):
        return str(item["prompt"])
    listed = item.get("content")
    if isinstance(listed, list):
        for part in listed:
            if isinstance(part, Mapping) and part.get("type") == "text" and isinstance(part.get("text"), str):
                return str(part["text"])
    return None


# -- Context-IR prompt expansion -------------------------------------------------------------
def build_enhance(req: PreparedRequest) -> HttpCall | None:
    """Context-IR is an H3 feature (the H3 README's scripts); other models: None."""
    if req.model.family != "h3":
        return None
    body: dict[str, Any] = {"model": req.native_model, "content": content(req),
                            "duration": int(req.request.duration)}
    ratio = _ratio(req)
    if ratio:
        body["ratio"] = ratio
    return HttpCall("enhance", "POST", "/v2/h3_context_ir", json=body)


def parse_enhance(body: Any) -> str | None:
    """The expanded prompt once the Context-IR task succeeded; None while it runs; raises on failure."""
    task = task_of(body)
    status = reader.map_status(task.get("status"), _STATUSES)
    if status == SUCCEEDED:
        prompt = _content(task).get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise GatewayError("MiniMax's Context-IR task succeeded without content.prompt", provider=NAME)
        return prompt
    if status in (FAILED, CANCELLED):
        raise _failure(task) if status == FAILED else GatewayError("the Context-IR task was cancelled",
                                                                   provider=NAME)
    return None
