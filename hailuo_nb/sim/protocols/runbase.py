"""Runbase (docs/protocols.md §3): `POST /api/v1/runs`, `GET /api/v1/runs/{id}`.

The submit body is `{"model": "hailuo/pro", "input": {"prompt", "image_urls"?}}`; any
`hailuo/...` model is accepted (only `hailuo/pro` is documented). `image_urls[0]` is the
first frame and `image_urls[1]`, when present, the last. Undocumented extras are accepted
leniently: `input.duration` (int 6 or 10) and `input.resolution` (`768P` style).

Replies are run objects, `{"id", "model", "status", "created_at", "output": null}`, with
`output: {"urls": [...]}` once `succeeded` and `error` (a string) once `failed`. Status
words default to queued/running/succeeded/failed (variant `words="replicate"` gives
starting/processing/succeeded/failed). Errors are `{"error": "<message>", "code": ...}`
with the documented HTTP statuses (400, 401, 402, 404, 429, 500).
"""

from __future__ import annotations

from typing import Any

from ..core import Call, SimCore
from ..httpio import Reply, iso_time
from ..tasks import SimTask
from .base import BaseProtocol, Handler, Invalid

ERROR_CODES = {"bad_request": "invalid_request", "invalid": "invalid_request",
               "auth": "unauthorized", "auth_malformed": "unauthorized",
               "credits": "insufficient_credits", "policy": "content_policy",
               "not_found": "not_found", "rate_limit": "rate_limited", "server": "server_error"}


class Runbase(BaseProtocol):
    """runbase.net's generic runs API."""

    name = "runbase"
    served_models = ("hailuo/pro",)  # any hailuo/... id is accepted; this one is documented
    id_key = "id"
    id_prefix = "run_"
    url_location = "output.urls"

    def routes(self) -> list[tuple[str, str, str, Handler]]:
        """Create a run and get a run."""
        return [("POST", r"/api/v1/runs", "submit", self._submit),
                ("GET", r"/api/v1/runs/(?P<id>[^/]+)", "poll", self._poll)]

    def error_body(self, reason: str, status: int, message: str) -> dict[str, Any]:
        """`{"error": "<message>", "code": ...}`."""
        return {"error": message, "code": ERROR_CODES.get(reason, "error")}

    def _parse(self, core: SimCore, body: dict[str, Any]) -> dict[str, Any]:
        model = body.get("model")
        if not isinstance(model, str) or not model.startswith("hailuo/"):
            raise Invalid(f"model {model!r} not found (e.g. hailuo/pro)")
        inp = body.get("input")
        if not isinstance(inp, dict):
            raise Invalid("input must be an object")
        prompt = inp.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise Invalid("input.prompt is required")
        urls = inp.get("image_urls", [])
        if not isinstance(urls, list) or len(urls) > 2 or not all(isinstance(u, str) for u in urls):
            raise Invalid("input.image_urls must be a list of at most 2 URL strings")
        frames = [core.load_image(u, f"input.image_urls[{i}]") for i, u in enumerate(urls)]
        duration = inp.get("duration", 6)
        if duration not in (6, 10) or isinstance(duration, bool):
            raise Invalid("input.duration must be 6 or 10")
        resolution = inp.get("resolution", "1080P" if model.endswith("pro") else "768P")
        if resolution not in ("512P", "720P", "768P", "1080P"):
            raise Invalid("input.resolution must be one of 512P, 720P, 768P, 1080P")
        return {"model": model, "prompt": prompt, "duration": duration, "resolution": resolution,
                "first_frame": frames[0] if frames else None,
                "last_frame": frames[1] if len(frames) > 1 else None, "params": body}

    def _run(self, core: SimCore, call: Call, task: SimTask) -> dict[str, Any]:
        phase = task.phase()
        body: dict[str, Any] = {"id": task.id, "model": task.model,
                                "status": self.word(phase, call),
                                "created_at": iso_time(task.created_at), "output": None}
        if phase == "succeeded":
            self.place_url(body, core.video_url(task))
        elif phase == "failed":
            body["error"] = task.fail_message or "run failed"
        return body

    def _submit(self, core: SimCore, call: Call) -> Reply:
        task = self.accept(core, call, lambda body: self._parse(core, body))
        if isinstance(task, Reply):
            return task
        return Reply.json(self.shape(self._run(core, call, task)))

    def _poll(self, core: SimCore, call: Call) -> Reply:
        task = core.lookup(call, call.match["id"], self.name)
        if task is None:
            return self.reject("not_found", f"run {call.match['id']} not found")
        return Reply.json(self.shape(self._run(core, call, task)))
