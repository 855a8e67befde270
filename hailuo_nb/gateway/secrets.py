"""API keys: read at the moment of a request, never stored, scrubbed from any text we emit."""

from __future__ import annotations

import os
import re

_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{4,}")
_extra_secrets: set[str] = set()


def read_key(variable: str) -> str | None:
    """The key in ``variable`` right now (stripped), or None."""
    value = os.environ.get(variable, "").strip()
    return value or None


def register_secret(value: str) -> None:
    """Scrub ``value`` from all later output too (keys that do not come from the env)."""
    if len(value) >= 4:
        _extra_secrets.add(value)


def redact(text: str) -> str:
    """``text`` with every known key and any Bearer token replaced by ``***``."""
    if not text:
        return text
    for secret in _known_secrets():
        text = text.replace(secret, "***")
    return _BEARER.sub(r"\1***", text)


def key_variables() -> tuple[str, ...]:
    """Every registered provider's key variable (docs/design.md §2): the registry is the one list."""
    from hailuo_nb.gateway.providers import key_variables as registered

    return registered()


def __getattr__(name: str) -> tuple[str, ...]:
    if name == "KEY_VARIABLES":  # read at use, so a provider registered later is covered too
        return key_variables()
    raise AttributeError(name)


def _known_secrets() -> list[str]:
    keys = {v for name in key_variables() if (v := read_key(name)) and len(v) >= 4}
    return sorted(keys | _extra_secrets, key=len, reverse=True)
