"""RunningHub Standard Model API v2 (docs/protocols.md §4): one endpoint per model, POST /query.

All keys are camelCase, ``duration`` is a string, ``enablePromptExpansion`` is required,
and errors arrive in-band as a non-empty ``errorCode``/``errorMessage``. MiniMax H3
(§11.3) has one endpoint per mode, takes no ``enablePromptExpansion`` (a field outside an
endpoint's schema is refused), offers 5–15 s, and reports its CNY bill in ``usage``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hailuo_nb.errors import (
    AuthenticationError,
    ContentPolicyError,
    GatewayError,
    HailuoError,
    InsufficientCreditsError,
    RateLimitError,
)
from hailuo_nb.gateway.catalog import ModelSpec, native_spec
from hailuo_nb.gateway.pricing import PerSecond, Price, PriceQuery
from hailuo_nb.gateway.providers import reader
from hailuo_nb.gateway.providers.base import HttpCall, PreparedRequest, Provider
from hailuo_nb.gateway.task import FAILED, QUEUED, RUNNING, SUCCEEDED, TaskRef, TaskState

NAME = "runninghub"

MODELS = {
    "hailuo-02-text-to-video-standard": "minimax/hailuo-02/t2v-standard",
    "hailuo-02-text-to-video-pro": "minimax/hailuo-02/t2v-pro",
    "hailuo-02-image-to-video-standard": "minimax/hailuo-02/i2v-standard",
    "hailuo-02-image-to-video-pro": "minimax/hailuo-02/i2v-pro",
    "hailuo-2.3-text-to-video-standard": "minimax/hailuo-2.3/t2v-standard",
    "hailuo-2.3-text-to-video-pro": "minimax/hailuo-2.3/t2v-pro",
    "hailuo-2.3-image-to-video-standard": "minimax/hailuo-2.3/i2v-standard",
    "hailuo-2.3-image-to-video-pro": "minimax/hailuo-2.3/image-to-video-pro",
    "hailuo-2.3-fast-image-to-video-standard": "minimax/hailuo-2.3-fast/image-to-video",
    "hailuo-2.3-fast-image-to-video-pro": "minimax/hailuo-2.3-fast-pro/image-to-video",
    "hailuo-h3-text-to-video": "minimax/hailuo-h3/text-to-video",
    "hailuo-h3-image-to-video": "minimax/hailuo-h3/image-to-video",
    "hailuo-h3-reference-to-video": "minimax/hailuo-h3/multimodal-to-video",
    "hailuo-h3-max-text-to-video": "minimax/hailuo-h3-max/text-to-video",  # H3-Max frames: not documented
}
_H3 = ("minimax/hailuo-h3/", "minimax/hailuo-h3-max/")
#: RunningHub offers no 4 s H3 clip (a string "5".."15")
DURATIONS = {m: tuple(range(5, 16)) for m, endpoint in MODELS.items() if endpoint.startswith(_H3)}
NATIVE_MODELS: dict[str, ModelSpec] = {
    "minimax/hailuo-02/standard": native_spec(
        "minimax/hailuo-02/standard", "02", "any", (6, 10), ("768p",), last_frame=True
    ),
    "minimax/hailuo-02/pro": native_spec(
        "minimax/hailuo-02/pro", "02", "any", (6,), ("1080p",), last_frame=True, tier="pro"
    ),
    "minimax/hailuo-02/fast": native_spec("minimax/hailuo-02/fast", "02", "image", (6, 10), ("512p",)),
}
#: No resolution field: the standard endpoints render 768p only.
RESOLUTIONS = {"hailuo-02-image-to-video-standard": ("768p",)}

PRICE_SOURCE = "RunningHub .cn price tables (2026-04-29; H3 2026-09-21), CNY (docs/protocols.md §4.1, §11.4)"
#: (family, tier, duration) -> CNY per call
PER_CALL = {
    ("02", "standard", 6): 1.5,
    ("02", "standard", 10): 3.0,
    ("02", "pro", 6): 2.63,
    ("2.3", "standard", 6): 1.5,
    ("2.3", "standard", 10): 3.0,
    ("2.3", "pro", 6): 2.63,
    ("2.3-fast", "standard", 6): 1.01,
    ("2.3-fast", "standard", 10): 1.69,
    ("2.3-fast", "pro", 6): 1.73,
}
#: H3: per output second; reference video seconds at the same rate; images beyond 5 ¥0.20.
H3_PRICES = PerSecond({"768p": 0.48, "2k": 0.77}, free_images=5, per_extra_image=0.20)


def price(query: PriceQuery) -> Price | None:
    spec = query.model
    if spec.family == "h3":
        amount = H3_PRICES.amount(query)
    else:
        amount = PER_CALL.get((spec.family, spec.tier, query.duration))
    return None if amount is None else Price(amount, "CNY", PRICE_SOURCE)


#: Endpoints whose duration is fixed (no ``duration`` field is sent).
_FIXED_DURATION = {"t2v-pro", "i2v-pro", "image-to-video-pro"}
#: Endpoints whose images are first/last frame fields; the rest take ``imageUrl``.
_FRAME_FIELDS = ("minimax/hailuo-02/",)
_PENDING_CODES = {"804", "813"}  # task still running / queued
_CODES: dict[str, type[HailuoError]] = {
    "802": AuthenticationError,
    "801": InsufficientCreditsError,
    "812": InsufficientCreditsError,
    "415": RateLimitError,
    "421": RateLimitError,
    "1505": ContentPolicyError,
}
_STATUS_WORDS = {"create": QUEUED, "queued": QUEUED, "running": RUNNING}


def normalize_base_url(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/openapi/v2") else url + "/openapi/v2"


def _build_h3(req: PreparedRequest) -> dict[str, Any]:
    """An H3 body: no enablePromptExpansion; ratio on text and multimodal only; media by URL."""
    request = req.request
    body: dict[str, Any] = {"prompt": request.prompt, "duration": str(request.duration),
                            "resolution": request.resolution.upper()}
    if req.native_model.endswith("/image-to-video"):
        if req.first_frame:
            body["firstFrameUrl"] = req.first_frame
        if req.last_frame:
            body["lastFrameUrl"] = req.last_frame
        return body
    if request.ratio:
        body["ratio"] = request.ratio
    for kind, key in (("image", "imageUrls"), ("video", "videoUrls"), ("audio", "audioUrls")):
        urls = req.urls(f"reference_{kind}")
        if urls:
            body[key] = urls
    return body


def build_submit(req: PreparedRequest) -> HttpCall:
    endpoint = req.native_model
    request = req.request
    if endpoint.startswith(_H3):
        return HttpCall("submit", "POST", "/" + endpoint, json=_build_h3(req))
    body: dict[str, Any] = {"prompt": request.prompt, "enablePromptExpansion": request.prompt_optimizer}
    if endpoint.rsplit("/", 1)[-1] not in _FIXED_DURATION:
        body["duration"] = str(req.request.duration)
    if endpoint.startswith(_FRAME_FIELDS) and not endpoint.endswith("/fast"):
        if req.first_frame:
            body["firstImageUrl"] = req.first_frame
        if req.last_frame:
            body["lastImageUrl"] = req.last_frame
    elif req.first_frame:
        body["imageUrl"] = req.first_frame
    return HttpCall("submit", "POST", "/" + endpoint, json=body)


def parse_submit(body: Any, req: PreparedRequest) -> TaskRef:
    task_id = reader.find_task_id(body)
    if not task_id:
        raise GatewayError("RunningHub accepted the request but returned no taskId", provider=NAME)
    return TaskRef(task_id)


def build_poll(ref: TaskRef) -> HttpCall:
    return HttpCall("poll", "POST", "/query", json={"taskId": ref.task_id})


def parse_poll(body: Any) -> TaskState:
    raw = reader.find_status(body)
    if _error_code(body) in _PENDING_CODES:
        return TaskState(RUNNING, raw)
    status = reader.map_status(raw, _STATUS_WORDS)
    if status == SUCCEEDED:
        url = reader.find_video_url(body)
        if not url:
            raise GatewayError("RunningHub reported SUCCESS without results", provider=NAME)
        return TaskState(SUCCEEDED, raw, video_url=url, billed_note=_billed(body))
    if status == FAILED:
        message = _message(body) or "RunningHub reported the task failed"
        code = _error_code(body)
        error = reader.failure(message, NAME, code or None, policy=code == "1505")
        return TaskState(FAILED, raw, error=error)
    return TaskState(status, raw)


def _billed(body: Any) -> str | None:
    """The model's CNY bill (``usage.thirdPartyConsumeMoney``), as a note: not converted to USD."""
    money = reader.find_number(body, "thirdPartyConsumeMoney")
    return None if money is None else f"RunningHub billed ¥{money:.2f} (usage.thirdPartyConsumeMoney)"


