"""Settings from the environment (docs/design.md §2), read when used so a notebook can change them."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from hailuo_nb.errors import AuthenticationError, ValidationError
from hailuo_nb.gateway.providers import PROVIDERS, Provider
from hailuo_nb.gateway.secrets import read_key

SIM = "sim"
PROVIDER_NAMES = (*PROVIDERS, SIM)


@dataclass(frozen=True)
class Endpoint:
    """A provider in use: its protocol, where it lives, and where its key is read from."""

    name: str
    protocol: Provider

    @property
    def simulated(self) -> bool:
        return self.name == SIM

    @property
    def key_variable(self) -> str | None:
        return None if self.simulated else self.protocol.key_env

    @cached_property
    def base_url(self) -> str:
        if self.simulated:
            from hailuo_nb.sim import shared_server

            return self.protocol.normalize_base_url(shared_server().base_url_for(self.protocol.name))
        raw = os.environ.get(self.protocol.base_url_env, "").strip() or self.protocol.default_base_url
        return self.protocol.normalize_base_url(raw)

    def api_key(self) -> str:
        """The key, read now; never stored on any object."""
        if self.simulated:
            from hailuo_nb.sim import shared_server

            return shared_server().api_key
        key = read_key(self.protocol.key_env)
        if not key:
            raise AuthenticationError(
                f"{self.protocol.key_env} is not set; set it in the environment "
                "(or a .env file loaded before Jupyter starts), not in the notebook",
                provider=self.name,
            )
        return key

    def __repr__(self) -> str:
        return f"Endpoint({self.name!r})"


def resolve_provider(explicit: str | None = None) -> Endpoint:
    """The provider to use: the argument, else HAILUO_PROVIDER, else the first with a key, else sim."""
    load_dotenv()
    if explicit is not None and not isinstance(explicit, str):
        raise ValidationError("provider", explicit, PROVIDER_NAMES)
    name = (explicit or os.environ.get("HAILUO_PROVIDER", "") or "").strip().lower()
    if not name:
        name = next((p.name for p in PROVIDERS.values() if read_key(p.key_env)), SIM)
    if name == SIM:
        return Endpoint(SIM, PROVIDERS["minimax"])
    if name not in PROVIDERS:
        raise ValidationError("provider", explicit or name, PROVIDER_NAMES)
    return Endpoint(name, PROVIDERS[name])


def load_dotenv() -> list[str]:
    """Take keys and settings from ``./.env`` (or HAILUO_HOME/.env) where the env lacks them."""
    from hailuo_nb.gateway import dotenv

    folders = [Path.cwd()]
    if os.environ.get("HAILUO_HOME"):
        folders.append(Path(os.environ["HAILUO_HOME"]))
    return dotenv.load(folders)


def output_dir() -> Path:
    return Path(os.environ.get("HAILUO_OUTPUT_DIR", "").strip() or "hailuo_videos")


def home_dir() -> Path:
    value = os.environ.get("HAILUO_HOME", "").strip()
    if value:
        return Path(value)
    from platformdirs import user_data_dir

    return Path(user_data_dir("hailuo_nb", appauthor=False))


def budget_usd() -> float | None:
    return _float_env("HAILUO_BUDGET_USD")


def poll_interval() -> float | None:
    """A fixed poll interval (seconds) replacing the adaptive schedule, if set."""
    value = _float_env("HAILUO_POLL_INTERVAL")
    return value if value and value > 0 else None


def callback_listen(explicit: str | None = None) -> tuple[str, int] | None:
    """Where to listen for callbacks: ``callback_listen=`` else HAILUO_CALLBACK_LISTEN, as (host, port)."""
    field, raw = "callback_listen", explicit
    if explicit is None:
        field, raw = "HAILUO_CALLBACK_LISTEN", os.environ.get("HAILUO_CALLBACK_LISTEN", "").strip()
        if not raw:
            return None
    allowed = "host:port, e.g. 127.0.0.1:8787 or 0.0.0.0:8787"
    if not isinstance(raw, str) or ":" not in raw:
        raise ValidationError(field, raw, allowed)
    host, _, port = raw.strip().rpartition(":")
    host = host.strip()
    if host.startswith("[") and host.endswith("]"):  # [::1]:8787
        host = host[1:-1]
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValidationError(field, raw, allowed)
    return host, int(port)


def wait_mode() -> bool:
    return os.environ.get("HAILUO_WAIT", "").strip().lower() in ("1", "true", "yes", "on")


def _float_env(name: str) -> float | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise ValidationError(name, raw, "a number") from None
