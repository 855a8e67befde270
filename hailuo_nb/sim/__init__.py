"""Offline simulator: a loopback HTTP server speaking every gateway protocol of hailuo_nb.

It renders real (small) H.264 MP4s (H3 clips with an AAC stereo soundtrack), serves
them from a second origin (optionally https) with expiring URLs, and injects faults on
demand. MiniMax is served on both its v1 API and the v2 API for H3. It shares no code
with `hailuo_nb.gateway`, so a misreading of docs/protocols.md on one side is caught by the
other.

Examples:
    >>> from hailuo_nb.sim import SimServer
    >>> with SimServer(job_seconds=0.1) as srv:          # doctest: +SKIP
    ...     srv.inject("rate_limit", kind="submit")
"""

from __future__ import annotations

from .faults import Fault
from .origins import RequestRecord
from .server import SimServer
from .shared import shared_server
from .tasks import SimTask

__all__ = ["Fault", "RequestRecord", "SimServer", "SimTask", "shared_server"]
