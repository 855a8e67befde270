"""The engine: one worker thread running an asyncio loop for every generation's I/O.

Why a thread and not the caller's loop (docs/design.md §1): in Jupyter, tasks on the kernel's
loop stop while another cell runs blocking code, and a blocking ``wait()`` inside a
running loop would need re-entrancy (nest-asyncio). On a worker thread polling goes on
whatever the main thread does, a blocking wait is a plain ``Event.wait`` that works the
same in JupyterLab, IPython, scripts and headless runs, and ``agenerate`` just awaits
a wrapped future. The notebook layer routes UI updates back to the right cell.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

import httpx

from hailuo_nb.gateway.client import GatewayClient, new_http_client
from hailuo_nb.gateway.config import Endpoint
from hailuo_nb.gateway.retry import RequestBudget

T = TypeVar("T")

#: the simulator's pace: it is on loopback and limits itself only when a test asks it to
SIM_RPS = 50.0


class Engine:
    """A daemon thread with its own event loop, HTTP clients and per-provider budgets."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="hailuo-engine", daemon=True)
        self.thread.start()
        self._ready.wait()
        self._api_http: httpx.AsyncClient | None = None
        self._video_http: httpx.AsyncClient | None = None
        self._budgets: dict[str, RequestBudget] = {}

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        self.loop.run_forever()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run ``coro`` on the engine loop; thread-safe."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call_soon(self, callback: Any, *args: Any) -> None:
        self.loop.call_soon_threadsafe(callback, *args)

    @property
    def on_engine_thread(self) -> bool:
        return threading.current_thread() is self.thread

    def client(self, endpoint: Endpoint) -> GatewayClient:
        """The API client for ``endpoint`` (engine thread only)."""
        if self._api_http is None:
            self._api_http = new_http_client(limits=httpx.Limits(max_connections=64))
        if endpoint.name not in self._budgets:
            rps = SIM_RPS if endpoint.simulated else endpoint.protocol.rate_limits.requests_per_second
            self._budgets[endpoint.name] = RequestBudget(rps)
        budget = self._budgets[endpoint.name]
        return GatewayClient(endpoint, self._api_http, budget)

    @property
    def video_http(self) -> httpx.AsyncClient:
        """A client for video hosts: it never carries an Authorization header."""
        if self._video_http is None:
            self._video_http = new_http_client(timeout=httpx.Timeout(60.0, connect=10.0))
        return self._video_http

    def close(self) -> None:
        async def _close() -> None:
            for http in (self._api_http, self._video_http):
                if http is not None:
                    await http.aclose()

        if self.loop.is_running():
            with contextlib.suppress(Exception):  # best effort at exit
                self.submit(_close()).result(timeout=2)
            self.loop.call_soon_threadsafe(self.loop.stop)


_engine: Engine | None = None
_lock = threading.Lock()


def get_engine() -> Engine:
    """The process-wide engine, started on first use."""
    global _engine
    with _lock:
        if _engine is None:
            _engine = Engine()
            atexit.register(_engine.close)
        return _engine
