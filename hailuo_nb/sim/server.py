"""`SimServer`: the public face of the simulator (two loopback origins, one state).

The API origin serves all five protocols at their documented paths; the video origin
serves rendered videos and uploaded files, like a storage bucket behind pre-signed
URLs (https with `https=True`). Both run `ThreadingHTTPServer`s in daemon threads.

Knobs for acceptance tests: `job_seconds`, `queue_fraction`, `hold_queue()` /
`release()` (keep new tasks queued, e.g. to cancel one), `age_task()` (leave MiniMax
v2's 7-day window), `url_ttl`, `rate_limit_rps`, `inject()` faults, `set_variant()`;
observation: `requests`, `count(kind, protocol)` (kinds submit, poll, retrieve, upload,
list, cancel, download), `tasks`, `accepted_submissions()`, `find_task()`; models per
protocol: `models()`, `audio_models()`; https: `tls_cert_path`, `client_ssl_context()`.

Examples:
    >>> with SimServer(job_seconds=0.2) as srv:          # doctest: +SKIP
    ...     env = srv.env("runapi")  # HAILUO_PROVIDER, RUNAPI_API_KEY, RUNAPI_BASE_URL
    ...     srv.hold_queue()  # the next MiniMax v2 task can be DELETEd while queued
"""

from __future__ import annotations

import shutil
import ssl
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from .core import SimCore
from .faults import Fault, FaultBook, make_fault
from .origins import ApiOrigin, RequestLog, RequestRecord, VideoOrigin
from .protocols import PROTOCOL_CLASSES, PROTOCOL_NAMES, BaseProtocol
from .ratelimit import TokenBucket
from .tasks import SimTask
from .tls import client_context, make_certificate, server_context
from .wire import AppServer


