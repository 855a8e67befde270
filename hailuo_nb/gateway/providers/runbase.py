"""Runbase (docs/protocols.md §3): ``/api/v1/runs`` with model ``hailuo/pro``.

Runbase publishes only its success shape, so the reply is read tolerantly
(reader.py) and an unknown status word keeps the run going.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from hailuo_nb.errors import GatewayError
from hailuo_nb.gateway.catalog import ModelSpec, native_spec
from hailuo_nb.gateway.providers import reader
from hailuo_nb.gateway.providers.base import HttpCall, PreparedRequest, Provider
from hailuo_nb.gateway.task import FAILED, SUCCEEDED, TaskRef, TaskState

NAME = "runbase"

#: Runbase's one documented Hailuo model is ``hailuo/pro`` (text or image input,
#: fixed duration and resolution), so the canonical pro ids map onto it.
MODELS = {
    "hailuo-02-text-to-video-pro": "hailuo/pro",
    "hailuo-02-image-to-video-pro": "hailuo/pro",
    "hailuo-2.3-text-to-video-pro": "hailuo/pro",
    "hailuo-2.3-image-to-video-pro": "hailuo/pro",
}
NATIVE_MODELS: dict[str, ModelSpec] = {
    "hailuo/pro": native_spec("hailuo/pro", "02", "any", (6,), ("1080p",), tier="pro"),
}


def normalize_base_url(url: str) -> str:
    return reader.strip_suffix(url, "/api/v1/runs", "/api/v1")


def build_submit(req: PreparedRequest) -> HttpCall:
    inputs: dict[str, Any] = {"prompt": req.request.prompt}
    images = [url for url in (req.first_frame, req.last_frame) if url]
    if images:
        inputs["image_urls"] = images
    return HttpCall("submit", "POST", "/api/v1/runs", json={"model": req.native_model, "input": inputs})


def parse_submit(body: Any, req: PreparedRequest) -> TaskRef:
    task_id = reader.find_task_id(body)
    if not task_id:
        raise GatewayError("Runbase accepted the run but returned no id", provider=NAME)
    return TaskRef(task_id)


def build_poll(ref: TaskRef) -> HttpCall:
    return HttpCall("poll", "GET", f"/api/v1/runs/{quote(ref.task_id, safe='')}")


def parse_poll(body: Any) -> TaskState:
    raw = reader.find_status(body)
    status = reader.map_status(raw)
    if status == SUCCEEDED:
        url = reader.find_video_url(body)
        if not url:
            raise GatewayError("Runbase reported success without output.urls", provider=NAME)
        return TaskState(SUCCEEDED, raw, video_url=url)
    if status == FAILED:
        message = reader.find_error_message(body) or "Runbase reported the run failed"
        return TaskState(FAILED, raw, error=reader.failure(message, NAME))
    return TaskState(status, raw)



PROVIDER = Provider(
    name=NAME,
    key_env="RUNBASE_API_KEY",
    base_url_env="RUNBASE_BASE_URL",
    default_base_url="https://runbase.net",
    models=MODELS,
    native_models=NATIVE_MODELS,
    image_mode="data_url",  # no upload API: local files go as data URLs (a refusal says to pass a URL)
    normalize_base_url=normalize_base_url,
    build_submit=build_submit,
    parse_submit=parse_submit,
    build_poll=build_poll,
    parse_poll=parse_poll,
    label="Runbase",
    docs_url="https://runbase.net",
)
