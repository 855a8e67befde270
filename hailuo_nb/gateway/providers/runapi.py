"""RunAPI (protocols.md §2): ``/api/v1/hailuo/{text_to_video|image_to_video}``, current vocabulary."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from hailuo_nb.errors import GatewayError, HailuoError
from hailuo_nb.gateway.catalog import ModelSpec
from hailuo_nb.gateway.pricing import Price, PriceQuery
from hailuo_nb.gateway.providers import reader
from hailuo_nb.gateway.providers.base import HttpCall, PreparedRequest, Provider
from hailuo_nb.gateway.task import CANCELLED, FAILED, SUCCEEDED, TaskRef, TaskState

NAME = "runapi"

#: RunAPI's slugs are the canonical ids; Hailuo 2.3 is image-to-video only there.
MODELS = {
    m: m
    for m in (
        "hailuo-02-text-to-video-pro",
        "hailuo-02-text-to-video-standard",
        "hailuo-02-image-to-video-pro",
        "hailuo-02-image-to-video-standard",
        "hailuo-2.3-image-to-video-pro",
        "hailuo-2.3-image-to-video-standard",
    )
}
NATIVE_MODELS: dict[str, ModelSpec] = {}
#: RunAPI's own prompt limits (its SDK's help text): 1500 on Hailuo 02, 5000 on 2.3.
PROMPT_MAX = {"02": 1500, "2.3": 5000}

PRICE_SOURCE = "RunAPI model pages, USD (docs/protocols.md §7)"
#: (canonical model, resolution or None = any, duration or None = any) -> USD per video
PER_VIDEO = {
    ("hailuo-02-text-to-video-pro", None, None): 0.57,
    ("hailuo-02-text-to-video-standard", None, 6): 0.30,
    ("hailuo-02-text-to-video-standard", None, 10): 0.50,
    ("hailuo-02-image-to-video-standard", "512p", 6): 0.12,
    ("hailuo-2.3-image-to-video-standard", None, None): 0.50,
}


def price(query: PriceQuery) -> Price | None:
    model, res, seconds = query.model.id, query.resolution, query.duration
    for key in ((model, res, seconds), (model, None, seconds), (model, None, None)):
        if key in PER_VIDEO:
            return Price(PER_VIDEO[key], "USD", PRICE_SOURCE)
    return None  # H3: not published; completed tasks report usage.cost (billed_usd)


def normalize_base_url(url: str) -> str:
    return reader.strip_suffix(url, "/api/v1/hailuo", "/api/v1")


def _route(model: ModelSpec) -> str:
    return "image_to_video" if model.input == "image" else "text_to_video"


def build_submit(req: PreparedRequest) -> HttpCall:
    model = req.model
    body: dict[str, Any] = {"model": req.native_model, "prompt": req.request.prompt}
    if req.first_frame:
        body["first_frame_image_url"] = req.first_frame
    if req.last_frame:
        body["last_frame_image_url"] = req.last_frame
    if model.tier == "standard":  # pro durations are fixed; sending one is rejected
        body["duration_seconds"] = req.request.duration
    if model.input == "image" and not (model.family == "02" and model.tier == "pro"):
        body["output_resolution"] = req.request.resolution.lower()
    if model.family == "02":  # rejected on 2.3 models
        body["prompt_optimizer"] = req.request.prompt_optimizer
    if req.request.callback_url:
        body["callback_url"] = req.request.callback_url
    return HttpCall("submit", "POST", f"/api/v1/hailuo/{_route(model)}", json=body)


def parse_submit(body: Any, req: PreparedRequest) -> TaskRef:
    task_id = reader.find_task_id(body)
    if not task_id:
        raise GatewayError("RunAPI accepted the request but returned no task id", provider=NAME)
    return TaskRef(task_id, route=_route(req.model))


def build_poll(ref: TaskRef) -> HttpCall:
    route = ref.route or "text_to_video"
    return HttpCall("poll", "GET", f"/api/v1/hailuo/{route}/{quote(ref.task_id, safe='')}")


def parse_poll(body: Any) -> TaskState:
    raw = reader.find_status(body)
    status = reader.map_status(raw)
    cost = reader.find_number(body, "cost")
    if status == SUCCEEDED:
        url = reader.find_video_url(body)
        if not url:
            raise GatewayError("RunAPI reported completion without a video URL", provider=NAME)
        return TaskState(SUCCEEDED, raw, video_url=url, billed_usd=cost)
    if status == FAILED:
        message = reader.find_error_message(body) or "RunAPI reported the generation failed"
        return TaskState(FAILED, raw, error=reader.failure(message, NAME))
    if status == CANCELLED:
        # RunAPI has no cancel call, so this client never asked: the gateway gave up on the task.
        # To the user that is a failure with a reason (DESIGN §4), not a silent "cancelled".
        reason = reader.find_error_message(body)
        message = "RunAPI cancelled the task (this client did not ask it to)"
        message += f": {reason}" if reason else ""
        return TaskState(FAILED, raw, error=reader.failure(message, NAME))
    return TaskState(status, raw, billed_usd=cost)


def build_upload(data: bytes, mime: str, filename: str) -> HttpCall:
    source = {"type": "base64", "data": base64.b64encode(data).decode("ascii")}
    return HttpCall("upload", "POST", "/api/v1/files", json={"source": source, "file_name": filename})


def parse_upload(body: Any) -> str:
    url = reader.find_video_url(body)  # the file's url sits where a video's would
    if not url:
        raise GatewayError("RunAPI file upload returned no url", provider=NAME)
    return url


def check_body(body: Any) -> HailuoError | None:
    return None  # RunAPI reports errors with HTTP status codes


PROVIDER = Provider(
    name=NAME,
    key_env="RUNAPI_API_KEY",
    base_url_env="RUNAPI_BASE_URL",
    default_base_url="https://runapi.ai",
    models=MODELS,
    native_models=NATIVE_MODELS,
    image_mode="upload",
    normalize_base_url=normalize_base_url,
    build_submit=build_submit,
    parse_submit=parse_submit,
    build_poll=build_poll,
    parse_poll=parse_poll,
    check_body=check_body,
    build_upload=build_upload,
    parse_upload=parse_upload,
    price=price,
    price_source=PRICE_SOURCE,
    prompt_max=PROMPT_MAX,
    label="RunAPI",
    docs_url="https://runapi.ai/models/hailuo",
)
