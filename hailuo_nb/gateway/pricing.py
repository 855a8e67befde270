"""List prices per provider, model, duration and resolution, each with its source.

Only published figures are used (protocols.md §7). A price nobody published is
``None`` — never invented, never converted with a guessed exchange rate.
"""

from __future__ import annotations

from dataclasses import dataclass

from hailuo_nb.gateway.catalog import MODELS


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


_MM_SRC = "MiniMax pay-as-you-go list price (protocols.md §7)"
# (family, resolution, duration) -> USD
_MINIMAX = {
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

_RA_SRC = "RunAPI model page (protocols.md §7)"
# (canonical model, resolution or None = any, duration or None = any) -> USD
_RUNAPI = {
    ("hailuo-02-text-to-video-pro", None, None): 0.57,
    ("hailuo-02-text-to-video-standard", None, 6): 0.30,
    ("hailuo-02-text-to-video-standard", None, 10): 0.50,
    ("hailuo-02-image-to-video-standard", "512p", 6): 0.12,
    ("hailuo-2.3-image-to-video-standard", None, None): 0.50,
}

_RH_SRC = "RunningHub .cn price table 2026-04-29, CNY (protocols.md §4.1)"
# (family, tier, duration) -> CNY
_RUNNINGHUB = {
    ("02", "standard", 6): 1.5,
    ("02", "standard", 10): 3.0,
    ("02", "pro", 6): 2.63,
    ("2.3", "standard", 6): 1.5,
    ("2.3", "standard", 10): 3.0,
    ("2.3", "pro", 6): 2.63,
    ("2.3-fast", "standard", 6): 1.01,
    ("2.3-fast", "standard", 10): 1.69,
    ("2.3-fast", "pro", 6): 1.73,
}


def price(provider: str, model: str, duration: int, resolution: str) -> Price | None:
    """The published price of one generation, or None where none is published."""
    spec = MODELS.get(model)
    if spec is None:
        return None
    if provider in ("minimax", "sim"):
        usd = _MINIMAX.get((spec.family, resolution, duration))
        if usd is None:
            return None
        source = _MM_SRC if provider == "minimax" else "simulated: MiniMax list price, nothing is charged"
        return Price(usd, "USD", source)
    if provider == "runapi":
        for key in ((model, resolution, duration), (model, None, duration), (model, None, None)):
            if key in _RUNAPI:
                return Price(_RUNAPI[key], "USD", _RA_SRC)
        return None
    if provider == "runninghub":
        cny = _RUNNINGHUB.get((spec.family, spec.tier, duration))
        return Price(cny, "CNY", _RH_SRC) if cny is not None else None
    return None
