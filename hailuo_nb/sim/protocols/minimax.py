"""MiniMax official API (docs/protocols.md §1): submit, query, files/retrieve, callbacks.

Routes: `POST /v1/video_generation`, `GET /v1/query/video_generation?task_id=`,
`GET /v1/files/retrieve?file_id=`. Business errors are HTTP 200 with a non-zero
`base_resp.status_code` (1004 wrong or missing key, 2049 malformed key, 2013 invalid
params, 1008 balance, 1026 input / 1027 output sensitive content, 1002 rate limit);
only the 429 and 5xx faults use HTTP status codes.

Query: `file_id` (string) and `video_width`/`video_height` appear only on success;
retrieve returns `file.file_id` as a JSON number and `file.download_url` on the video
origin (fresh once the previous URL is half-way to expiry). A remote failure is
`status: "Fail"` (variant `fail_word="Failed"`) with the message in
`base_resp.status_msg` and code 0; a policy failure on query carries code 1027.
Variant defaults: `id_field="task_id"`, `url_location=None`, `words="minimax"`.

The v2 API for H3 (`/v2/...`, see minimax_v2) is mounted on the same protocol: same key,
same base URL, same faults; its errors use real HTTP statuses. Every reply, v1 or v2,
errors included, carries a `Trace-Id` header.
"""

from __future__ import annotations

import secrets
from typing import Any

from ..callbacks import start_callbacks
from ..core import Call, SimCore
from ..httpio import Reply
from ..tasks import SimTask
from ..video import image_info
from .base import BaseProtocol, Handler, Invalid
from .minimax_v2 import MiniMaxV2, v2_error

T2V = {"MiniMax-Hailuo-2.3", "MiniMax-Hailuo-02", "T2V-01-Director", "T2V-01"}
I2V = {"MiniMax-Hailuo-2.3", "MiniMax-Hailuo-2.3-Fast", "MiniMax-Hailuo-02", "I2V-01-Director",
       "I2V-01-live", "I2V-01"}
FL2V = {"MiniMax-Hailuo-02"}
S2V = {"S2V-01"}
MODES = {"t2v": T2V, "i2v": I2V, "fl2v": FL2V, "s2v": S2V}
_NEW: dict[str, tuple[int, ...]] = {"768P": (6, 10), "1080P": (6,)}
_OLD: dict[str, tuple[int, ...]] = {"720P": (6,)}

CODES = {"invalid": 2013, "bad_request": 2013, "not_found": 2013, "auth": 1004,
         "auth_malformed": 2049, "credits": 1008, "policy": 1026, "rate_limit": 1002,
         "server": 1000}
MESSAGES = {1004: "login fail: Please carry the API secret key in the 'Authorization' field",
            2049: "invalid api key", 1008: "insufficient balance", 1002: "rate limit exceeded(RPM)"}


def allowed_sizes(model: str, mode: str) -> dict[str, tuple[int, ...]]:
    """Resolution -> durations for a model and mode (docs/protocols.md §1.3)."""
    if not model.startswith("MiniMax-"):
        return _OLD
    if model == "MiniMax-Hailuo-02" and mode == "i2v":
        return {"512P": (6, 10), **_NEW}
    return _NEW


def check_image(core: SimCore, ref: object, what: str) -> bytes | None:
    """Load an image and apply MiniMax's rules (JPG/PNG/WebP, < 20 MB, short side > 300)."""
    data = core.load_image(ref, what)
    if data is None:
        return None
    w, h, fmt = image_info(data)
    if fmt not in ("JPEG", "PNG", "WEBP", "MPO"):
        raise Invalid(f"{what}: format {fmt or 'unknown'} not supported (JPG, PNG, WebP)")
    if len(data) >= 20 * 1024 * 1024:
        raise Invalid(f"{what}: {len(data)} bytes, must be under 20 MB")
    if min(w, h) <= 300:
        raise Invalid(f"{what}: {w}x{h}, the short side must be over 300 px")
    if not 0.4 <= w / h <= 2.5:
        raise Invalid(f"{what}: aspect ratio {w}:{h} must be between 2:5 and 5:2")
    return data


