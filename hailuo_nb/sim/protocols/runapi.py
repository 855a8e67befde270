"""RunAPI (docs/protocols.md §2): `/api/v1/hailuo/{text_to_video|image_to_video}` and uploads.

Submit replies `{"id", "status": "pending"}` (variant `id_field="task_id"` gives the
seed's shape) with header `X-RunAPI-Task-Id`; poll `GET .../{endpoint}/{id}` (the endpoint
must be the one the task was created on) answers `pending`/`processing`/`completed`/
`failed`, with `videos[].url` and `usage.cost` when completed and `error` (a string)
when failed. `POST /api/v1/files` stores a `source` of type `base64` or `url` (data,
simulator or loopback URLs only) and answers `{file_name, url, size_bytes, mime_type,
created_at, expires_at}`.

Field vocabulary, variant `vocabulary`: `"current"` (default: `first_frame_image_url`,
`last_frame_image_url`, `duration_seconds` int, `output_resolution` `768p`) or `"older"`
(`image_url`, `end_image_url`, `duration` "6"/"10", `resolution` `768P`, `nsfw_checker`).
Fields of the other vocabulary, or unknown ones, are refused with 422. Errors are
`{"error": {"code", "message"}}`: 400 unreadable body, 422 validation, 401, 402, 404, 429.

MiniMax H3 lives at `/api/v1/minimax_h3/{text_to_video|image_to_video}` (runapi_h3),
polled at the same path plus `/{id}`; the direct upload (`/api/v1/files/prepare`, PUT,
`/api/v1/files/confirm`) is in runapi_files.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass
from typing import Any

from ..core import Call, SimCore
from ..httpio import BadRequest, Reply, iso_time
from ..media import ImageError, decode_data_url, sniff_image_type
from . import runapi_files, runapi_h3
from .base import BaseProtocol, Handler, Invalid

MODELS = {  # slug -> (endpoint, family, tier)
    "hailuo-02-text-to-video-pro": ("text_to_video", "02", "pro"),
    "hailuo-02-text-to-video-standard": ("text_to_video", "02", "standard"),
    "hailuo-02-image-to-video-pro": ("image_to_video", "02", "pro"),
    "hailuo-02-image-to-video-standard": ("image_to_video", "02", "standard"),
    "hailuo-2.3-image-to-video-pro": ("image_to_video", "2.3", "pro"),
    "hailuo-2.3-image-to-video-standard": ("image_to_video", "2.3", "standard"),
}
ALIASES = {slug.replace("2.3", "2-3"): slug for slug in MODELS if "2.3" in slug}  # go/js SDKs

@dataclass(frozen=True)
class Vocabulary:
    """Field names of one RunAPI request vocabulary."""

    first: str
    last: str
    duration: str
    resolution: str
    extra: tuple[str, ...]


VOCABULARIES = {
    "current": Vocabulary("first_frame_image_url", "last_frame_image_url", "duration_seconds",
                          "output_resolution", ("enable_safety_checker",)),
    "older": Vocabulary("image_url", "end_image_url", "duration", "resolution",
                        ("nsfw_checker",)),
}
COMMON = ("model", "prompt", "prompt_optimizer", "callback_url")
ERROR_CODES = {"bad_request": "bad_request", "invalid": "validation_error",
               "auth": "unauthorized", "auth_malformed": "unauthorized",
               "credits": "insufficient_credits", "policy": "content_policy_violation",
               "not_found": "not_found", "rate_limit": "rate_limited", "server": "server_error"}


def resolutions(family: str, tier: str, endpoint: str) -> tuple[str, ...]:
    """Allowed output resolutions (lower-case p); empty = the field is refused."""
    if family == "2.3":
        return ("768p", "1080p")
    if tier == "pro":
        return ()
    return ("512p", "768p") if endpoint == "image_to_video" else ("768p",)


def cost(family: str, tier: str, endpoint: str, duration: int, resolution: str) -> float:
    """usage.cost in USD (seed prices; unknown combinations use $0.50)."""
    if family == "02" and endpoint == "text_to_video":
        return 0.57 if tier == "pro" else (0.30 if duration == 6 else 0.50)
    if family == "02" and tier == "standard" and resolution == "512P":
        return 0.12 if duration == 6 else 0.20
    if family == "02" and tier == "standard":
        return 0.30 if duration == 6 else 0.50
    return 0.50


class RunAPI(BaseProtocol):
    """runapi.ai's Hailuo endpoints."""

    name = "runapi"
    id_key = "id"
    id_prefix = "tsk_"
    url_location = "videos[].url"
    extra_options = {"vocabulary": ("current", "older")}
    extra_defaults = {"vocabulary": "current"}
    served_models = (*MODELS, runapi_h3.MODEL)
    audio_models = (runapi_h3.MODEL,)

    def routes(self) -> list[tuple[str, str, str, Handler]]:
        """Submit and poll per endpoint (Hailuo and H3), plus the file uploads."""
        ep = r"(?P<family>hailuo|minimax_h3)/(?P<endpoint>text_to_video|image_to_video)"
        return [("POST", rf"/api/v1/{ep}", "submit", self._submit),
                ("GET", rf"/api/v1/{ep}/(?P<id>[^/]+)", "poll", self._poll),
                ("POST", r"/api/v1/files", "upload", self._upload),
                ("POST", r"/api/v1/files/prepare", "upload", self._prepare),
                ("POST", r"/api/v1/files/confirm", "upload", self._confirm)]

    def error_body(self, reason: str, status: int, message: str) -> dict[str, Any]:
        """`{"error": {"code", "message"}}`."""
        return {"error": {"code": ERROR_CODES.get(reason, "error"), "message": message}}

    def reject(self, reason: str, message: str, status: int | None = None) -> Reply:
        """Validation errors are 422; every error has x-request-id."""
        reply = super().reject(reason, message, status or (422 if reason == "invalid" else None))
        reply.headers["x-request-id"] = "req_" + str(int(time.time() * 1000))
        return reply

    def _parse(self, core: SimCore, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        vocab = VOCABULARIES[self.options["vocabulary"]]
        known = {*COMMON, vocab.first, vocab.last, vocab.duration, vocab.resolution,
                 *vocab.extra}
        unknown = sorted(set(body) - known)
        if unknown:
            raise Invalid(f"unknown field(s) {unknown}; accepted: {sorted(known)}")
        slug = ALIASES.get(str(body.get("model")), body.get("model"))
        if slug not in MODELS:
            raise Invalid(f"model {body.get('model')!r} is not one of {sorted(MODELS)}")
        model_endpoint, family, tier = MODELS[slug]
        if model_endpoint != endpoint:
            raise Invalid(f"model {slug} is served at /api/v1/hailuo/{model_endpoint}")
        prompt = body.get("prompt")
        limit = 5000 if family == "2.3" else 1500
        if not isinstance(prompt, str) or not prompt.strip() or len(prompt) > limit:
            raise Invalid(f"prompt is required, a string of at most {limit} characters")
        first = last = None
        if endpoint == "image_to_video":
            if body.get(vocab.first) is None:
                raise Invalid(f"{vocab.first} is required for image_to_video")
            first = core.load_image(body[vocab.first], vocab.first)
        if body.get(vocab.last) is not None:
            if family != "02" or endpoint != "image_to_video":
                raise Invalid(f"{vocab.last} is only available on Hailuo 02 image-to-video")
            last = core.load_image(body[vocab.last], vocab.last)
        allowed = resolutions(family, tier, endpoint)
        res_default = "1080p" if tier == "pro" else "768p"
        duration = self._duration(body, vocab.duration, slug, family, tier)
        resolution = body.get(vocab.resolution)
        if resolution is None:
            resolution = res_default
        else:
            shown = allowed if self.options["vocabulary"] == "current" else tuple(
                r.upper() for r in allowed)
            if not allowed or resolution not in shown:
                raise Invalid(f"{vocab.resolution}={resolution!r} not allowed for {slug}; "
                              f"allowed: {list(shown) or 'none (fixed)'}")
            resolution = resolution.lower()
        if resolution == "1080p" and duration == 10:
            raise Invalid("1080p supports 6 second videos only")
        if "prompt_optimizer" in body and family == "2.3":
            raise Invalid("prompt_optimizer is not accepted on Hailuo 2.3 models")
        for flag in ("prompt_optimizer", *vocab.extra):
            if flag in body and not isinstance(body[flag], bool):
                raise Invalid(f"{flag} must be a boolean")
        return {"model": slug, "prompt": prompt, "duration": duration,
                "resolution": resolution.upper(), "first_frame": first, "last_frame": last,
                "callback_url": body.get("callback_url"), "endpoint": endpoint, "params": body}

    def _duration(self, body: dict[str, Any], key: str, slug: str, family: str, tier: str) -> int:
        value = body.get(key)
        if value is None:
            return 10 if tier == "standard" else 6
        if family == "02" and tier == "pro":
            raise Invalid(f"{key} is not accepted on {slug} (fixed duration)")
        if self.options["vocabulary"] == "older":
            if value not in ("6", "10"):
                raise Invalid(f'duration must be "6" or "10" (a string), got {value!r}')
            return int(value)
        if value not in (6, 10) or isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(f"duration_seconds must be the integer 6 or 10, got {value!r}")
        return int(value)

    def _submit(self, core: SimCore, call: Call) -> Reply:
        endpoint = call.match["endpoint"]
        parse = runapi_h3.parse if call.match["family"] == "minimax_h3" else self._parse
        task = self.accept(core, call, lambda body: parse(core, endpoint, body))
        if isinstance(task, Reply):
            return task
        body = {"id": task.id, "status": self.word(task.phase(), call)}
        return Reply.json(self.shape(body), headers={"X-RunAPI-Task-Id": task.id})

    def _poll(self, core: SimCore, call: Call) -> Reply:
        task = core.lookup(call, call.match["id"], self.name)
        endpoint = call.match["endpoint"]
        if call.match["family"] == "minimax_h3":
            endpoint = f"minimax_h3/{endpoint}"
        if task is None or task.endpoint != endpoint:
            return self.reject("not_found", f"task {call.match['id']} not found")
        phase = task.phase()
        body: dict[str, Any] = {"id": task.id, "status": self.word(phase, call)}
        if phase == "succeeded":
            self.place_url(body, core.video_url(task))
            if task.price is None:
                _, family, tier = MODELS[task.model]
                task.price = cost(family, tier, endpoint, task.duration, task.resolution)
            body["usage"] = {"cost": task.price}
        elif phase == "failed":
            body["error"] = task.fail_message or "generation failed"
        return Reply.json(self.shape(body), headers={"X-RunAPI-Task-Id": task.id})

    def _upload(self, core: SimCore, call: Call) -> Reply:
        try:
            body = call.request.json_object()
            data, mime = self._source(core, body.get("source"))
        except BadRequest as exc:
            return self.reject("bad_request", str(exc))
        except (Invalid, ImageError) as exc:
            return self.reject("invalid", str(exc))
        name = body.get("file_name") or "upload" + {"image/png": ".png", "image/jpeg": ".jpg",
                                                    "image/webp": ".webp"}.get(mime, ".bin")
        stored = core.media.put_file(data, mime, str(name), self.name)
        return Reply.json({"file_name": stored.filename, "url": core.file_url(stored),
                           "size_bytes": len(data), "mime_type": mime,
                           "created_at": iso_time(stored.created_at),
                           "expires_at": iso_time(stored.created_at + core.url_ttl)})

    def _prepare(self, core: SimCore, call: Call) -> Reply:
        try:
            name, size, checksum = runapi_files.check_prepare(call.request.json_object())
        except BadRequest as exc:
            return self.reject("bad_request", str(exc))
        except Invalid as exc:
            return self.reject("invalid", str(exc))
        pending = core.media.prepare(name, size, checksum, runapi_files.guess_type(name),
                                     self.name)
        return Reply.json(runapi_files.prepare_reply(core, pending))

    def _confirm(self, core: SimCore, call: Call) -> Reply:
        try:
            signed_id = call.request.json_object().get("signed_id")
        except BadRequest as exc:
            return self.reject("bad_request", str(exc))
        pending = core.media.pending(signed_id=signed_id) if isinstance(signed_id, str) else None
        if pending is None:
            return self.reject("not_found", f"signed_id {signed_id!r} not found")
        try:
            return Reply.json(runapi_files.confirm(core, pending))
        except Invalid as exc:
            return self.reject("invalid", str(exc))

    @staticmethod
    def _source(core: SimCore, source: object) -> tuple[bytes, str]:
        if not isinstance(source, dict) or source.get("type") not in ("base64", "url"):
            raise Invalid('source must be {"type": "base64", "data": ...} or '
                          '{"type": "url", "url": ...}')
        if source["type"] == "base64":
            raw = source.get("data")
            if not isinstance(raw, str) or not raw:
                raise Invalid("source.data must be a base64 string")
            if raw.startswith("data:"):
                return decode_data_url(raw)
            try:
                data = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise Invalid(f"source.data is not valid base64: {exc}") from exc
            return data, str(source.get("mime_type") or sniff_image_type(data))
        url = source.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://", "data:")):
            raise Invalid("source.url must be an http(s) or data URL")
        if url.startswith("data:"):
            return decode_data_url(url)
        fetched = core.fetch(url)
        if fetched is None:
            raise Invalid(f"could not fetch source.url {url!r}")
        return fetched, sniff_image_type(fetched)
