"""RunningHub standard-model API v2 (docs/protocols.md §4), under `/openapi/v2`.

Routes: `POST /openapi/v2/minimax/<endpoint>` for the 13 endpoints of table 4.1,
`POST /openapi/v2/query` with `{"taskId"}`, and `POST /openapi/v2/media/upload/binary`
(multipart field `file`, answering `{"code": 0, "data": {"download_url"}}`).

Every submit needs `enablePromptExpansion` (bool); `duration` is a string ("6"/"10",
or "6" only on the fixed-duration pro endpoints); image fields (`firstImageUrl`,
`lastImageUrl`, `imageUrl`) must belong to the endpoint. Replies carry `taskId`,
`status` (CREATE/QUEUED/RUNNING/SUCCESS/FAILED), `errorCode: ""`, `errorMessage: ""`,
`results` (null, then `[{"url", "outputType": "mp4", "nodeId"}]`), `clientId`,
`promptTips`, and on success `usage`. A failed task has `errorCode` "416" (or "1505" for
content policy) and `failedReason`. Refusals use HTTP status plus the same fields:
400 `301` PARAMS_INVALID, 401 `802` APIKEY_UNAUTHORIZED, 402 `812`, 404 `807`
TASK_NOT_FOUND; a content-policy refusal of a submit is in-band (HTTP 200, `1505`).
Variant `refusal_http=200` answers validation refusals in-band too (HTTP 200, `301`).

H3 endpoints (`minimax/hailuo-h3/...`, `minimax/hailuo-h3-max/...`) are in
runninghub_h3. `POST /task/openapi/cancel` at the host root (not under `/openapi/v2`)
takes `{"apiKey", "taskId"}` (the key in the body, or a Bearer header) and answers
`{"code": 0}` for a task still queued or running (it then polls `CANCEL`), 807 for an
unknown task, 817 for one that has finished.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..core import Call, SimCore
from ..httpio import BadRequest, Reply
from ..tasks import SimTask
from . import runninghub_h3
from .base import BaseProtocol, Handler, Invalid


@dataclass(frozen=True)
class Endpoint:
    """One row of table 4.1: required/optional fields, durations, nominal resolution."""

    prompt_required: bool
    images: dict[str, bool]  # field -> required
    durations: tuple[str, ...]
    resolution: str
    price: tuple[float, float]  # CNY for 6 s / 10 s


ENDPOINTS = {
    "hailuo-02/t2v-standard": Endpoint(True, {}, ("6", "10"), "768P", (1.5, 3.0)),
    "hailuo-02/t2v-pro": Endpoint(True, {}, ("6",), "1080P", (2.63, 2.63)),
    "hailuo-02/i2v-standard": Endpoint(False, {"firstImageUrl": True, "lastImageUrl": False},
                                       ("6", "10"), "768P", (1.5, 3.0)),
    "hailuo-02/i2v-pro": Endpoint(False, {"firstImageUrl": True, "lastImageUrl": False},
                                  ("6",), "1080P", (2.63, 2.63)),
    "hailuo-02/standard": Endpoint(True, {"firstImageUrl": False, "lastImageUrl": False},
                                   ("6", "10"), "768P", (1.5, 3.0)),
    "hailuo-02/pro": Endpoint(True, {"firstImageUrl": False, "lastImageUrl": False},
                              ("6",), "1080P", (2.63, 2.63)),
    "hailuo-02/fast": Endpoint(False, {"imageUrl": True}, ("6", "10"), "512P", (0.45, 0.75)),
    "hailuo-2.3/t2v-standard": Endpoint(True, {}, ("6", "10"), "768P", (1.5, 3.0)),
    "hailuo-2.3/t2v-pro": Endpoint(True, {}, ("6",), "1080P", (2.63, 2.63)),
    "hailuo-2.3/i2v-standard": Endpoint(False, {"imageUrl": True}, ("6", "10"), "768P",
                                        (1.5, 3.0)),
    "hailuo-2.3/image-to-video-pro": Endpoint(False, {"imageUrl": True}, ("6",), "1080P",
                                              (2.63, 2.63)),
    "hailuo-2.3-fast/image-to-video": Endpoint(True, {"imageUrl": True}, ("6", "10"), "768P",
                                               (1.01, 1.69)),
    "hailuo-2.3-fast-pro/image-to-video": Endpoint(True, {"imageUrl": True}, ("6",), "1080P",
                                                   (1.73, 1.73)),
}
IMAGE_FIELDS = ("firstImageUrl", "lastImageUrl", "imageUrl")
ERROR_CODES = {"bad_request": ("301", "PARAMS_INVALID"), "invalid": ("301", "PARAMS_INVALID"),
               "auth": ("802", "APIKEY_UNAUTHORIZED"),
               "auth_malformed": ("802", "APIKEY_UNAUTHORIZED"),
               "credits": ("812", "INSUFFICIENT_FUNDS"), "policy": ("1505", "CONTENT_POLICY"),
               "not_found": ("807", "TASK_NOT_FOUND"), "rate_limit": ("421", "TASK_QUEUE_MAXED"),
               "server": ("500", "UNKNOWN_ERROR")}
PROMPT_TIPS = json.dumps({"result": True, "error": None, "outputs_to_execute": ["9"],
                          "node_errors": {}})


class RunningHub(BaseProtocol):
    """runninghub.ai / .cn standard-model API."""

    name = "runninghub"
    id_key = "taskId"
    id_digits = 19
    url_location = "results[].url"
    envelope = ("errorCode", "errorMessage")
    extra_options = {"refusal_http": (400, 200)}
    extra_defaults = {"refusal_http": 400}
    served_models = (*ENDPOINTS, *runninghub_h3.ENDPOINTS)
    audio_models = tuple(runninghub_h3.ENDPOINTS)

    def routes(self) -> list[tuple[str, str, str, Handler]]:
        """Endpoint submits, query, binary upload and the root-level cancel."""
        v2 = "/openapi/v2"
        return [("POST", rf"{v2}/minimax/(?P<endpoint>.+)", "submit", self._submit),
                ("POST", rf"{v2}/query", "poll", self._poll),
                ("POST", rf"{v2}/media/upload/binary", "upload", self._upload),
                ("POST", r"/task/openapi/cancel", "cancel", self._cancel)]

    def authorization(self, call: Call) -> str:
        """The cancel route takes the key as `apiKey` in the body."""
        header = call.request.header("authorization")
        if header or call.request.path != "/task/openapi/cancel":
            return header
        try:
            key = call.request.json_object().get("apiKey")
        except BadRequest:
            return ""
        return f"Bearer {key}" if isinstance(key, str) and key else ""

    def error_body(self, reason: str, status: int, message: str) -> dict[str, Any]:
        """The task-shaped body with errorCode/errorMessage."""
        code, label = ERROR_CODES.get(reason, ("500", "UNKNOWN_ERROR"))
        return {"taskId": "", "status": "FAILED", "errorCode": code,
                "errorMessage": f"{label}: {message}", "results": None}

    def reject(self, reason: str, message: str, status: int | None = None) -> Reply:
        """Content-policy refusals are in-band (HTTP 200); validation ones per `refusal_http`."""
        if status is None and reason in ("invalid", "bad_request"):
            status = self.options["refusal_http"]
        return super().reject(reason, message, status or (200 if reason == "policy" else None))

    def _parse(self, core: SimCore, name: str, body: dict[str, Any]) -> dict[str, Any]:
        ep = ENDPOINTS[name]
        if not isinstance(body.get("enablePromptExpansion"), bool):
            raise Invalid("enablePromptExpansion is required (boolean)")
        prompt = body.get("prompt", "")
        if not isinstance(prompt, str) or len(prompt) > 2000:
            raise Invalid("prompt must be a string of at most 2000 characters")
        if ep.prompt_required and not prompt.strip():
            raise Invalid("prompt is required")
        duration = body.get("duration", "6")
        if duration not in ep.durations:
            raise Invalid(f"duration must be one of {list(ep.durations)} (a string), "
                          f"got {duration!r}")
        frames: dict[str, bytes | None] = {}
        for key in IMAGE_FIELDS:
            if body.get(key) is None:
                if ep.images.get(key):
                    raise Invalid(f"{key} is required")
                continue
            if key not in ep.images:
                raise Invalid(f"{key} is not a field of minimax/{name}; "
                              f"fields: {sorted(ep.images) or 'prompt only'}")
            frames[key] = core.load_image(body[key], key)
        first = frames.get("firstImageUrl") or frames.get("imageUrl")
        return {"model": name, "endpoint": name, "prompt": prompt, "duration": int(duration),
                "resolution": ep.resolution, "first_frame": first,
                "last_frame": frames.get("lastImageUrl"), "params": body}

    def _reply(self, core: SimCore, call: Call, task: SimTask) -> dict[str, Any]:
        phase = task.phase()
        body: dict[str, Any] = {"taskId": task.id, "status": self.word(phase, call),
                                "errorCode": "", "errorMessage": "", "results": None,
                                "clientId": task.file_id.rjust(32, "0"),
                                "promptTips": PROMPT_TIPS}
        if phase == "succeeded":
            self.place_url(body, core.video_url(task))
            if task.price is not None:  # H3: the model's CNY plus the platform's coins
                body["usage"] = {"consumeMoney": None,
                                 "consumeCoins": runninghub_h3.PLATFORM_COINS,
                                 "thirdPartyConsumeMoney": task.price,
                                 "taskCostTime": round(task.job_seconds, 3)}
            else:
                price = ENDPOINTS[task.model].price[0 if task.duration == 6 else 1]
                body["usage"] = {"consumeMoney": price, "consumeCoins": None,
                                 "taskCostTime": round(task.job_seconds, 3)}
        elif phase == "failed":
            body["errorCode"] = "1505" if task.fail_code == "policy" else "416"
            body["errorMessage"] = task.fail_message or "task failed"
            body["failedReason"] = {"exception_message": body["errorMessage"], "node_id": "9"}
        return body

    def _submit(self, core: SimCore, call: Call) -> Reply:
        name = call.match["endpoint"]
        if name in runninghub_h3.ENDPOINTS:
            task = self.accept(core, call, lambda body: runninghub_h3.parse(core, name, body))
        elif name in ENDPOINTS:
            task = self.accept(core, call, lambda body: self._parse(core, name, body))
        else:
            return self.reject("not_found", f"endpoint minimax/{name} does not exist")
        if isinstance(task, Reply):
            return task
        return Reply.json(self.shape(self._reply(core, call, task)))

    def _poll(self, core: SimCore, call: Call) -> Reply:
        try:
            task_id = call.request.json_object().get("taskId")
        except BadRequest as exc:
            return self.reject("bad_request", str(exc))
        if not isinstance(task_id, (str, int)) or isinstance(task_id, bool) or task_id == "":
            return self.reject("invalid", "taskId is required")
        task = core.lookup(call, str(task_id), self.name)
        if task is None:
            return self.reject("not_found", f"task {task_id} not found")
        return Reply.json(self.shape(self._reply(core, call, task)))

    def _cancel(self, core: SimCore, call: Call) -> Reply:
        try:
            task_id = call.request.json_object().get("taskId")
        except BadRequest as exc:
            return Reply.json({"code": 301, "msg": str(exc), "data": None}, 400)
        task = core.tasks.get(str(task_id), self.name) if task_id else None
        if task is None:
            return Reply.json({"code": 807, "msg": "TASK_NOT_FOUND", "data": None})
        if task.status not in ("queued", "running"):
            return Reply.json({"code": 817, "msg": "TASK_CAN_NOT_CANCEL", "data": None})
        task.cancel()
        return Reply.json({"code": 0, "msg": "success", "data": None})

    def _upload(self, core: SimCore, call: Call) -> Reply:
        try:
            data, filename, ctype = call.request.multipart_file("file")
        except BadRequest as exc:
            return Reply.json({"code": 301, "msg": str(exc), "message": str(exc), "data": None},
                              400)
        if ctype in ("application/octet-stream", "text/plain"):
            from ..media import sniff_image_type

            ctype = sniff_image_type(data)
        stored = core.media.put_file(data, ctype, filename, self.name)
        return Reply.json({"code": 0, "msg": "success", "data": {
            "download_url": core.file_url(stored), "fileName": filename, "type": "image"}})
