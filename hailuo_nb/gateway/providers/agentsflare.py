"""Agentsflare (docs/protocols.md §5): ``/v1/videos/generations`` and ``/v1/async-result/{id}``.

The poll shape is unpublished (BigModel's ``task_status``/``video_result`` is the working
hypothesis), so replies are read tolerantly. The journal's own id goes out as
``external_task_id``, so a submission whose reply was lost can be found again.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from hailuo_nb.errors import GatewayError
from hailuo_nb.gateway.catalog import ModelSpec, native_spec
from hailuo_nb.gateway.providers import reader
from hailuo_nb.gateway.providers.base import HttpCall, PreparedRequest, Provider
from hailuo_nb.gateway.task import FAILED, SUCCEEDED, TaskRef, TaskState

NAME = "agentsflare"

MODELS = {
    "hailuo-02-text-to-video-standard": "minimax-hailuo-02",
    "hailuo-02-text-to-video-pro": "minimax-hailuo-02",
    "hailuo-02-image-to-video-standard": "minimax-hailuo-02",
    "hailuo-02-image-to-video-pro": "minimax-hailuo-02",
    "hailuo-2.3-text-to-video-standard": "minimax-hailuo-2.3",
    "hailuo-2.3-text-to-video-pro": "minimax-hailuo-2.3",
    "hailuo-2.3-image-to-video-standard": "minimax-hailuo-2.3",
    "hailuo-2.3-image-to-video-pro": "minimax-hailuo-2.3",
    "hailuo-2.3-fast-image-to-video-standard": "minimax-hailuo-2.3-Fast",
    "hailuo-2.3-fast-image-to-video-pro": "minimax-hailuo-2.3-Fast",
}
NATIVE_MODELS: dict[str, ModelSpec] = {
    "minimax-hailuo-02": native_spec(
        "minimax-hailuo-02", "02", "any", (6, 10), ("768p", "1080p"), last_frame=True
    ),
    "minimax-hailuo-2.3": native_spec("minimax-hailuo-2.3", "2.3", "any", (6, 10), ("768p", "1080p")),
    "minimax-hailuo-2.3-Fast": native_spec(
        "minimax-hailuo-2.3-Fast", "2.3-fast", "image", (6, 10), ("768p", "1080p")
    ),
}
#: The status words of BigModel's async-result plus Runbase's (docs/protocols.md §10).
STATUS_WORDS = {"processing": "running", "success": "succeeded", "fail": "failed"}


def normalize_base_url(url: str) -> str:
    return reader.strip_suffix(url, "/v1")


def build_submit(req: PreparedRequest) -> HttpCall:
    body: dict[str, Any] = {
        "model": req.native_model,
        "prompt": req.request.prompt,
        "duration": req.request.duration,
        "resolution": req.request.resolution.upper(),
        "mode": "pro" if req.model.tier == "pro" else "std",
        "external_task_id": req.client_id,
    }
    if req.first_frame and req.last_frame:  # frame mode, minimax-hailuo-02 only
        body["images"] = [{"url": req.first_frame}, {"url": req.last_frame}]
    elif req.first_frame:
        body["first_frame_image"] = req.first_frame
    if req.request.callback_url:
        body["callback_url"] = req.request.callback_url
    return HttpCall("submit", "POST", "/v1/videos/generations", json=body)


def parse_submit(body: Any, req: PreparedRequest) -> TaskRef:
    task_id = reader.find_task_id(body)
    if not task_id:
        raise GatewayError("Agentsflare accepted the request but returned no task_id", provider=NAME)
    return TaskRef(task_id)


def build_poll(ref: TaskRef) -> HttpCall:
    return HttpCall("poll", "GET", f"/v1/async-result/{quote(ref.task_id, safe='')}")


def parse_poll(body: Any) -> TaskState:
    raw = reader.find_status(body, ("task_status", "status", "state"))
    status = reader.map_status(raw, STATUS_WORDS)
    if status == SUCCEEDED:
        url = reader.find_video_url(body)
        if not url:
            raise GatewayError("Agentsflare reported success without a video URL", provider=NAME)
        return TaskState(SUCCEEDED, raw, video_url=url)
    if status == FAILED:
        message = reader.find_error_message(body) or "Agentsflare reported the generation failed"
        return TaskState(FAILED, raw, error=reader.failure(message, NAME))
    return TaskState(status, raw)



PROVIDER = Provider(
    name=NAME,
    key_env="AGENTSFLARE_API_KEY",
    base_url_env="AGENTSFLARE_BASE_URL",
    default_base_url="https://api.agentsflare.com",
    models=MODELS,
    native_models=NATIVE_MODELS,
    image_mode="data_url",  # no upload API: local files go as data URLs (a refusal says to pass a URL)
    normalize_base_url=normalize_base_url,
    build_submit=build_submit,
    parse_submit=parse_submit,
    build_poll=build_poll,
    parse_poll=parse_poll,
    label="Agentsflare",
    docs_url="https://docs.agentsflare.com",
)