def build_upload(data: bytes, mime: str, filename: str) -> HttpCall:
    return HttpCall("upload", "POST", "/media/upload/binary", files={"file": (filename, data, mime)})


def parse_upload(body: Any) -> str:
    url = reader.find_video_url(body)
    if not url:
        raise GatewayError("RunningHub upload returned no download_url", provider=NAME)
    return url


def check_body(body: Any) -> HailuoError | None:
    """A non-empty errorCode/errorMessage is an error, except 804/813 (still pending)."""
    if not isinstance(body, Mapping):
        return None
    code = _error_code(body)
    if code in _PENDING_CODES:
        return None
    if isinstance(body.get("code"), int) and body["code"] != 0:  # the upload endpoint's shape
        return GatewayError(str(body.get("message") or "upload failed"), provider=NAME)
    status = reader.map_status(reader.find_status(body), _STATUS_WORDS) if "status" in body else None
    if status == FAILED and reader.find_task_id(body):
        return None  # a failed task: parse_poll reports it with the task id
    message = _message(body)
    if not code and not message:
        return None
    cls = _CODES.get(code, GatewayError)
    return cls(message or f"RunningHub error {code}", provider=NAME, code=code or None)


def _error_code(body: Any) -> str:
    value = body.get("errorCode") if isinstance(body, Mapping) else None
    return "" if value in (None, "", 0) else str(value)


def _message(body: Any) -> str | None:
    value = body.get("errorMessage") if isinstance(body, Mapping) else None
    if value:
        return str(value)
    reason = body.get("failedReason") if isinstance(body, Mapping) else None
    return str(reason) if reason else None


PROVIDER = Provider(
    name=NAME,
    key_env="RUNNINGHUB_API_KEY",
    base_url_env="RUNNINGHUB_BASE_URL",
    default_base_url="https://www.runninghub.ai/openapi/v2",
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
    resolutions=RESOLUTIONS,
    durations=DURATIONS,
    price=price,
    price_source=PRICE_SOURCE,
    label="RunningHub",
    docs_url="https://www.runninghub.ai",
)
