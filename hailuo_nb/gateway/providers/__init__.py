"""One module per wire protocol; :data:`PROVIDERS` in the DESIGN §2 order."""

from __future__ import annotations

from hailuo_nb.gateway.providers import agentsflare, minimax, runapi, runbase, runninghub
from hailuo_nb.gateway.providers.base import HttpCall, PreparedRequest, Provider

PROVIDERS: dict[str, Provider] = {
    p.name: p
    for p in (
        minimax.PROVIDER,
        runapi.PROVIDER,
        runbase.PROVIDER,
        runninghub.PROVIDER,
        agentsflare.PROVIDER,
    )
}

__all__ = ["PROVIDERS", "HttpCall", "PreparedRequest", "Provider"]
