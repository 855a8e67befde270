"""The process-wide simulator that hailuo_nb uses when no provider key is set."""

from __future__ import annotations

import atexit
import os
import threading

from .server import SimServer

_lock = threading.Lock()
_shared: SimServer | None = None


def shared_server() -> SimServer:
    """Start (once, thread-safely) and return the process-wide `SimServer`.

    Its job length comes from `HAILUO_SIM_SECONDS` (default 10 s, long enough to watch
    the live status); it is stopped at interpreter exit.
    """
    global _shared
    with _lock:
        if _shared is None or not _shared.running:
            seconds = float(os.environ.get("HAILUO_SIM_SECONDS", "10"))
            _shared = SimServer(job_seconds=seconds, api_key="hailuo-sim-key").start()
            atexit.register(_shared.stop)
        return _shared
