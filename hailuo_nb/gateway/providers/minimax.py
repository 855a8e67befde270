"""MiniMax's own API: v1 (docs/protocols.md §1: submit, query, files/retrieve) and, for H3, v2 (§11.1).

The H3 families go through :mod:`minimax_v2` (dispatch on the model family when
submitting, on ``TaskRef.route == "v2"`` or the reply's shape afterwards); v1 models
are unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hailuo_nb.errors import (
    AuthenticationError,
    ContentPolicyError,
    ContentPolicyFailure,
    GatewayError,
    GatewayValidationError,
    HailuoError,
    InsufficientCreditsError,
    RateLimitError,
)
from hailuo_nb.gateway.catalog import ModelSpec, native_spec
from hailuo_nb.gateway.pricing import Price, PriceQuery
from hailuo_nb.gateway.providers import minimax_v2, reader
from hailuo_nb.gateway.providers.base import HttpCall, PreparedRequest, Provider, RateLimits
from hailuo_nb.gateway.task import FAILED, SUCCEEDED, TaskRef, TaskState

NAME = "minimax"

MODELS = {
    "hailuo-02-text-to-video-standard": "MiniMax-Hailuo-02",
    "hailuo-02-text-to-video-pro": "MiniMax-Hailuo-02",
    "hailuo-02-image-to-video-standard": "MiniMax-Hailuo-02",
    "hailuo-02-image-to-video-pro": "MiniMax-Hailuo-02",
    "hailuo-2.3-text-to-video-standard": "MiniMax-Hailuo-2.3",
    "hailuo-2.3-text-to-video-pro": "MiniMax-Hailuo-2.3",
    "hailuo-2.3-image-to-video-standard": "MiniMax-Hailuo-2.3",
    "hailuo-2.3-image-to-video-pro": "MiniMax-Hailuo-2.3",
    "hailuo-2.3-fast-image-to-video-standard": "MiniMax-Hailuo-2.3-Fast",
    "hailuo-2.3-fast-image-to-video-pro": "MiniMax-Hailuo-2.3-Fast",
    # v2 API; one native id for several modes: the request's inputs pick the canonical model
    "hailuo-h3-text-to-video": "MiniMax-H3",
    "hailuo-h3-image-to-video": "MiniMax-H3",
    "hailuo-h3-reference-to-video": "MiniMax-H3",
    "hailuo-h3-max-text-to-video": "MiniMax-H3-Max",
    "hailuo-h3-max-image-to-video": "MiniMax-H3-Max",
}

_LEGACY = ("T2V-01", "T2V-01-Director", "I2V-01", "I2V-01-Director", "I2V-01-live")
NATIVE_MODELS: dict[str, ModelSpec] = {
    "MiniMax-Hailuo-02": native_spec(
        "MiniMax-Hailuo-02", "02", "any", (6, 10), ("512p", "768p", "1080p"), last_frame=True
    ),
    "MiniMax-Hailuo-2.3": native_spec("MiniMax-Hailuo-2.3", "2.3", "any", (6, 10), ("768p", "1080p")),
    "MiniMax-Hailuo-2.3-Fast": native_spec(
        "MiniMax-Hailuo-2.3-Fast", "2.3-fast", "image", (6, 10), ("768p", "1080p")
    ),
    **{
        name: native_spec(name, "02", "image" if name.startswith("I2V") else "text", (6,), ("720p",))
        for name in _LEGACY
    },
}

# base_resp.status_code -> error class (docs/protocols.md §1.6; 1002/1039 follow the docs, not the CLI)
_CODES: dict[int, type[HailuoError]] = {
    1002: RateLimitError,
    1039: RateLimitError,
    1041: RateLimitError,
    1004: AuthenticationError,
    2049: AuthenticationError,
    2038: AuthenticationError,
    1008: InsufficientCreditsError,
    1028: InsufficientCreditsError,
    1030: InsufficientCreditsError,
    2056: InsufficientCreditsError,
    1026: ContentPolicyError,
    1027: ContentPolicyFailure,  # reported on query only: the task was accepted, then its video refused
    2013: GatewayValidationError,
}


PRICE_SOURCE = "MiniMax pay-as-you-go list price, USD (docs/protocols.md §7, §11.4)"
#: (family, resolution, duration) -> USD per video
PER_VIDEO = {
    ("02", "768p", 6): 0.28,
    ("02", "768p", 10): 0.56,
    ("02", "1080p", 6): 0.49,
    ("02", "512p", 6): 0.10,
    ("02", "512p", 10): 0.15,
    ("2.3", "768p", 6): 0.28,
    ("2.3", "768p", 10): 0.56,
    ("2.3", "1080p", 6): 0.49,
    ("2.3-fast", "768p", 6): 0.19,
    ("2.3-fast", "768p", 10): 0.32,
    ("2.3-fast", "1080p", 6): 0.33,
}
#: H3: per output second, first five input images free then $0.04 each, reference
#: video seconds at the output rate, audio free. H3 Max prices are not published.
H3_PRICES = minimax_v2.H3_PRICES


def price(query: PriceQuery) -> Price | None:
    family = query.model.family
    if family == "h3":
        amount = H3_PRICES.amount(query)
    else:
        amount = PER_VIDEO.get((family, query.resolution, query.duration))
    return None if amount is None else Price(amount, "USD", PRICE_SOURCE)


def normalize_base_url(url: str) -> str:
    return reader.strip_suffix(url, "/v1")


def build_submit(req: PreparedRequest) -> HttpCall:
    if minimax_v2.uses_v2(req):
        return minimax_v2.build_submit(req)
    body: dict[str, Any] = {
        "model": req.native_model,
        "prompt": req.request.prompt,
        "prompt_optimizer": req.request.prompt_optimizer,
    }
    if req.native_model not in _LEGACY:  # the 01-series reject duration/resolution
        body["duration"] = req.request.duration
        body["resolution"] = req.request.resolution.upper()
    if req.first_frame:
        body["first_frame_image"] = req.first_frame
    if req.last_frame:
        body["last_frame_image"] = req.last_frame
    if req.request.callback_url:
        body["callback_url"] = req.request.callback_url
    return HttpCall("submit", "POST", "/v1/video_generation", json=body)


def parse_submit(body: Any, req: PreparedRequest) -> TaskRef:
    if minimax_v2.uses_v2(req):
        return minimax_v2.parse_submit(body, req)
    task_id = reader.find_task_id(body)
    if not task_id:
        raise GatewayError("MiniMax accepted the request but returned no task_id", provider=NAME)
    return TaskRef(task_id)


def build_poll(ref: TaskRef) -> HttpCall:
    if ref.route == minimax_v2.ROUTE:
        return minimax_v2.build_poll(ref)
    return HttpCall("poll", "GET", "/v1/query/video_generation", params={"task_id": ref.task_id})


def parse_poll(body: Any) -> TaskState:
    if minimax_v2.is_v2_reply(body):
        return minimax_v2.parse_poll(body)
    raw = reader.find_status(body)
    status = reader.map_status(raw)
    if status == SUCCEEDED:
        file_id = _file_id(body)
        url = reader.find_video_url(body)
        if not file_id and not url:
            raise GatewayError("MiniMax reported success without a file_id", provider=NAME)
        top = reader.unwrap(body)[0] if reader.unwrap(body) else {}
        return TaskState(
            SUCCEEDED,
            raw,
            video_url=url,
            file_id=file_id,
            width=_int(top.get("video_width")),
            height=_int(top.get("video_height")),
        )
    if status == FAILED:
        message = (
            _status_msg(body) or reader.find_error_message(body) or "MiniMax reported the generation failed"
        )
        return TaskState(FAILED, raw, error=_failure(body, message))
    return TaskState(status, raw)


def build_retrieve(file_id: str) -> HttpCall:
    return HttpCall("retrieve", "GET", "/v1/files/retrieve", params={"file_id": file_id})


def parse_retrieve(body: Any) -> str:
    url = reader.find_video_url(body.get("file") if isinstance(body, Mapping) else None)
    url = url or reader.find_video_url(body)
    if not url:
        raise GatewayError("MiniMax files/retrieve returned no download_url", provider=NAME)
    return url


def check_body(body: Any) -> HailuoError | None:
    """``base_resp.status_code != 0`` is an error even on HTTP 200.

    Except on a query reply that reports the task as failed (1027: the video was refused
    by moderation): that is the task's failure, read by :func:`parse_poll`, not the call's.
    """
    code = _base_code(body)
    if not code or reader.map_status(reader.find_status(body) or "processing") == FAILED:
        return None
    message = str(body["base_resp"].get("status_msg") or f"MiniMax error {code}")
    cls = _CODES.get(code, GatewayError)
    return cls(message, provider=NAME, code=str(code))


def _failure(body: Any, message: str) -> HailuoError:
    """An accepted task that failed: a GenerationFailed, and a ContentPolicyError too on 1026/1027."""
    code = _base_code(body)
    return reader.failure(message, NAME, str(code) if code else None, policy=code in (1026, 1027))


def _status_msg(body: Any) -> str | None:
    base = body.get("base_resp") if isinstance(body, Mapping) else None
    msg = base.get("status_msg") if isinstance(base, Mapping) else None
    return str(msg) if msg and str(msg).lower() != "success" else None


def _base_code(body: Any) -> int:
    base = body.get("base_resp") if isinstance(body, Mapping) else None
    if not isinstance(base, Mapping):
        return 0
    try:
        return int(base.get("status_code") or 0)
    except (TypeError, ValueError):
        return 0


def _file_id(body: Any) -> str | None:
    for obj in reader.unwrap(body):
        value = obj.get("file_id")
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
            return str(value)
    return None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


PROVIDER = Provider(
    name=NAME,
    key_env="MINIMAX_API_KEY",
    base_url_env="MINIMAX_BASE_URL",
    default_base_url="https://api.minimax.io",
    models=MODELS,
    native_models=NATIVE_MODELS,
    image_mode="data_url",
    normalize_base_url=normalize_base_url,
    build_submit=build_submit,
    parse_submit=parse_submit,
    build_poll=build_poll,
    parse_poll=parse_poll,
    check_body=check_body,
    build_retrieve=build_retrieve,
    parse_retrieve=parse_retrieve,
    build_cancel=minimax_v2.build_cancel,
    parse_cancel=minimax_v2.parse_cancel,
    build_find=minimax_v2.build_find,
    parse_find=minimax_v2.parse_find,
    build_enhance=minimax_v2.build_enhance,
    parse_enhance=minimax_v2.parse_enhance,
    expired=minimax_v2.expired,
    price=price,
    price_source=PRICE_SOURCE,
    # video generation is 5 RPM on global pay-as-you-go (docs/protocols.md §1.7); queries unpublished
    rate_limits=RateLimits(requests_per_second=20.0, submits_per_minute=5.0),
    regenerates=True,
    label="MiniMax",
    docs_url="https://platform.minimax.io/docs/api-reference/video-generation-t2v",
)
