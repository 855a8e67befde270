"""MiniMax v2 API for H3 (docs/protocols.md §11.1), served beside v1 by the `minimax` protocol.

Routes (request kinds in brackets, for faults and `SimServer.count`):

- `POST /v2/video_generation` [submit]: `{model, content, resolution, duration, ratio,
  callback_url?, aigc_watermark?}` -> `{"task_id"}`; models `MiniMax-H3` (768P/2K, 4-15 s)
  and `MiniMax-H3-Max` (480P/768P, 5-15 s, no references). Body rules: minimax_v2_body.
- `GET /v2/query/video_generation/{task_id}` [poll] -> `{"task": <task object>}`.
- `GET /v2/query/video_generation?page_num&page_size&filter.status&filter.task_ids
  (repeatable or comma-separated)&filter.model&filter.task_type` [list] ->
  `{"items": [...], "total": N}`, newest first.
- `DELETE /v2/video_generation/{task_id}` [cancel]: queued -> cancelled (free);
  succeeded/failed -> deleted (then `invalid task_id`); running/cancelled -> 400.
- `POST /v2/h3_context_ir` [submit]: prompt expansion, `task_type` h3_context_ir,
  `modality` text, `content.prompt` on success, usage in tokens.
- `POST /v2/video_regeneration` [submit]: `{model, resolution: "2K", source_task_id}` (a
  succeeded 768P H3 task of the last 7 days) or `{..., content: [text, ..., base_video]}`
  (an unmodified 768P H3 output); `task_type` regeneration.

Task object: id, model, status (queued/running/succeeded/failed/cancelled), created_at,
updated_at, resolution, duration, ratio, task_type, modality, usage (`{}` until success),
`content` on success (`url` or `prompt`), `error` `{code (string), message}` on failure.
Tasks older than 7 days (see `SimServer.age_task`) answer `invalid task_id` and leave the
list. Errors: real HTTP statuses with `{"type": "error", "error": {type, message ending
in "(<MiniMax code>)", http_code}, "request_id"}`; every MiniMax reply, v1 or v2, carries a
`Trace-Id` header (equal to `request_id` on v2 errors).
"""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..callbacks import start_callbacks, v2_status
from ..core import POLICY_WORD, Call, SimCore
from ..h3 import RATIOS
from ..httpio import BadRequest, Reply
from ..media import ImageError
from ..tasks import SimTask, new_task_id
from .base import Handler, Invalid
from .minimax_v2_body import check_model, parse_content, parse_create, usage

WINDOW = 7 * 86400  # query and list see the last 7 days
STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
TASK_TYPES = ("generation", "h3_context_ir", "regeneration")
ERRORS = {  # reason -> (HTTP status, error.type, MiniMax code)
    "bad_request": (400, "bad_request_error", 2013), "invalid": (400, "bad_request_error", 2013),
    "not_found": (400, "bad_request_error", 2013), "auth": (401, "authorized_error", 1004),
    "auth_malformed": (401, "authorized_error", 2049),
    "credits": (402, "insufficient_balance_error", 1008),
    "policy": (422, "unprocessable_entity_error", 1026),
    "rate_limit": (429, "rate_limit_error", 1002), "server": (500, "server_error", 1000),
}


def v2_error(reason: str, message: str, status: int | None = None) -> Reply:
    """An OpenAI-style error body with the MiniMax code in trailing parentheses."""
    http, kind, code = ERRORS.get(reason, ERRORS["server"])
    if status and status >= 500:
        http, kind = status, "overloaded_error" if status == 529 else "server_error"
    trace = secrets.token_hex(16)
    body = {"type": "error", "error": {"type": kind, "message": f"{message} ({code})",
                                       "http_code": str(http)}, "request_id": trace}
    return Reply.json(body, http, headers={"Trace-Id": trace})


