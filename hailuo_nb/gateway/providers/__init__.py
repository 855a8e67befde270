"""The provider registry: one line per gateway, in the docs/design.md §2 order.

Everything that needs to know the gateways — key redaction, ``.env`` reading, provider
resolution, pricing, the README's config table, the docs' matrix — reads :data:`PROVIDERS`.
Adding a gateway is a new module in this folder plus its line here (docs/design.md).
"""

from __future__ import annotations

from hailuo_nb.gateway.providers import agentsflare, minimax, runapi, runbase, runninghub
from hailuo_nb.gateway.providers.base import HttpCall, Media, PreparedRequest, Provider, RateLimits

PROVIDERS: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    """Add ``provider`` to the registry (later lines may not reuse a name)."""
    if provider.name in PROVIDERS or provider.name == "sim":
        raise ValueError(f"a provider named {provider.name!r} is registered already")
    PROVIDERS[provider.name] = provider
    return provider


register(minimax.PROVIDER)
register(runapi.PROVIDER)
register(runbase.PROVIDER)
register(runninghub.PROVIDER)
register(agentsflare.PROVIDER)


def env_variables() -> tuple[str, ...]:
    """Every provider's key and base-URL variable names."""
    return tuple(name for p in PROVIDERS.values() for name in p.env_variables)


def key_variables() -> tuple[str, ...]:
    return tuple(p.key_env for p in PROVIDERS.values())


__all__ = ["PROVIDERS", "HttpCall", "Media", "PreparedRequest", "Provider", "RateLimits",
           "env_variables", "key_variables", "register"]
