"""Draft → final: re-render a chosen clip at the best its model family allows (docs/design.md §5).

The ledger comes first (:func:`finalize_plan`): what the drafts of this prompt cost so
far, and what finalizing will cost, so the user sees it before anything is sent. Then
:func:`finalize` starts the final request like any other (``reuse=True``: finalizing
twice pays once).

- Hailuo 02 / 2.3: the same inputs on the family's top tier at its top resolution
  (``hailuo-02-text-to-video-standard`` 768p → ``hailuo-02-text-to-video-pro`` 1080p),
  keeping the length where the top tier allows it, else the best tier that does.
- H3: MiniMax's 2K regeneration of the same task where the provider module offers it
  (an optional ``build_regenerate`` on the Provider, see :func:`regeneration_offered`),
  otherwise a new generation at 2k.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hailuo_nb.errors import ValidationError
from hailuo_nb.gateway.catalog import MODELS, ClipRules, ModelSpec
from hailuo_nb.gateway.media import load_clip
from hailuo_nb.gateway.pricing import Price, list_price, price
from hailuo_nb.gateway.request import GenerationRequest
from hailuo_nb.gateway.task import SUCCEEDED

_TIER = {"standard": 0, "pro": 1, "max": 2}
_RESOLUTION = {"480p": 0, "512p": 1, "768p": 2, "1080p": 3, "2k": 4}
NEW, REGENERATE, ALREADY = "new generation", "2K regeneration", "already final"


@dataclass(frozen=True)
class Ledger:
    """What the drafts of a prompt cost, and what finalizing one will cost."""

    prompt: str
    drafts: int  #: generations of this prompt in the journal that were (or may be) billed
    drafts_usd: float  #: their estimated cost (USD; drafts priced in other currencies left out)
    method: str  #: NEW, REGENERATE or ALREADY
    request: GenerationRequest  #: the final request (the draft's own when ALREADY)
    price: Price | None  #: what finalizing costs (None: unpublished)
    reused: bool  #: an identical final already exists: finalizing costs nothing

    @property
    def finalize_usd(self) -> float | None:
        if self.method == ALREADY or self.reused:
            return 0.0
        return self.price.usd if self.price else None

    @property
    def total_usd(self) -> float | None:
        more = self.finalize_usd
        return None if more is None else round(self.drafts_usd + more, 4)

    def to_dict(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "drafts": self.drafts, "drafts_usd": self.drafts_usd,
                "method": self.method, "model": self.request.model.id, "resolution": self.request.resolution,
                "duration": self.request.duration, "price": str(self.price) if self.price else None,
                "finalize_usd": self.finalize_usd, "total_usd": self.total_usd, "reused": self.reused}

    def __repr__(self) -> str:
        cost = "nothing (already made)" if self.finalize_usd == 0 else str(self.price or "unknown")
        return (f"drafts of this prompt: {self.drafts}, ${self.drafts_usd:.2f}\n"
                f"finalize: {self.method} with {self.request.model.id} {self.request.resolution}"
                f" {self.request.duration}s, {cost}\n"
                f"total: {f'${self.total_usd:.2f}' if self.total_usd is not None else 'unknown'}")

    def _repr_html_(self) -> str:
        return "<pre class='hailuo-ledger'>" + html.escape(repr(self)) + "</pre>"


def _rank(spec: ModelSpec, resolution: str) -> tuple[int, int]:
    return (_TIER.get(spec.tier, 0), _RESOLUTION.get(resolution, 0))


def final_request(request: GenerationRequest, resolution: str | None = None) -> GenerationRequest:
    """The same inputs at the best tier and resolution of the family the provider serves."""
    protocol = request.endpoint.protocol
    spec = request.model
    family = [s for s in MODELS.values()
              if s.family == spec.family and s.input == spec.input and protocol.serves(s.id)
              and request.duration in protocol.durations_for(s)] or [spec]
    options = [(s, r) for s in family for r in protocol.resolutions_for(s)]
    if resolution is not None:
        wanted = str(resolution).strip().lower()
        wanted = wanted + "p" if wanted.isdigit() else wanted
        allowed = sorted({r for _, r in options}, key=lambda r: _RESOLUTION.get(r, 0))
        options = [(s, r) for s, r in options if r == wanted]
        if not options:
            raise ValidationError("resolution", resolution, allowed,
                                  reason=f"not offered for {spec.id}'s family at {request.duration}s")
    best, res = max(options, key=lambda o: _rank(*o))
    if best.id == spec.id and res == request.resolution:
        return request
    return replace(request, model=best, native_model=protocol.models.get(best.id, best.id), resolution=res)


def regeneration_offered(request: GenerationRequest) -> bool:
    """Whether the model and its gateway regenerate a finished clip at a higher resolution (H3 2K)."""
    return request.model.regenerates_to is not None and request.endpoint.protocol.regenerates


def finalize_plan(gen: Any, resolution: str | None = None) -> Ledger:
    """The ledger: the drafts' cost so far and what finalizing ``gen`` costs. Sends nothing."""
    from hailuo_nb.gateway.session import REUSE_DONE, reuse_state

    target = final_request(gen.request, resolution)
    if target is gen.request:
        method = ALREADY
    elif _regenerable(gen, target):
        method, target = REGENERATE, replace(target, base_video=load_clip(
            gen.video_path, "video", "base_video", ClipRules(max_bytes=64 * 2**20, max_seconds=16.0)))
    else:
        method = NEW
    drafts, spent = _drafts(gen.prompt)
    return Ledger(gen.prompt, drafts, spent, method, target, price(target),
                  reuse_state(target.key()) == REUSE_DONE)


def finalize(gen: Any, resolution: str | None = None, *, cls: type[Any] | None = None) -> Any:
    """Start the final version of ``gen`` (returns it; ``gen`` itself when it is already final)."""
    from hailuo_nb.gateway import session

    if gen.status != SUCCEEDED:
        raise ValidationError("generation", gen.status, SUCCEEDED,
                              reason="only a finished draft can be finalized")
    ledger = finalize_plan(gen, resolution)
    if ledger.method == ALREADY:
        return gen
    # REGENERATE: the request carries the draft as base_video; the adapter sends it to the
    # gateway's regeneration call instead of a new creation
    return session.start(ledger.request, reuse=True, cls=cls or type(gen))


def _regenerable(gen: Any, target: GenerationRequest) -> bool:
    """A regeneration needs the draft's own file, at the resolution the model regenerates from."""
    spec = gen.request.model
    return (regeneration_offered(gen.request) and target.resolution == spec.regenerates_to
            and gen.request.resolution != target.resolution and gen.video_path is not None
            and Path(gen.video_path).is_file())


def _drafts(prompt: str) -> tuple[int, float]:
    from hailuo_nb.gateway import session

    rows = [r for r in session.journal().recent(5000) if r["prompt"] == prompt]
    billed = [r for r in rows if r["task_id"] or r["status"] == SUCCEEDED]
    return len(billed), round(sum(_row_usd(r) for r in billed), 4)


def _row_usd(row: dict[str, Any]) -> float:
    """A journal row's cost: as recorded, else its list price (USD; other currencies count 0)."""
    if row.get("cost_usd") is not None:
        return float(row["cost_usd"])
    params = row["params"]
    found = list_price(row["provider"], row["model"], int(params.get("duration") or 0),
                       str(params.get("resolution") or ""))
    return (found.usd or 0.0) if found else 0.0


__all__ = ["ALREADY", "NEW", "REGENERATE", "Ledger", "final_request", "finalize", "finalize_plan"]
