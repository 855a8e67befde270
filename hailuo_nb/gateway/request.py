"""A generation request, validated completely before any HTTP request (DESIGN §3)."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from hailuo_nb.errors import ValidationError
from hailuo_nb.gateway.catalog import DEFAULT_MODEL, MAX_PROMPT_CHARS, MODELS, ModelSpec
from hailuo_nb.gateway.config import PROVIDER_NAMES, Endpoint, resolve_provider
from hailuo_nb.gateway.images import FrameImage, load_frame
from hailuo_nb.gateway.providers import PROVIDERS


@dataclass(frozen=True)
class GenerationRequest:
    """Everything that decides what is generated (and paid for)."""

    endpoint: Endpoint
    model: ModelSpec
    native_model: str
    prompt: str
    duration: int
    resolution: str
    prompt_optimizer: bool = True
    first_frame: FrameImage | None = None
    last_frame: FrameImage | None = None
    callback_url: str | None = None

    @property
    def provider(self) -> str:
        return self.endpoint.name

    def params(self) -> dict[str, Any]:
        """The request as JSON-safe data (frames by fingerprint, never bytes)."""
        return {
            "provider": self.provider,
            "model": self.model.id,
            "native_model": self.native_model,
            "prompt": self.prompt,
            "duration": self.duration,
            "resolution": self.resolution,
            "prompt_optimizer": self.prompt_optimizer,
            "first_frame": self.first_frame.fingerprint if self.first_frame else None,
            "last_frame": self.last_frame.fingerprint if self.last_frame else None,
        }

    def key(self) -> str:
        """Identity for Run-All reuse: same provider, model, parameters, prompt and frames."""
        blob = json.dumps(self.params(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:32]


def build_request(
    prompt: Any,
    *,
    model: str | None = None,
    provider: str | None = None,
    duration: Any = None,
    resolution: Any = None,
    first_frame: Any = None,
    last_frame: Any = None,
    prompt_optimizer: bool = True,
    callback_url: str | None = None,
) -> GenerationRequest:
    """Validate every parameter; raises :class:`ValidationError` naming the field."""
    endpoint = resolve_provider(provider)
    spec, native = _model(DEFAULT_MODEL if model is None else model, endpoint)
    text = _prompt(prompt)
    seconds = _duration(duration, spec)
    res = _resolution(resolution, spec, endpoint)
    first = last = None
    if first_frame is not None:
        if not spec.first_frame:
            raise ValidationError(
                "first_frame", "<image>", _models_with("first frame"), reason=f"{spec.id} is text-to-video"
            )
        first = load_frame(first_frame, "first_frame")
    elif spec.needs_first_frame:
        raise ValidationError("first_frame", None, "an image (path, bytes, PIL image, URL)",
                              reason=f"{spec.id} is image-to-video and needs a first frame")
    if last_frame is not None:
        if not spec.last_frame:
            raise ValidationError(
                "last_frame", "<image>", _models_with("last frame"), reason=f"{spec.id} takes no last frame"
            )
        if first is None:
            raise ValidationError("first_frame", None, "an image", reason="a last frame needs a first frame")
        last = load_frame(last_frame, "last_frame")
    if not isinstance(prompt_optimizer, bool):
        raise ValidationError("prompt_optimizer", prompt_optimizer, "True, False")
    if callback_url is not None and not str(callback_url).startswith(("http://", "https://")):
        raise ValidationError("callback_url", callback_url, "an http(s) URL")
    for frame, field in ((first, "first_frame"), (last, "last_frame")):
        if frame is not None and frame.data is not None and endpoint.protocol.image_mode == "url":
            raise ValidationError(
                field, frame.name, "a public http(s) URL",
                reason=f"{endpoint.name} takes images by URL only (it has no upload API)",
                provider=endpoint.name,
            )
    return GenerationRequest(endpoint, spec, native, text, seconds, res, prompt_optimizer, first, last,
                             callback_url)


def _model(model: Any, endpoint: Endpoint) -> tuple[ModelSpec, str]:
    protocol = endpoint.protocol
    if not isinstance(model, str):
        raise ValidationError("model", model, sorted(MODELS))
    if model in MODELS:
        if model not in protocol.models:
            able = [p for p, prov in PROVIDERS.items() if model in prov.models] + ["sim"]
            raise ValidationError(
                "model", model, sorted(protocol.models),
                reason=f"{endpoint.name} cannot serve it (providers that can: {', '.join(able)})",
                provider=endpoint.name,
            )
        return MODELS[model], protocol.models[model]
    if model in protocol.native_models:
        return protocol.native_models[model], model
    canonical = [c for c, native in protocol.models.items() if native == model]
    if len(canonical) == 1:  # a provider's own name for exactly one canonical model
        return MODELS[canonical[0]], model
    raise ValidationError("model", model, [*MODELS, *protocol.native_models], reason="unknown model")


def _prompt(prompt: Any) -> str:
    if not isinstance(prompt, str):
        raise ValidationError("prompt", prompt, "a string of 1 to 2000 characters")
    text = prompt.strip()
    if not "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip():  # zero-width, BOM
        raise ValidationError("prompt", prompt, "1 to 2000 characters", reason="empty prompt")
    if len(text) > MAX_PROMPT_CHARS:
        allowed = f"at most {MAX_PROMPT_CHARS} characters"
        raise ValidationError("prompt", text[:30] + "...", allowed, reason=f"{len(text)} characters")
    return text


def _duration(value: Any, spec: ModelSpec) -> int:
    if value is None:
        return spec.default_duration
    refused = ValidationError("duration", value, spec.durations, reason=f"not allowed for {spec.id}")
    if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
        raise refused
    try:
        seconds = int(str(value).strip().removesuffix("s"))
    except ValueError:
        raise refused from None
    if seconds not in spec.durations:
        raise refused
    return seconds


def _resolution(value: Any, spec: ModelSpec, endpoint: Endpoint) -> str:
    allowed = endpoint.protocol.resolutions.get(spec.id, spec.resolutions)
    if value is None:
        return "768p" if "768p" in allowed else allowed[0]
    text = str(value).strip().lower()
    if text.isdigit():
        text += "p"
    if text not in allowed:
        where = f" on {endpoint.name}" if allowed != spec.resolutions else ""
        reason = f"not allowed for {spec.id}{where}"
        raise ValidationError("resolution", value, allowed, reason=reason)
    return text


def _models_with(what: str) -> str:
    key = "last_frame" if what == "last frame" else "first_frame"
    return "models that take a " + what + ": " + ", ".join(
        m.id for m in MODELS.values() if getattr(m, key)
    )


__all__ = ["PROVIDER_NAMES", "GenerationRequest", "build_request"]