class SimServer:
    """Loopback HTTP server speaking MiniMax, RunAPI, Runbase, RunningHub and Agentsflare."""

    def __init__(
        self,
        job_seconds: float = 0.3,
        api_key: str = "sim-key",
        host: str = "127.0.0.1",
        port: int = 0,
        video_port: int = 0,
        url_ttl: float = 3600.0,
        variants: dict[str, dict[str, Any]] | None = None,
        rate_limit_rps: float | None = None,
        https: bool = False,
    ) -> None:
        self.host, self._port, self._video_port = host, port, video_port
        self.https = https  # serve the video origin over TLS with a fresh self-signed cert
        self._tls_dir: Path | None = None
        self._core = SimCore(job_seconds, api_key, url_ttl)
        self._protocols: dict[str, BaseProtocol] = {n: c() for n, c in PROTOCOL_CLASSES.items()}
        self._faults = FaultBook()
        self._log = RequestLog()
        self._api = ApiOrigin(self._core, self._protocols, self._faults, self._log)
        self._video = VideoOrigin(self._core, self._faults, self._log)
        self._servers: list[AppServer] = []
        self._lock = threading.Lock()
        self.rate_limit_rps = rate_limit_rps
        for protocol, options in (variants or {}).items():
            self.set_variant(protocol, **options)

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> SimServer:
        """Bind both origins and serve them in background threads; returns self."""
        with self._lock:
            if self._servers:
                return self
            tls = self._tls() if self.https else None
            api = AppServer(self.host, self._port, self._api)
            try:
                video = AppServer(self.host, self._video_port, self._video, tls)
            except OSError:
                api.server_close()
                raise
            self._servers = [api, video]
            self._core.video_base_url = f"{'https' if tls else 'http'}://{self.host}:{video.port}"
            self._core.stopping.clear()
            for srv in self._servers:
                threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.5},
                                 daemon=True, name=f"hailuo-sim-{srv.port}").start()
        return self

    def stop(self) -> None:
        """Shut both origins down (idempotent)."""
        with self._lock:
            servers, self._servers = self._servers, []
        self._core.stopping.set()
        for srv in servers:
            srv.close()
        if self._tls_dir is not None:
            shutil.rmtree(self._tls_dir, ignore_errors=True)
            self._tls_dir = None

    def _tls(self) -> ssl.SSLContext:
        """A server context with a certificate made for this run (RuntimeError without tools)."""
        self._tls_dir = Path(tempfile.mkdtemp(prefix="hailuo-sim-tls-"))
        try:
            cert, key = make_certificate(self._tls_dir)
        except RuntimeError:
            shutil.rmtree(self._tls_dir, ignore_errors=True)
            self._tls_dir = None
            raise
        return server_context(cert, key)

    @property
    def tls_cert_path(self) -> str | None:
        """PEM certificate of the https video origin (its own CA: trust this file), or None."""
        return str(self._tls_dir / "cert.pem") if self._tls_dir else None

    def client_ssl_context(self) -> ssl.SSLContext:
        """An SSL context trusting the https video origin, e.g. `httpx.Client(verify=...)`."""
        if self._tls_dir is None:
            raise RuntimeError("this SimServer does not serve https (SimServer(https=True))")
        return client_context(self._tls_dir / "cert.pem")

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """True between start() and stop()."""
        return bool(self._servers)

    # -- addresses and settings ----------------------------------------------------------

    def _origin(self, index: int) -> str:
        if not self._servers:
            raise RuntimeError("SimServer is not started; call start() first")
        return f"http://{self.host}:{self._servers[index].port}"

    @property
    def base_url(self) -> str:
        """The API origin, serving every protocol at its documented paths."""
        return self._origin(0)

    @property
    def video_base_url(self) -> str:
        """The second origin, serving videos and uploaded files (no auth accepted).

        https when the server was made with `https=True`.
        """
        if not self._servers:
            raise RuntimeError("SimServer is not started; call start() first")
        return self._core.video_base_url

    def base_url_for(self, protocol: str) -> str:
        """The base URL a client of `protocol` should use."""
        self._check_protocol(protocol)
        return self.base_url + ("/openapi/v2" if protocol == "runninghub" else "")

    def env(self, protocol: str) -> dict[str, str]:
        """Environment variables that point hailuo_nb at this server for `protocol`."""
        prefix = protocol.upper()
        return {"HAILUO_PROVIDER": protocol, f"{prefix}_API_KEY": self.api_key,
                f"{prefix}_BASE_URL": self.base_url_for(protocol)}

    @property
    def api_key(self) -> str:
        """The key every API request must carry as a Bearer token."""
        return self._core.api_key

    @property
    def job_seconds(self) -> float:
        """Seconds from submit to done, for tasks created from now on."""
        return self._core.job_seconds

    @job_seconds.setter
    def job_seconds(self, value: float) -> None:
        self._core.job_seconds = float(value)

    @property
    def url_ttl(self) -> float:
        """Seconds a video or file URL stays valid."""
        return self._core.url_ttl

    @url_ttl.setter
    def url_ttl(self, value: float) -> None:
        self._core.url_ttl = float(value)

    @property
    def queue_fraction(self) -> float:
        """Share (0-1) of `job_seconds` a new task spends queued before it runs (0.2)."""
        return self._core.queue_fraction

    @queue_fraction.setter
    def queue_fraction(self, value: float) -> None:
        if not 0.0 <= value < 1.0:
            raise ValueError("queue_fraction must be in [0, 1)")
        self._core.queue_fraction = float(value)

    def hold_queue(self, hold: bool = True) -> None:
        """While held, new tasks stay `queued` until `release()` (test a cancel while queued)."""
        self._core.hold_queue = hold

    def release(self, task_id: str | None = None) -> None:
        """Let one held task (or all, with no id) start running now; also ends `hold_queue`."""
        if task_id is None:
            self._core.hold_queue = False
        for task in self._core.tasks.snapshot().values():
            if task_id in (None, task.id):
                task.release()

    def age_task(self, task_id: str, seconds: float) -> SimTask:
        """Move a task's creation time `seconds` into the past; KeyError for an unknown id.

        E.g. `age_task(tid, 8 * 86400)` takes it out of MiniMax v2's 7-day query window.
        """
        task = self._core.tasks.get(task_id)
        if task is None:
            raise KeyError(task_id)
        task.created_at -= seconds
        return task

    def models(self, protocol: str) -> tuple[str, ...]:
        """Model ids (RunningHub: endpoint names) the simulator serves for `protocol`."""
        self._check_protocol(protocol)
        return self._protocols[protocol].served_models

    def audio_models(self, protocol: str) -> tuple[str, ...]:
        """The subset of `models(protocol)` whose clips carry a soundtrack (H3)."""
        self._check_protocol(protocol)
        return self._protocols[protocol].audio_models

    @property
    def rate_limit_rps(self) -> float | None:
        """API requests per second allowed (token bucket), None = unlimited."""
        return self._api.bucket.rate if self._api.bucket else None

    @rate_limit_rps.setter
    def rate_limit_rps(self, value: float | None) -> None:
        self._api.bucket = TokenBucket(float(value)) if value else None

    # -- variants and faults -------------------------------------------------------------

    def _check_protocol(self, protocol: str | None) -> None:
        if protocol is not None and protocol not in PROTOCOL_NAMES:
            raise ValueError(f"unknown protocol {protocol!r}; known: {', '.join(PROTOCOL_NAMES)}")

    def set_variant(self, protocol: str, **options: Any) -> None:
        """Select reply-shape variants for `protocol` (see `protocols.base`)."""
        self._check_protocol(protocol)
        self._protocols[protocol].configure(**options)

    def reset_variants(self, protocol: str | None = None) -> None:
        """Back to the default shapes, for one protocol or all."""
        self._check_protocol(protocol)
        for name, proto in self._protocols.items():
            if protocol in (None, name):
                proto.reset()

    def variant(self, protocol: str) -> dict[str, Any]:
        """The variant options in force for `protocol`."""
        self._check_protocol(protocol)
        return dict(self._protocols[protocol].options)

    def inject(self, fault: str, protocol: str | None = None, kind: str | None = None,
               count: int = 1, **params: Any) -> Fault:
        """Queue a fault for the next `count` matching requests (-1: forever); see `faults`."""
        self._check_protocol(protocol)
        return self._faults.add(make_fault(fault, protocol, kind, count, params))

    def clear_faults(self) -> None:
        """Drop every fault still queued."""
        self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        """Faults still waiting for a matching request."""
        return self._faults.pending()

    # -- observation ---------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request received so far (a snapshot)."""
        return self._log.snapshot()

    def count(self, kind: str | None = None, protocol: str | None = None) -> int:
        """Number of requests received, optionally of one kind and/or protocol."""
        return sum(1 for r in self._log.snapshot()
                   if kind in (None, r.kind) and protocol in (None, r.protocol))

    @property
    def tasks(self) -> dict[str, SimTask]:
        """Task id -> task, for every accepted submission (a snapshot)."""
        return self._core.tasks.snapshot()

    def accepted_submissions(self, protocol: str | None = None) -> list[SimTask]:
        """Tasks actually created (what the user would pay for), oldest first."""
        return [t for t in self.tasks.values() if protocol in (None, t.protocol)]

    def find_task(self, **attrs: Any) -> SimTask | None:
        """First task whose attributes match, e.g. `find_task(client_task_id="gen-1")`."""
        return self._core.tasks.find(**attrs)
