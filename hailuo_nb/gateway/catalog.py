"""The canonical model catalog (DESIGN §3): what each model takes and allows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: "any" is for provider-native ids that take text, or text plus frames.
Input = Literal["text", "image", "any"]


@dataclass(frozen=True)
class ModelSpec:
    """One canonical model id and the parameters it allows."""

    id: str
    family: Literal["02", "2.3", "2.3-fast"]
    tier: Literal["standard", "pro"]
    input: Input
    last_frame: bool
    durations: tuple[int, ...]
    resolutions: tuple[str, ...]
    #: Typical wall-clock generation time (seconds): the polling schedule's prior
    #: until the journal has observed durations for this provider and model.
    typical_seconds: tuple[float, float] = (60.0, 120.0)

    @property
    def default_duration(self) -> int:
        return 6 if 6 in self.durations else self.durations[0]

    @property
    def default_resolution(self) -> str:
        return "768p" if "768p" in self.resolutions else self.resolutions[0]

    @property
    def first_frame(self) -> bool:
        """Whether the model takes a first frame at all."""
        return self.input in ("image", "any")

    @property
    def needs_first_frame(self) -> bool:
        return self.input == "image"

    @property
    def label(self) -> str:
        kind = {"text": "text → video", "image": "image → video", "any": "text/image → video"}
        name = {"02": "Hailuo 02", "2.3": "Hailuo 2.3", "2.3-fast": "Hailuo 2.3 Fast"}[self.family]
        return f"{name} {self.tier} · {kind[self.input]}"


def _spec(
    id: str,
    input: Input,
    last_frame: bool = False,
    typical: tuple[float, float] = (60.0, 120.0),
) -> ModelSpec:
    family: Literal["02", "2.3", "2.3-fast"] = (
        "2.3-fast" if "2.3-fast" in id else "2.3" if "2.3" in id else "02"
    )
    pro = id.endswith("-pro")
    durations: tuple[int, ...]
    resolutions: tuple[str, ...]
    if pro:
        durations, resolutions = (6,), ("1080p",)
    elif family == "02" and input == "image":
        durations, resolutions = (6, 10), ("512p", "768p")
    else:
        durations, resolutions = (6, 10), ("768p",)
    return ModelSpec(
        id=id,
        family=family,
        tier="pro" if pro else "standard",
        input=input,
        last_frame=last_frame,
        durations=durations,
        resolutions=resolutions,
        typical_seconds=typical,
    )


MODELS: dict[str, ModelSpec] = {
    s.id: s
    for s in (
        _spec("hailuo-02-text-to-video-standard", "text"),
        _spec("hailuo-02-text-to-video-pro", "text"),
        _spec("hailuo-02-image-to-video-standard", "image", last_frame=True),
        _spec("hailuo-02-image-to-video-pro", "image", last_frame=True),
        _spec("hailuo-2.3-text-to-video-standard", "text"),
        _spec("hailuo-2.3-text-to-video-pro", "text"),
        _spec("hailuo-2.3-image-to-video-standard", "image"),
        _spec("hailuo-2.3-image-to-video-pro", "image"),
        _spec("hailuo-2.3-fast-image-to-video-standard", "image", typical=(30.0, 80.0)),
        _spec("hailuo-2.3-fast-image-to-video-pro", "image", typical=(30.0, 80.0)),
    )
}

DEFAULT_MODEL = "hailuo-02-text-to-video-pro"

#: Constraints shared by every model (DESIGN §3, protocols.md §1.2).
MAX_PROMPT_CHARS = 2000
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MIN_IMAGE_SHORT_SIDE = 300
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP")


def native_spec(
    id: str,
    family: Literal["02", "2.3", "2.3-fast"],
    input: Input,
    durations: tuple[int, ...],
    resolutions: tuple[str, ...],
    last_frame: bool = False,
    tier: Literal["standard", "pro"] = "standard",
) -> ModelSpec:
    """The rules a provider-native model id follows (looser than a canonical id's)."""
    return ModelSpec(id, family, tier, input, last_frame, durations, resolutions)
