"""Prices: the shared types, and the one entry point that asks a request's provider.

Each provider module holds its own published list prices (docs/protocols.md §7, §11.4)
as data and a small function over them. Only published figures are used: a price nobody
published is ``None`` — never invented, never converted with a guessed exchange rate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hailuo_nb.gateway.catalog import MODELS, ModelSpec

if TYPE_CHECKING:
    from hailuo_nb.gateway.request import GenerationRequest

SIMULATED = "simulated: MiniMax list price, nothing is charged"


@dataclass(frozen=True)
class Price:
    """An estimated price for one generation."""

    amount: float
    currency: str  # "USD" or "CNY"
    source: str

    @property
    def usd(self) -> float | None:
        return self.amount if self.currency == "USD" else None

    def __str__(self) -> str:
        symbol = {"USD": "$", "CNY": "¥"}.get(self.currency, self.currency + " ")
        return f"{symbol}{self.amount:.2f}"


@dataclass(frozen=True)
class PriceQuery:
    """What a price depends on: model, length, resolution and the billed input media."""

    model: ModelSpec
    duration: int
    resolution: str
    #: first/last frames plus reference images (H3 bills those beyond the first five)
    input_images: int = 0
    #: reference-video seconds (H3 bills them, rounded up, at the output rate)
    reference_video_seconds: float = 0.0


@dataclass(frozen=True)
class PerSecond:
    """A per-second price list (H3): output seconds × rate, plus reference media."""

    rates: Mapping[str, float]  # resolution -> per output second
    free_images: int = 5
    per_extra_image: float = 0.0

    def amount(self, query: PriceQuery) -> float | None:
        rate = self.rates.get(query.resolution)
        if rate is None:
            return None
        extra_images = max(0, query.input_images - self.free_images) * self.per_extra_image
        video = math.ceil(query.reference_video_seconds) * rate
        return round(query.duration * rate + extra_images + video, 4)


def price(request: GenerationRequest) -> Price | None:
    """The published price of ``request`` on its provider (the simulator: MiniMax's list price)."""
    found = request.endpoint.protocol.price(request.price_query())
    if found is not None and request.endpoint.simulated:
        return Price(found.amount, found.currency, SIMULATED)
    return found


def list_price(provider: str, model: str, duration: int, resolution: str) -> Price | None:
    """The list price of a plain request (no media) on ``provider``, for tables."""
    from hailuo_nb.gateway.providers import PROVIDERS

    spec = MODELS.get(model)
    protocol = PROVIDERS.get("minimax" if provider == "sim" else provider)
    if spec is None or protocol is None:
        return None
    found = protocol.price(PriceQuery(spec, duration, resolution))
    if found is not None and provider == "sim":
        return Price(found.amount, found.currency, SIMULATED)
    return found
