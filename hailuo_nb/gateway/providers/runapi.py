"""RunAPI (docs/protocols.md §2, §11.2): Hailuo at ``/api/v1/hailuo/…``, H3 at ``/api/v1/minimax_h3/…``.

H3 is one model (``minimax-h3``) on two endpoints split by what the media are: frames go
to ``image_to_video``; text alone or text with references to ``text_to_video``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Generator, Mapping
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
#: H3 (no H3-Max on RunAPI): one model id; the native ``minimax-h3`` picks the mode from the inputs
MODELS.update({m: "minimax-h3" for m in ("hailuo-h3-text-to-video", "hailuo-h3-image-to-video",
                                          "hailuo-h3-reference-to-video")})
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
    """The poll route journaled with the task: ``text_to_video`` (Hailuo) or ``minimax_h3/…`` (H3)."""
    mode = "image_to_video" if model.input == "image" else "text_to_video"
    return f"minimax_h3/{mode}" if model.family == "h3" else mode


def _build_h3(req: PreparedRequest) -> dict[str, Any]:
    body: dict[str, Any] = {"model": req.native_model, "prompt": req.request.prompt,
                            "duration_seconds": int(req.request.duration),
                            "output_resolution": req.request.resolution.lower()}  # 768p, 2k
    if req.model.input == "image":
        if req.first_frame:
            body["first_frame_image_url"] = req.first_frame
        if req.last_frame:
            body["last_frame_image_url"] = req.last_frame
        return body  # image_to_video has no aspect_ratio field
    if req.request.ratio:
        body["aspect_ratio"] = req.request.ratio
    for kind in ("image", "video", "audio"):
        urls = req.urls(f"reference_{kind}")
        if urls:
            body[f"reference_{kind}_urls"] = urls
    return body


def build_submit(req: PreparedRequest) -> HttpCall:
    model = req.model
    if model.family == "h3":
        body = _build_h3(req)
        if req.request.callback_url:
            body["callback_url"] = req.request.callback_url
        return HttpCall("submit", "POST", f"/api/v1/{_route(model)}", json=body)
    body = {"model": req.native_model, "prompt": req.request.prompt}
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
    prefix = "/api/v1/" if "/" in route else "/api/v1/hailuo/"  # minimax_h3/… vs a Hailuo route
    return HttpCall("poll", "GET", f"{prefix}{route}/{quote(ref.task_id, safe='')}")


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
        # To the user that is a failure with a reason (docs/design.md §4), not a silent "cancelled".
        reason = reader.find_error_message(body)
        message = "RunAPI cancelled the task (this client did not ask it to)"
        message += f": {reason}" if reason else ""
        return TaskState(FAILED, raw, error=reader.failure(message, NAME))
    return TaskState(status, raw, billed_usd=cost)


def build_upload(data: bytes, mime: str, filename: str) -> HttpCall:
    source = {"type": "base64", "data": base64.b64encode(data).decode("ascii")}
    return HttpCall("upload", "POST", "/api/v1/files", json={"source": source, "file_name": filename})


#: Files up to this size go as one base64 JSON upload; larger ones by the direct upload
#: (prepare → PUT raw bytes → confirm): no 4/3 base64 inflation of a clip in memory and on
#: the wire, and the storage checks the MD5. Small frames keep the one-request path.
DIRECT_UPLOAD_OVER = 4 * 1024 * 1024


def upload_flow(data: bytes, mime: str, filename: str) -> Generator[HttpCall, Any, str]:
    """Upload one local file and return its URL: base64 when small, else prepare/PUT/confirm."""
    if len(data) <= DIRECT_UPLOAD_OVER:
        return parse_upload((yield build_upload(data, mime, filename)))
    checksum = base64.b64encode(hashlib.md5(data).digest()).decode("ascii")
    prepare = {"filename": filename, "byte_size": len(data), "checksum": checksum}
    ticket = _unwrap((yield HttpCall("upload", "POST", "/api/v1/files/prepare", json=prepare)))
    target, signed_id = ticket.get("upload_url"), ticket.get("signed_id")
    if not isinstance(target, str) or not target or not signed_id:
        raise GatewayError("RunAPI files/prepare returned no upload_url or signed_id", provider=NAME)
    headers = ticket.get("headers")
    put_headers = {str(k): str(v) for k, v in headers.items()} if isinstance(headers, Mapping) else {}
    put_headers = put_headers or {"Content-Type": mime}
    absolute = target.startswith(("http://", "https://"))
    yield HttpCall("upload", "PUT", "" if absolute else target, url=target if absolute else None,
                   content=data, headers=put_headers)
    return parse_upload((yield HttpCall("upload", "POST", "/api/v1/files/confirm",
                                        json={"signed_id": signed_id})))


def _unwrap(body: Any) -> Mapping[str, Any]:
    inner = body.get("data") if isinstance(body, Mapping) else None
    if isinstance(inner, Mapping):
        return inner
    return body if isinstance(body, Mapping) else {}


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
    upload_flow=upload_flow,
    price=price,
    price_source=PRICE_SOURCE,
    prompt_max=PROMPT_MAX,
    label="RunAPI",
    docs_url="https://runapi.ai/models/hailuo",
)
