"""Agentsflare (docs/protocols.md §5, poll shape a hypothesis after Zhipu's async-result).

Routes: `POST /v1/videos/generations`, `GET /v1/async-result/{task_id}`.
Submit needs `model` (`minimax-hailuo-2.3`, `minimax-hailuo-2.3-Fast`, `minimax-hailuo-02`;
case-insensitive), `prompt` and `duration` (int: 5, 6 or 10); optional `resolution`
(`512P`/`768P`/`1080P`), `first_frame_image` (URL), `images` (`[{"url"}, {"url"}]`
first+last, `minimax-hailuo-02` only), `mode` (std/pro), `aspect_ratio` ("16:9"),
`callback_url`, and `external_task_id` (stored as the task's `client_task_id`).
Fast models need an image. Submit answers `{"task_id", "model", "task_status"}`; the poll
answers `{"task_id", "model", "task_status": PROCESSING|SUCCESS|FAIL, "video_result":
[{"url"}], "request_id"}`, with `error: {"code", "message"}` when failed. Variant
`words="runbase"` (or any other vocabulary) swaps the status words. Errors:
`{"error": {"code", "message"}}` with HTTP 400, 401, 402, 404, 429, 5xx.
"""

from __future__ import annotations

from typing import Any

from ..core import Call, SimCore
from ..httpio import Reply
from ..tasks import SimTask
from .base import BaseProtocol, Handler, Invalid

MODELS = {m.lower(): m for m in ("minimax-hailuo-2.3", "minimax-hailuo-2.3-Fast",
                                 "minimax-hailuo-02")}
ERROR_CODES = {"bad_request": "1210", "invalid": "1214", "auth": "1000", "auth_malformed": "1001",
               "credits": "1113", "policy": "1301", "not_found": "404", "rate_limit": "1302",
               "server": "500"}


def parse_aspect(value: object) -> float | None:
    """'16:9' -> 1.777...; ValueError for anything else."""
    if value is None:
        return None
    if isinstance(value, str) and value.count(":") == 1:
        w, h = value.split(":")
        if w.strip().isdigit() and h.strip().isdigit() and int(w) > 0 and int(h) > 0:
            return int(w) / int(h)
    raise ValueError(value)


class Agentsflare(BaseProtocol):
    """api.agentsflare.com video generations (BigModel-style paths)."""

    name = "agentsflare"
    served_models = tuple(MODELS.values())
    id_key = "task_id"
    url_location = "video_result[].url"

    def routes(self) -> list[tuple[str, str, str, Handler]]:
        """Generation and async-result routes."""
        return [("POST", r"/v1/videos/generations", "submit", self._submit),
                ("GET", r"/v1/async-result/(?P<id>[^/]+)", "poll", self._poll)]

    def error_body(self, reason: str, status: int, message: str) -> dict[str, Any]:
        """BigModel-style `{"error": {"code", "message"}}`."""
        return {"error": {"code": ERROR_CODES.get(reason, "500"), "message": message}}

    def _parse(self, core: SimCore, body: dict[str, Any]) -> dict[str, Any]:
        model = MODELS.get(str(body.get("model", "")).lower())
        if model is None:
            raise Invalid(f"model {body.get('model')!r} not supported; "
                          f"use one of {sorted(MODELS.values())}")
        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip() or len(prompt) > 2000:
            raise Invalid("prompt is required (string, at most 2000 characters)")
        duration = body.get("duration")
        if isinstance(duration, bool) or duration not in (5, 6, 10):
            raise Invalid(f"duration is required: an integer 5, 6 or 10, got {duration!r}")
        resolution = body.get("resolution", "768P")
        if resolution not in ("512P", "768P", "1080P"):
            raise Invalid(f"resolution must be 768P or 1080P, got {resolution!r}")
        if resolution == "1080P" and duration == 10:
            raise Invalid("1080P supports 6 second videos only")
        if body.get("mode", "std") not in ("std", "pro"):
            raise Invalid("mode must be std or pro")
        try:
            aspect = parse_aspect(body.get("aspect_ratio"))
        except ValueError:
            shown = body["aspect_ratio"]
            raise Invalid(f"aspect_ratio must look like 16:9, got {shown!r}") from None
        first = last = None
        images = body.get("images")
        if images is not None:
            ok = (isinstance(images, list) and 1 <= len(images) <= 2
                  and all(isinstance(i, dict) and isinstance(i.get("url"), str) for i in images))
            if not ok:
                raise Invalid('images must be [{"url": ...}] or [{"url": first}, {"url": last}]')
            if len(images) == 2 and model != "minimax-hailuo-02":
                raise Invalid("first+last frame mode (images) is only for minimax-hailuo-02")
            if body.get("first_frame_image") is not None:
                raise Invalid("send either first_frame_image or images, not both")
            first = core.load_image(images[0]["url"], "images[0].url")
            if len(images) == 2:
                last = core.load_image(images[1]["url"], "images[1].url")
        elif body.get("first_frame_image") is not None:
            first = core.load_image(body["first_frame_image"], "first_frame_image")
        has_image = images is not None or body.get("first_frame_image") is not None
        if model.endswith("Fast") and not has_image:
            raise Invalid(f"{model} is image-to-video only: send first_frame_image")
        external = body.get("external_task_id")
        if external is not None and not isinstance(external, str):
            raise Invalid("external_task_id must be a string")
        return {"model": model, "prompt": prompt, "duration": duration, "resolution": resolution,
                "aspect": aspect if first is None else None, "first_frame": first,
                "last_frame": last, "callback_url": body.get("callback_url"),
                "client_task_id": external, "params": body}

    def _submit(self, core: SimCore, call: Call) -> Reply:
        task = self.accept(core, call, lambda body: self._parse(core, body))
        if isinstance(task, Reply):
            return task
        body = {"task_id": task.id, "model": task.model,
                "task_status": self.word(task.phase(), call)}
        return Reply.json(self.shape(body))

    def _result(self, core: SimCore, call: Call, task: SimTask) -> dict[str, Any]:
        phase = task.phase()
        body: dict[str, Any] = {"task_id": task.id, "model": task.model,
                                "task_status": self.word(phase, call),
                                "request_id": task.client_task_id or task.file_id}
        if phase == "succeeded":
            self.place_url(body, core.video_url(task))
        elif phase == "failed":
            code = "1301" if task.fail_code == "policy" else "task_failed"
            body["error"] = {"code": code, "message": task.fail_message or "generation failed"}
        return body

    def _poll(self, core: SimCore, call: Call) -> Reply:
        task = core.lookup(call, call.match["id"], self.name)
        if task is None:
            return self.reject("not_found", f"task {call.match['id']} not found")
        return Reply.json(self.shape(self._result(core, call, task)))
