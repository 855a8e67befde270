"""The request value: validated completely before any HTTP request (docs/design.md §3).

:class:`GenerationRequest` is the one frozen value that flows from the magic, the form,
the CLI and ``generate()`` through the runner to the adapters, and — as
:meth:`GenerationRequest.params` — into the journal and back on resume. Adding a request
parameter touches the catalog, this module, the adapters that send it and the UIs that
offer it; nothing else (docs/design.md, "Adding a request parameter").
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hailuo_nb.errors import ValidationError
from hailuo_nb.gateway.catalog import ADAPTIVE, DEFAULT_MODEL, MODELS, ClipRules, ModelSpec
from hailuo_nb.gateway.config import PROVIDER_NAMES, Endpoint, resolve_provider
from hailuo_nb.gateway.images import FrameImage, ImageLimits, load_frame
from hailuo_nb.gateway.media import (
    Clip,
    Kind,
    Reference,
    check_references,
    guess_kind,
    load_clip,
    load_reference,
)
from hailuo_nb.gateway.pricing import PriceQuery
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
    ratio: str | None = None
    prompt_optimizer: bool = True
    first_frame: FrameImage | None = None
    last_frame: FrameImage | None = None
    references: tuple[Reference, ...] = ()
    callback_url: str | None = None
    #: a finished 768p output to regenerate at ``resolution`` (H3 2K regeneration), same inputs
    base_video: Clip | None = None

    @property
    def provider(self) -> str:
        return self.endpoint.name

    @property
    def has_audio(self) -> bool:
        return self.model.has_audio

    def media(self) -> list[tuple[str, FrameImage | Clip]]:
        """Every input medium with its role, in attach order (frames, then references)."""
        found: list[tuple[str, FrameImage | Clip]] = []
        if self.first_frame is not None:
            found.append(("first_frame", self.first_frame))
        if self.last_frame is not None:
            found.append(("last_frame", self.last_frame))
        found.extend((ref.role, ref.medium) for ref in self.references)
        if self.base_video is not None:
            found.append(("base_video", self.base_video))
        return found

    def params(self) -> dict[str, Any]:
        """The request as JSON-safe data (media by fingerprint, never bytes): the journal's copy."""
        return {
            "provider": self.provider,
            "model": self.model.id,
            "native_model": self.native_model,
            "prompt": self.prompt,
            "duration": self.duration,
            "resolution": self.resolution,
            "ratio": self.ratio,
            "prompt_optimizer": self.prompt_optimizer,
            "first_frame": self.first_frame.fingerprint if self.first_frame else None,
            "last_frame": self.last_frame.fingerprint if self.last_frame else None,
            "references": [
                {"kind": r.kind, "media": r.medium.fingerprint, "seconds": r.seconds or None}
                for r in self.references
            ],
            "base_video": self.base_video.fingerprint if self.base_video else None,
        }

    def key(self) -> str:
        """Identity for Run-All reuse: same provider, model, parameters, prompt and media."""
        blob = json.dumps(self.params(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:32]

    def price_query(self) -> PriceQuery:
        billed = ("first_frame", "last_frame", "reference_image")
        images = sum(1 for role, _ in self.media() if role in billed)
        seconds = sum(r.seconds for r in self.references if r.kind == "video")
        return PriceQuery(self.model, self.duration, self.resolution, images, seconds)

    @classmethod
    def from_params(cls, params: dict[str, Any], endpoint: Endpoint, spec: ModelSpec) -> GenerationRequest:
        """The journal's copy back as a value (media by URL where it was a URL, else a stand-in)."""

        def medium(fingerprint: str | None, kind: str = "image") -> FrameImage | Clip | None:
            if not fingerprint:
                return None
            url = fingerprint[4:] if fingerprint.startswith("url:") else None
            if kind == "image":
                return FrameImage(url=url, name=fingerprint[:20])
            return Clip("video" if kind == "video" else "audio", url=url, name=fingerprint[:20])

        first, last = medium(params.get("first_frame")), medium(params.get("last_frame"))
        refs = tuple(
            Reference(r["kind"], medium(r.get("media"), r["kind"]))  # type: ignore[arg-type]
            for r in params.get("references") or ()
        )
        return cls(
            endpoint=endpoint, model=spec, native_model=params.get("native_model") or spec.id,
            prompt=params.get("prompt", ""), duration=int(params.get("duration") or spec.default_duration),
            resolution=params.get("resolution") or spec.default_resolution, ratio=params.get("ratio"),
            prompt_optimizer=bool(params.get("prompt_optimizer", True)),
            first_frame=first if isinstance(first, FrameImage) else None,
            last_frame=last if isinstance(last, FrameImage) else None,
            references=refs,
            base_video=medium(params.get("base_video"), "video"),  # type: ignore[arg-type]
        )


def build_request(
    prompt: Any,
    *,
    model: str | None = None,
    provider: str | None = None,
    duration: Any = None,
    resolution: Any = None,
    ratio: Any = None,
    first_frame: Any = None,
    last_frame: Any = None,
    reference_images: Iterable[Any] | None = None,
    reference_videos: Iterable[Any] | None = None,
    reference_audio: Iterable[Any] | None = None,
    references: Iterable[Any] | None = None,
    prompt_optimizer: bool = True,
    callback_url: str | None = None,
    base_video: Any = None,
) -> GenerationRequest:
    """Validate every parameter; raises :class:`ValidationError` naming the field.

    ``references`` takes media of any kind (the kind is read from each value: ``--ref``);
    ``reference_images`` / ``_videos`` / ``_audio`` take one kind each.
    """
    endpoint = resolve_provider(provider)
    wanted = _collect_references(reference_images, reference_videos, reference_audio, references)
    has_frames = first_frame is not None or last_frame is not None
    spec, native = _model(DEFAULT_MODEL if model is None else model, endpoint, has_frames, bool(wanted))
    text = _prompt(prompt, endpoint.protocol.prompt_limit(spec))
    seconds = _duration(duration, spec, endpoint)
    res = _resolution(resolution, spec, endpoint)
    aspect = _ratio(ratio, spec)
    first, last = _frames(first_frame, last_frame, spec)
    refs = tuple(load_reference(value, kind, field, spec.references, spec.images) if spec.references else
                 _no_references(spec) for kind, field, value in wanted)
    check_references(refs, spec.references, spec.id)
    if not isinstance(prompt_optimizer, bool):
        raise ValidationError("prompt_optimizer", prompt_optimizer, "True, False")
    if callback_url is not None and not str(callback_url).startswith(("http://", "https://")):
        raise ValidationError("callback_url", callback_url, "an http(s) URL")
    base = _base_video(base_video, spec, res, endpoint)
    request = GenerationRequest(endpoint, spec, native, text, seconds, res, aspect, prompt_optimizer,
                                first, last, refs, callback_url, base)
    _check_local_media(request)
    return request


def _collect_references(images: Iterable[Any] | None, videos: Iterable[Any] | None,
                        audio: Iterable[Any] | None, mixed: Iterable[Any] | None
                        ) -> list[tuple[Kind, str, Any]]:
    """(kind, field, value) for every reference given, in attach order."""
    found: list[tuple[Kind, str, Any]] = []
    for kind, field, values in (("image", "reference_images", images), ("video", "reference_videos", videos),
                                ("audio", "reference_audio", audio)):
        found.extend((kind, field, v) for v in _as_list(values, field))  # type: ignore[misc]
    for value in _as_list(mixed, "references"):
        guessed = guess_kind(value)
        if guessed is None:
            raise ValidationError("references", value, "images (.png .jpg .webp), clips (.mp4 .mov), audio"
                                  " (.wav .mp3), or a finished Generation", reason="cannot tell its kind")
        found.append((guessed, "references", value))
    return found


def _as_list(values: Any, field: str) -> list[Any]:
    if values is None:
        return []
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        return [values]  # one medium given on its own
    return list(values)


def _no_references(spec: ModelSpec) -> Reference:
    raise ValidationError("references", "<media>", "models that take references: " + ", ".join(
        m.id for m in MODELS.values() if m.references), reason=f"{spec.id} takes no reference media")


def _model(model: Any, endpoint: Endpoint, has_frames: bool, has_refs: bool) -> tuple[ModelSpec, str]:
    protocol = endpoint.protocol
    if not isinstance(model, str):
        raise ValidationError("model", model, list(MODELS))
    if model in MODELS:
        if not protocol.serves(model):
            able = [p for p, prov in PROVIDERS.items() if prov.serves(model)] + ["sim"]
            raise ValidationError(
                "model", model, sorted(protocol.models),
                reason=f"{endpoint.name} cannot serve it (providers that can: {', '.join(able)})",
                provider=endpoint.name,
            )
        return MODELS[model], protocol.models[model]
    if model in protocol.native_models:
        return protocol.native_models[model], model
    canonical = [MODELS[c] for c, native in protocol.models.items() if native == model]
    if len(canonical) > 1:  # one native id for several modes (MiniMax-H3): the inputs decide
        mode = "references" if has_refs else "image" if has_frames else "text"
        canonical = [s for s in canonical if s.input == mode] or canonical[:1]
    if len(canonical) == 1:  # a provider's own name for one canonical model
        return canonical[0], model
    raise ValidationError("model", model, [*MODELS, *protocol.native_models], reason="unknown model")


def _prompt(prompt: Any, limit: int) -> str:
    allowed = f"1 to {limit} characters"
    if not isinstance(prompt, str):
        raise ValidationError("prompt", prompt, "a string of " + allowed)
    text = prompt.strip()
    if not "".join(ch for ch in text if unicodedata.category(ch) != "Cf").strip():  # zero-width, BOM
        raise ValidationError("prompt", prompt, allowed, reason="empty prompt")
    if len(text) > limit:
        raise ValidationError("prompt", text[:30] + "...", f"at most {limit} characters",
                              reason=f"{len(text)} characters")
    return text


def _duration(value: Any, spec: ModelSpec, endpoint: Endpoint) -> int:
    allowed = endpoint.protocol.durations_for(spec)
    if value is None:
        return 6 if 6 in allowed else allowed[0]
    low, high = min(allowed), max(allowed)
    shown: Any = f"whole seconds from {low} to {high}" if spec.duration_range else allowed
    where = f" on {endpoint.name}" if allowed != spec.durations else ""
    refused = ValidationError("duration", value, shown, reason=f"not allowed for {spec.id}{where}")
    if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
        raise refused
    try:
        seconds = int(str(value).strip().removesuffix("s"))
    except ValueError:
        raise refused from None
    if seconds not in allowed:
        raise refused
    return seconds


def _resolution(value: Any, spec: ModelSpec, endpoint: Endpoint) -> str:
    allowed = endpoint.protocol.resolutions_for(spec)
    if value is None:
        return "768p" if "768p" in allowed else allowed[0]
    text = str(value).strip().lower()
    if text.isdigit():
        text += "p"
    if text not in allowed:
        where = f" on {endpoint.name}" if allowed != spec.resolutions else ""
        raise ValidationError("resolution", value, allowed, reason=f"not allowed for {spec.id}{where}")
    return text


def _ratio(value: Any, spec: ModelSpec) -> str | None:
    if not spec.ratios:
        if value is not None:
            raise ValidationError("ratio", value, "models with aspect ratios: " + ", ".join(
                m.id for m in MODELS.values() if m.ratios), reason=f"{spec.id} takes no ratio")
        return None
    if value is None:
        if spec.ratio_required:
            raise ValidationError("ratio", None, spec.ratios,
                                  reason=f"{spec.id} needs an aspect ratio (text alone sets no shape)")
        return spec.default_ratio
    text = str(value).strip().lower().replace("/", ":").replace("x", ":")
    if text not in spec.ratios:
        raise ValidationError("ratio", value, spec.ratios, reason=f"not allowed for {spec.id}")
    if spec.frames.first and text != ADAPTIVE:
        return ADAPTIVE  # with frames the frames decide the shape (the gateways ignore a ratio)
    return text


def _frames(first_frame: Any, last_frame: Any, spec: ModelSpec
            ) -> tuple[FrameImage | None, FrameImage | None]:
    first = last = None
    if first_frame is not None:
        if not spec.frames.first:
            raise ValidationError("first_frame", "<image>", _models_with("first"),
                                  reason=f"{spec.id} is {spec.input}-to-video")
        first = load_frame(first_frame, "first_frame", ImageLimits.of(spec.images))
    if last_frame is not None:
        if not spec.frames.last:
            raise ValidationError("last_frame", "<image>", _models_with("last"),
                                  reason=f"{spec.id} takes no last frame")
        if first is None and not spec.frames.last_alone:
            raise ValidationError("first_frame", None, "an image", reason="a last frame needs a first frame")
        last = load_frame(last_frame, "last_frame", ImageLimits.of(spec.images))
    if spec.frames.required and first is None and last is None:
        needed = "a first and/or last frame" if spec.frames.last_alone else "a first frame"
        raise ValidationError("first_frame", None, "an image (path, bytes, PIL image, URL)",
                              reason=f"{spec.id} is image-to-video and needs {needed}")
    return first, last


def _base_video(value: Any, spec: ModelSpec, resolution: str, endpoint: Endpoint) -> Clip | None:
    """The draft to regenerate: only where the model and the gateway offer regeneration."""
    if value is None:
        return None
    able = [m.id for m in MODELS.values() if m.regenerates_to]
    if spec.regenerates_to is None or not endpoint.protocol.regenerates:
        where = f"{spec.id} on {endpoint.name}"
        raise ValidationError("base_video", "<clip>", f"{', '.join(able)} on minimax or sim",
                              reason=f"{where} cannot regenerate a clip")
    if resolution != spec.regenerates_to:
        raise ValidationError("resolution", resolution, (spec.regenerates_to,),
                              reason="a regeneration renders at the higher resolution")
    rules = ClipRules(max_bytes=64 * 1024 * 1024, min_seconds=1.0, max_seconds=16.0, max_total_seconds=16.0)
    return load_clip(value, "video", "base_video", rules)


def _check_local_media(request: GenerationRequest) -> None:
    """A gateway that takes media by URL only cannot take local bytes."""
    if request.endpoint.protocol.image_mode != "url":
        return
    for role, medium in request.media():
        if medium.data is not None:
            raise ValidationError(
                role, medium.name, "a public http(s) URL",
                reason=f"{request.endpoint.name} takes media by URL only (it has no upload API)",
                provider=request.endpoint.name,
            )


def _models_with(frame: str) -> str:
    flag = "last" if frame == "last" else "first"
    return f"models that take a {flag} frame: " + ", ".join(
        m.id for m in MODELS.values() if getattr(m.frames, flag)
    )


__all__ = ["PROVIDER_NAMES", "GenerationRequest", "build_request"]
