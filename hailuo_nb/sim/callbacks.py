"""MiniMax `callback_url`: the challenge handshake, then one POST per status change.

`body_for(phase, status)` builds each query-shaped body (status in lower case, v1 words
by default, `v2_status` for MiniMax v2).

Runs in a daemon thread per task; every network failure is ignored (a callback is a
courtesy, polling stays the source of truth). The statuses actually delivered are
appended to `SimTask.callbacks` so tests can see them.
"""

from __future__ import annotations

import json
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from .tasks import SimTask

HANDSHAKE_TIMEOUT = 3.0
BodyFor = Callable[[str, str], dict[str, Any]]
StatusFor = Callable[[str], str]


def v1_status(phase: str) -> str:
    """MiniMax v1 callback words: processing, success, failed."""
    return {"succeeded": "success", "failed": "failed"}.get(phase, "processing")


def v2_status(phase: str) -> str:
    """MiniMax v2 callback words: queued, running, succeeded, failed, cancelled."""
    return "queued" if phase == "created" else phase


FINAL = {"success", "succeeded", "failed", "cancelled"}


def _post(url: str, body: dict[str, Any], timeout: float) -> Any:
    data = json.dumps(body).encode("utf-8")
    req = urllib.request.Request(url, data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        raw = resp.read(65536)
    return json.loads(raw.decode("utf-8") or "null")


def _run(task: SimTask, body_for: BodyFor, stop: threading.Event, status_for: StatusFor) -> None:
    assert task.callback_url is not None
    url = task.callback_url
    challenge = secrets.token_hex(16)
    try:
        echo = _post(url, {"challenge": challenge}, HANDSHAKE_TIMEOUT)
    except (urllib.error.URLError, OSError, ValueError):
        task.callbacks.append("challenge-failed")
        return
    if not isinstance(echo, dict) or echo.get("challenge") != challenge:
        task.callbacks.append("challenge-failed")
        return
    task.callbacks.append("challenge")
    sent = None
    while not stop.is_set():
        phase = task.phase()
        status = status_for(phase)
        if status != sent:
            try:
                _post(url, body_for(phase, status), HANDSHAKE_TIMEOUT)
                task.callbacks.append(status)
            except (urllib.error.URLError, OSError, ValueError):
                pass
            sent = status
        if status in FINAL:
            return
        stop.wait(min(0.25, max(0.01, task.seconds_left())))


def start_callbacks(task: SimTask, body_for: BodyFor, stop: threading.Event,
                    status_for: StatusFor = v1_status) -> None:
    """Validate `task.callback_url` and report status changes, in the background."""
    threading.Thread(target=_run, args=(task, body_for, stop, status_for), daemon=True,
                     name=f"sim-callback-{task.id}").start()
