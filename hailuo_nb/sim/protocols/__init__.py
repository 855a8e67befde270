"""The five simulated wire protocols, one module each (written from docs/protocols.md alone)."""

from __future__ import annotations

from .agentsflare import Agentsflare
from .base import BaseProtocol
from .minimax import MiniMax
from .runapi import RunAPI
from .runbase import Runbase
from .runninghub import RunningHub

PROTOCOL_CLASSES: dict[str, type[BaseProtocol]] = {
    cls.name: cls for cls in (MiniMax, RunAPI, Runbase, RunningHub, Agentsflare)
}
PROTOCOL_NAMES = tuple(PROTOCOL_CLASSES)

__all__ = ["PROTOCOL_CLASSES", "PROTOCOL_NAMES", "BaseProtocol"]