class MiniMax(BaseProtocol):
    """The origin protocol."""

    name = "minimax"
    id_key = "task_id"
    id_digits = 15
    url_location = None
    envelope = ("base_resp",)
    served_models = (*sorted(T2V | I2V | FL2V | S2V), "MiniMax-H3", "MiniMax-H3-Max")
    audio_models = ("MiniMax-H3", "MiniMax-H3-Max")

    def routes(self) -> list[tuple[str, str, str, Handler]]:
        """Submit, query and files/retrieve (v1), and the v2 routes."""
        return [("POST", r"/v1/video_generation", "submit", self._submit),
                ("GET", r"/v1/query/video_generation", "poll", self._poll),
                ("GET", r"/v1/files/retrieve", "retrieve", self._retrieve),
                *MiniMaxV2().routes()]

    def refuse(self, call: Call, reason: str, message: str, status: int | None = None) -> Reply:
        """v1 in-band `base_resp`, or a v2 HTTP error for `/v2/` paths."""
        if call.request.path.startswith("/v2/"):
            return v2_error(reason, message, status if status and status != 200 else None)
        return self.reject(reason, message, status)

    def finish(self, call: Call, reply: Reply) -> None:
        """Every MiniMax reply carries a Trace-Id, as the real API's do."""
        reply.headers.setdefault("Trace-Id", secrets.token_hex(16))

    def error_body(self, reason: str, status: int, message: str) -> dict[str, Any]:
        """`base_resp` with the documented status code."""
        code = CODES.get(reason, 1000)
        return {"base_resp": {"status_code": code, "status_msg": MESSAGES.get(code, message)}}

    def reject(self, reason: str, message: str, status: int | None = None) -> Reply:
        """In-band refusal (HTTP 200) except for 429 and 5xx."""
        # Only transport-level trouble changes the HTTP status; the rest is in-band.
        http = status or (429 if reason == "rate_limit" else 500 if reason == "server" else 200)
        body = self.error_body(reason, http, message)
        if reason in ("invalid", "bad_request", "not_found", "policy"):
            body["base_resp"]["status_msg"] = message
        if reason in ("invalid", "bad_request", "policy", "credits"):
            body = {"task_id": "", **body}
        return Reply.json(body, http)

    def _parse(self, core: SimCore, body: dict[str, Any]) -> dict[str, Any]:
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise Invalid("invalid params, model is required")
        if body.get("subject_reference") is not None:
            mode = "s2v"
        elif body.get("last_frame_image") is not None:
            mode = "fl2v"
        else:
            mode = "i2v" if body.get("first_frame_image") is not None else "t2v"
        if model not in MODES[mode]:
            raise Invalid(f"invalid params, model {model!r} does not support {mode}; "
                          f"allowed: {sorted(MODES[mode])}")
        prompt = body.get("prompt", "")
        if not isinstance(prompt, str) or len(prompt) > 2000:
            raise Invalid("invalid params, prompt must be a string of at most 2000 characters")
        if mode == "t2v" and not prompt.strip():
            raise Invalid("invalid params, prompt is required for text-to-video")
        sizes = allowed_sizes(model, mode)
        resolution = body.get("resolution", "768P" if "768P" in sizes else "720P")
        duration = body.get("duration", 6)
        if not isinstance(duration, int) or isinstance(duration, bool):
            raise Invalid(f"invalid params, duration must be an integer, got {duration!r}")
        if resolution not in sizes or (mode == "fl2v" and resolution == "512P"):
            raise Invalid(f"invalid params, resolution {resolution!r} not allowed for {model} "
                          f"({mode}); allowed: {sorted(sizes)}")
        if duration not in sizes[resolution]:
            raise Invalid(f"invalid params, duration {duration} not allowed at {resolution} "
                          f"for {model}; allowed: {list(sizes[resolution])}")
        for flag in ("prompt_optimizer", "fast_pretreatment", "aigc_watermark"):
            if flag in body and not isinstance(body[flag], bool):
                raise Invalid(f"invalid params, {flag} must be a boolean")
        callback = body.get("callback_url")
        if callback is not None and not (isinstance(callback, str) and callback.startswith("http")):
            raise Invalid("invalid params, callback_url must be an http(s) URL")
        first = last = None
        if mode == "s2v":
            refs = body["subject_reference"]
            ok = (isinstance(refs, list) and len(refs) == 1 and isinstance(refs[0], dict)
                  and refs[0].get("type") == "character" and isinstance(refs[0].get("image"), list)
                  and len(refs[0]["image"]) == 1)
            if not ok:
                raise Invalid('invalid params, subject_reference must be '
                              '[{"type": "character", "image": ["<url>"]}]')
            check_image(core, refs[0]["image"][0], "subject_reference image")
        else:
            if body.get("first_frame_image") is not None:
                first = check_image(core, body["first_frame_image"], "first_frame_image")
            if mode == "fl2v":
                last = check_image(core, body["last_frame_image"], "last_frame_image")
        return {"model": model, "prompt": prompt, "duration": duration, "resolution": resolution,
                "first_frame": first, "last_frame": last, "callback_url": callback,
                "endpoint": mode, "params": body}

    def _submit(self, core: SimCore, call: Call) -> Reply:
        if "json" not in call.request.header("content-type").lower():
            return self.reject("invalid", "invalid params, Content-Type must be application/json")
        task = self.accept(core, call, lambda body: self._parse(core, body))
        if isinstance(task, Reply):
            return task
        if task.callback_url:
            start_callbacks(task, lambda phase, status: self._query_body(core, task, phase,
                                                                          status), core.stopping)
        body = {"task_id": task.id, "base_resp": {"status_code": 0, "status_msg": "success"}}
        return Reply.json(self.shape(body), headers={"Trace-Id": task.id})

    def _query_body(self, core: SimCore, task: SimTask, phase: str, status: str
                    ) -> dict[str, Any]:
        body: dict[str, Any] = {"task_id": task.id, "status": status}
        base = {"status_code": 0, "status_msg": "success"}
        if phase == "succeeded":
            spec = core.spec(task)
            body.update(file_id=task.file_id, video_width=spec.width, video_height=spec.height)
        elif phase == "failed":
            if task.fail_code == "policy":
                base = {"status_code": 1027, "status_msg": task.fail_message or "sensitive video"}
            else:
                base = {"status_code": 0, "status_msg": task.fail_message or "failed"}
        body["base_resp"] = base
        return body

    def _poll(self, core: SimCore, call: Call) -> Reply:
        task_id = call.request.query.get("task_id", "")
        if not task_id:
            return self.reject("invalid", "invalid params, task_id is required")
        task = core.lookup(call, task_id, self.name)
        if task is None or task.endpoint == "v2":
            return self.reject("not_found", f"invalid params, task {task_id} not found")
        phase = task.phase()
        body = self._query_body(core, task, phase, self.word(phase, call))
        if phase == "succeeded":
            self.place_url(body, core.video_url(task))
        return Reply.json(self.shape(body), headers={"Trace-Id": task.id})

    def _retrieve(self, core: SimCore, call: Call) -> Reply:
        file_id = call.request.query.get("file_id", "")
        if not file_id.isdigit():
            return self.reject("invalid", "invalid params, file_id must be an integer")
        task = core.tasks.by_file_id(file_id)
        if task is None or task.protocol != self.name or task.status != "succeeded":
            return self.reject("not_found", f"invalid params, file {file_id} not found")
        url = core.video_url(task)
        try:
            size = len(core.video_bytes(task))
        except Exception as exc:  # a broken render is the gateway's 5xx, not a crash
            return self.reject("server", f"render failed: {exc}", 500)
        file = {"file_id": int(file_id), "bytes": size,
                "created_at": int(task.created_at + task.job_seconds),
                "filename": "output_aigc.mp4", "purpose": "video_generation", "download_url": url}
        return Reply.json({"file": file, "base_resp": {"status_code": 0, "status_msg": "success"}})