class MiniMaxV2:
    """Handlers of the v2 routes; `MiniMax` mounts them beside v1."""

    def routes(self) -> list[tuple[str, str, str, Handler]]:
        """(method, path regex, kind, handler) of every v2 route."""
        tid = r"(?P<task_id>[^/]+)"
        return [("POST", r"/v2/video_generation", "submit", self.create),
                ("GET", rf"/v2/query/video_generation/{tid}", "poll", self.query),
                ("GET", r"/v2/query/video_generation", "list", self.list),
                ("DELETE", rf"/v2/video_generation/{tid}", "cancel", self.delete),
                ("POST", r"/v2/h3_context_ir", "submit", self.context_ir),
                ("POST", r"/v2/video_regeneration", "submit", self.regenerate)]

    # -- create ---------------------------------------------------------------------

    def _body(self, call: Call) -> dict[str, Any]:
        if "json" not in call.request.header("content-type").lower():
            raise Invalid("invalid params, Content-Type must be application/json")
        return call.request.json_object()

    def _accept(self, core: SimCore, call: Call, fields: dict[str, Any]) -> Reply:
        if POLICY_WORD in fields["prompt"]:
            return v2_error("policy", "input new_sensitive (the [policy] prompt word)")
        task = core.create_task(call, new_task_id(digits=15), protocol="minimax", **fields)
        if task.callback_url:
            start_callbacks(task, lambda phase, status: {"task": self.task_object(
                core, task, phase, status)}, core.stopping, v2_status)
        return Reply.json({"task_id": task.id})

    def _guarded(self, core: SimCore, call: Call, parse: Any) -> Reply:
        try:
            fields = parse(core, self._body(call))
        except (BadRequest, Invalid, ImageError) as exc:
            message = str(exc)
            if not message.startswith("invalid params"):
                message = f"invalid params, {message}"
            return v2_error("invalid", message)
        return self._accept(core, call, fields)

    def create(self, core: SimCore, call: Call) -> Reply:
        """POST /v2/video_generation."""
        return self._guarded(core, call, parse_create)

    def context_ir(self, core: SimCore, call: Call) -> Reply:
        """POST /v2/h3_context_ir: a text task whose result is an expanded prompt."""

        def parse(core: SimCore, body: dict[str, Any]) -> dict[str, Any]:
            fields = parse_create(core, body, context_ir=True)
            prompt_tokens = len(fields["prompt"]) // 4 + 258 * fields["usage"]["input_image_count"]
            completion = len(fields["output_text"]) // 4
            fields["usage"] = {"total_tokens": prompt_tokens + completion,
                               "prompt_tokens": prompt_tokens, "completion_tokens": completion}
            return fields

        return self._guarded(core, call, parse)

    def regenerate(self, core: SimCore, call: Call) -> Reply:
        """POST /v2/video_regeneration: a 768P H3 task (or output) again at 2K."""
        return self._guarded(core, call, self._parse_regen)

    def _parse_regen(self, core: SimCore, body: dict[str, Any]) -> dict[str, Any]:
        model = check_model(body)
        if model != "MiniMax-H3":
            raise Invalid("invalid params, regeneration is only for MiniMax-H3")
        if body.get("resolution") != "2K":
            raise Invalid(f"invalid params, resolution must be '2K', got {body.get('resolution')!r}")
        if ("source_task_id" in body) == ("content" in body):
            raise Invalid("invalid params, give exactly one of source_task_id and content")
        if "source_task_id" in body:
            source = self._source(core, str(body["source_task_id"]))
            prompt, first, last, extra = source.prompt, source.first_frame, source.last_frame, {}
        else:
            content = parse_content(core, body["content"], regen=True)
            if content.base_video is None:
                raise Invalid("invalid params, content needs a video_url item with role "
                              "base_video")
            source = self._base_source(core, content.base_url, content.base_video.data)
            prompt, first = content.prompt, content.picture()
            last = content.frames["last_frame"].data if "last_frame" in content.frames else None
            extra = {"usage": usage(content, source.duration)}
        return {"model": model, "prompt": prompt, "duration": source.duration,
                "resolution": "2K", "ratio": source.ratio, "aspect": source.aspect,
                "first_frame": first, "last_frame": last, "endpoint": "v2", "params": body,
                "has_audio": True, "task_type": "regeneration",
                "usage": extra.get("usage", {**source.usage}), "callback_url": None}

    def _source(self, core: SimCore, task_id: str) -> SimTask:
        task = core.tasks.get(task_id, "minimax")
        if task is None or not visible(task):
            raise Invalid("invalid params, invalid source_task_id")
        ok = (task.task_type == "generation" and task.resolution == "768P"
              and task.model == "MiniMax-H3" and task.status == "succeeded")
        if not ok:
            raise Invalid("invalid params, source_task_id must be a succeeded MiniMax-H3 768P "
                          f"generation (it is {task.model} {task.resolution} {task.status})")
        return task

    def _base_source(self, core: SimCore, url: str, data: bytes | None) -> SimTask:
        """The H3 768P task whose output the base video is (by link or by bytes)."""
        linked = core.task_for_url(url)
        if linked is not None:
            return self._source(core, linked.id)
        if data is None and not url.startswith(core.video_base_url):
            # A public URL the simulator cannot fetch: trusted, as a 6 s 16:9 clip.
            return SimTask(id="", protocol="minimax", model="MiniMax-H3", prompt="", params={},
                           job_seconds=0, ratio="16:9", aspect=RATIOS["16:9"])
        for task in core.tasks.snapshot().values() if data is not None else ():
            if (task.protocol == "minimax" and task.endpoint == "v2" and task.has_audio
                    and task.resolution == "768P" and task.status == "succeeded"
                    and task.task_type == "generation" and core.video_bytes(task) == data):
                return self._source(core, task.id)
        raise Invalid("invalid params, base_video must be an unmodified MiniMax-H3 768P output")

    # -- query, list, delete --------------------------------------------------------------

    def task_object(self, core: SimCore, task: SimTask, phase: str, status: str
                    ) -> dict[str, Any]:
        """The §11.1.2 task object at `phase`, with status word `status`."""
        text = task.task_type == "h3_context_ir"
        body: dict[str, Any] = {
            "id": task.id, "model": task.model, "status": status,
            "created_at": int(task.created_at), "updated_at": int(task.updated_at()),
            "resolution": "" if text else task.resolution, "duration": task.duration,
            "ratio": task.ratio, "task_type": task.task_type,
            "modality": "text" if text else "video", "usage": {}}
        if phase == "succeeded":
            body["content"] = {"prompt": task.output_text} if text else {
                "url": core.video_url(task)}
            body["usage"] = dict(task.usage)
        elif phase == "failed":
            code = "1026" if task.fail_code == "policy" else "1000"
            body["error"] = {"code": code, "message": task.fail_message or "generation failed"}
        return body

    def _status(self, phase: str, call: Call | None) -> str:
        if call is not None and call.fault_is("unknown_status"):
            assert call.fault is not None
            return str(call.fault.param("word", "Thinking"))
        return v2_status(phase)

    def query(self, core: SimCore, call: Call) -> Reply:
        """GET /v2/query/video_generation/{task_id}."""
        task = core.lookup(call, call.match["task_id"], "minimax")
        if task is None or not visible(task):
            return v2_error("not_found", "invalid params, invalid task_id")
        phase = task.phase()
        return Reply.json({"task": self.task_object(core, task, phase, self._status(phase, call))})

    def list(self, core: SimCore, call: Call) -> Reply:
        """GET /v2/query/video_generation: a filtered page of the last 7 days, newest first."""
        try:
            page, size, keep = list_filters(call.request.target)
        except Invalid as exc:
            return v2_error("invalid", str(exc))
        tasks = [t for t in core.tasks.snapshot().values() if visible(t)]
        matches = [t for t in reversed(tasks) if keep(t)]
        items = []
        for task in matches[(page - 1) * size : page * size]:
            phase = task.phase()
            items.append(self.task_object(core, task, phase, self._status(phase, None)))
        return Reply.json({"items": items, "total": len(matches)})

    def delete(self, core: SimCore, call: Call) -> Reply:
        """DELETE /v2/video_generation/{task_id}: cancel a queued task, delete a finished one."""
        task = core.tasks.get(call.match["task_id"], "minimax")
        if task is None or not visible(task):
            return v2_error("not_found", "invalid params, invalid task_id")
        status = task.status
        if status == "queued":
            task.cancel()
            action = "cancelled"
        elif status in ("succeeded", "failed"):
            task.deleted = True
            action = "deleted"
        else:
            return v2_error("invalid", f"invalid params, a {status} task cannot be cancelled or "
                                       "deleted")
        return Reply.json({"task_id": task.id, "action": action, "status": action})


