"""The canonical model catalog (docs/design.md §3) as data: what each model takes and allows.

A model is described by values, not by a fixed table shape: a duration set (a range is
just a contiguous set), resolutions, aspect ratios, which frames and reference media it
takes (with counts and limits), its prompt limit, whether its output has sound, and its
media limits. Validation (request.py), the UIs and the docs read these fields; a new
model is one more entry in :data:`MODELS` (docs/design.md, "Adding a model").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: "any" is for provider-native ids that take text, or text plus frames.
Input = Literal["text", "image", "references", "any"]
Family = Literal["02", "2.3", "2.3-fast", "h3", "h3-max"]

#: Every aspect ratio H3 knows (docs/protocols.md §11.1.1); "adaptive" follows the frames/references.
RATIOS = ("21:9", "16:9", "4:3", "1:1", "3:4", "9:16")
ADAPTIVE = "adaptive"


@dataclass(frozen=True)
class ImageRules:
    """Limits on an image input (frames, reference images), per model family."""

    max_bytes: int = 20 * 1024 * 1024
    #: the short side must be *more* than this (MiniMax v1: "short side > 300 px")
    short_side_over: int = 300
    #: each side at least / at most (H3: 256–5760 px)
    min_side: int = 1
    max_side: int = 100_000
    min_ratio: float = 0.4  # 2:5
    max_ratio: float = 2.5  # 5:2
    formats: tuple[str, ...] = ("JPEG", "PNG", "WEBP")


@dataclass(frozen=True)
class ClipRules:
    """Limits on reference clips (video or audio) of one kind."""

    max_bytes: int
    min_seconds: float = 2.0
    max_seconds: float = 15.0
    #: the clips of this kind together, at most
    max_total_seconds: float = 15.0


@dataclass(frozen=True)
class Frames:
    """Which frames a model takes."""

    first: bool = False
    last: bool = False
    #: at least one frame is required (image-to-video)
    required: bool = False
    #: a last frame may come without a first one (H3)
    last_alone: bool = False


@dataclass(frozen=True)
class References:
    """Reference media a model takes: the most of each kind, and in all."""

    image: int = 0
    video: int = 0
    audio: int = 0
    total: int = 12
    #: audio only together with at least one image or video reference
    audio_needs_visual: bool = True
    video_rules: ClipRules = ClipRules(max_bytes=50 * 1024 * 1024)
    audio_rules: ClipRules = ClipRules(max_bytes=15 * 1024 * 1024)

    def limit(self, kind: str) -> int:
        return {"image": self.image, "video": self.video, "audio": self.audio}.get(kind, 0)


V1_IMAGES = ImageRules()
H3_IMAGES = ImageRules(max_bytes=30 * 1024 * 1024, short_side_over=0, min_side=256, max_side=5760)


@dataclass(frozen=True)
class ModelSpec:
    """One model id and everything it allows."""

    id: str
    family: Family
    tier: Literal["standard", "pro", "max"]
    input: Input
    durations: tuple[int, ...]
    resolutions: tuple[str, ...]
    frames: Frames = Frames()
    references: References | None = None
    #: aspect ratios it takes ("adaptive" included where the media decide)
    ratios: tuple[str, ...] = ()
    ratio_required: bool = False
    prompt_max: int = 2000
    has_audio: bool = False
    #: reads MiniMax's ``[Pan left, Zoom in]`` camera commands (protocols.md §1.2: 02 / 2.3, not H3)
    camera_moves: bool = False
    #: the resolution a finished 768p output can be regenerated at (H3: MiniMax's 2K regeneration)
    regenerates_to: str | None = None
    images: ImageRules = V1_IMAGES
    #: Typical wall-clock generation time (seconds): the polling schedule's prior
    #: until the journal has observed durations for this provider and model.
    typical_seconds: tuple[float, float] = (60.0, 120.0)
    name: str = field(default="", compare=False)

    @property
    def default_duration(self) -> int:
        return 6 if 6 in self.durations else self.durations[0]

    @property
    def default_resolution(self) -> str:
        return "768p" if "768p" in self.resolutions else self.resolutions[0]

    @property
    def default_ratio(self) -> str | None:
        """The ratio used when none is given; None where one must be chosen (or none applies)."""
        return ADAPTIVE if ADAPTIVE in self.ratios else None

    @property
    def duration_range(self) -> tuple[int, int] | None:
        """(min, max) when the durations are every whole second in between (H3: 4–15)."""
        low, high = min(self.durations), max(self.durations)
        contiguous = len(self.durations) > 2 and len(self.durations) == high - low + 1
        return (low, high) if contiguous else None

    # the frame flags older code reads
    @property
    def first_frame(self) -> bool:
        """Whether the model takes a first frame at all."""
        return self.frames.first

    @property
    def last_frame(self) -> bool:
        return self.frames.last

    @property
    def needs_first_frame(self) -> bool:
        return self.frames.required and not self.frames.last_alone

    @property
    def label(self) -> str:
        kind = {"text": "text → video", "image": "image → video", "any": "text/image → video",
                "references": "references → video"}
        sound = " · with sound" if self.has_audio else ""
        tier = "" if self.family.startswith("h3") else f" {self.tier}"
        return f"{self.name or self.id}{tier} · {kind[self.input]}{sound}"


def durations_between(low: int, high: int) -> tuple[int, ...]:
    return tuple(range(low, high + 1))


_NAMES = {"02": "Hailuo 02", "2.3": "Hailuo 2.3", "2.3-fast": "Hailuo 2.3 Fast",
          "h3": "MiniMax H3", "h3-max": "MiniMax H3 Max"}


def _hailuo(id: str, input: Input, last_frame: bool = False,
            typical: tuple[float, float] = (60.0, 120.0)) -> ModelSpec:
    """A Hailuo 02 / 2.3 model: its durations and resolutions follow from family and tier."""
    family: Family = "2.3-fast" if "2.3-fast" in id else "2.3" if "2.3" in id else "02"
    pro = id.endswith("-pro")
    durations: tuple[int, ...]
    resolutions: tuple[str, ...]
    if pro:
        durations, resolutions = (6,), ("1080p",)
    elif family == "02" and input == "image":
        durations, resolutions = (6, 10), ("512p", "768p")
    else:
        durations, resolutions = (6, 10), ("768p",)
    frames = Frames(first=True, last=last_frame, required=True) if input == "image" else Frames()
    return ModelSpec(id=id, family=family, tier="pro" if pro else "standard", input=input,
                     durations=durations, resolutions=resolutions, frames=frames,
                     camera_moves=True, typical_seconds=typical, name=_NAMES[family])


def _h3(id: str, input: Input, *, family: Family = "h3") -> ModelSpec:
    """A MiniMax H3 model (docs/protocols.md §11): sound, 4–15 s (Max: 5–15 s), ratios, references."""
    is_max = family == "h3-max"
    frames = Frames(first=True, last=True, required=True, last_alone=True) if input == "image" else Frames()
    refs = References(image=9, video=3, audio=3) if input == "references" else None
    ratios = RATIOS if input == "text" else (ADAPTIVE, *RATIOS)
    return ModelSpec(
        id=id, family=family, tier="max" if is_max else "standard", input=input,
        durations=durations_between(5 if is_max else 4, 15),
        resolutions=("480p", "768p") if is_max else ("768p", "2k"),
        frames=frames, references=refs, ratios=ratios, ratio_required=input == "text",
        prompt_max=7000, has_audio=True, images=H3_IMAGES, regenerates_to=None if is_max else "2k",
        typical_seconds=(60.0, 240.0), name=_NAMES[family],
    )


#: Newest first: what the UIs list first.
MODELS: dict[str, ModelSpec] = {
    s.id: s
    for s in (
        _h3("hailuo-h3-text-to-video", "text"),
        _h3("hailuo-h3-image-to-video", "image"),
        _h3("hailuo-h3-reference-to-video", "references"),
        _h3("hailuo-h3-max-text-to-video", "text", family="h3-max"),
        _h3("hailuo-h3-max-image-to-video", "image", family="h3-max"),
        _hailuo("hailuo-2.3-text-to-video-standard", "text"),
        _hailuo("hailuo-2.3-text-to-video-pro", "text"),
        _hailuo("hailuo-2.3-image-to-video-standard", "image"),
        _hailuo("hailuo-2.3-image-to-video-pro", "image"),
        _hailuo("hailuo-2.3-fast-image-to-video-standard", "image", typical=(30.0, 80.0)),
        _hailuo("hailuo-2.3-fast-image-to-video-pro", "image", typical=(30.0, 80.0)),
        _hailuo("hailuo-02-text-to-video-standard", "text"),
        _hailuo("hailuo-02-text-to-video-pro", "text"),
        _hailuo("hailuo-02-image-to-video-standard", "image", last_frame=True),
        _hailuo("hailuo-02-image-to-video-pro", "image", last_frame=True),
    )
}

DEFAULT_MODEL = "hailuo-02-text-to-video-pro"

#: The v1 models' shared limits, kept as names for the UIs (per-model values are on ModelSpec).
MAX_PROMPT_CHARS = 2000
MAX_IMAGE_BYTES = V1_IMAGES.max_bytes
MIN_IMAGE_SHORT_SIDE = V1_IMAGES.short_side_over
IMAGE_FORMATS = V1_IMAGES.formats


def native_spec(
    id: str,
    family: Family,
    input: Input,
    durations: tuple[int, ...],
    resolutions: tuple[str, ...],
    last_frame: bool = False,
    tier: Literal["standard", "pro", "max"] = "standard",
) -> ModelSpec:
    """The rules a provider-native Hailuo 02/2.3 id follows (looser than a canonical id's)."""
    frames = Frames(first=input in ("image", "any"), last=last_frame, required=input == "image")
    return ModelSpec(id, family, tier, input, durations, resolutions, frames=frames, name=_NAMES[family])


def native_like(id: str, canonical: str) -> ModelSpec:
    """A provider-native id with exactly the rules of one canonical model (``MiniMax-H3``)."""
    spec = MODELS[canonical]
    return ModelSpec(**{**spec.__dict__, "id": id})