def visible(task: SimTask) -> bool:
    """A v2 task the gateway still shows: not deleted, created in the last 7 days."""
    return (task.protocol == "minimax" and task.endpoint == "v2" and not task.deleted
            and time.time() - task.created_at < WINDOW)


def list_filters(target: str) -> tuple[int, int, Any]:
    """(page_num, page_size, predicate) from the list query string; Invalid when bad."""
    pairs = parse_qsl(urlsplit(target).query, keep_blank_values=True)
    single = dict(pairs)
    numbers = []
    for name, default, top in (("page_num", 1, 10**6), ("page_size", 20, 100)):
        raw = single.get(name, str(default))
        if not raw.isdigit() or not 1 <= int(raw) <= top:
            raise Invalid(f"invalid params, {name} must be an integer 1-{top}, got {raw!r}")
        numbers.append(int(raw))
    status = single.get("filter.status")
    if status is not None and status not in STATUSES:
        raise Invalid(f"invalid params, filter.status {status!r}; allowed: {list(STATUSES)}")
    task_type = single.get("filter.task_type")
    if task_type is not None and task_type not in TASK_TYPES:
        raise Invalid(f"invalid params, filter.task_type {task_type!r}; allowed: "
                      f"{list(TASK_TYPES)}")
    ids = {i for k, v in pairs if k == "filter.task_ids" for i in v.split(",") if i}
    model = single.get("filter.model")

    def keep(task: SimTask) -> bool:
        return ((status is None or task.status == status)
                and (task_type is None or task.task_type == task_type)
                and (not ids or task.id in ids) and (model is None or task.model == model))

    return numbers[0], numbers[1], keep

