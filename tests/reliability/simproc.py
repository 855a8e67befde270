"""A simulator in its own process, steerable from the test (it outlives any kernel).

``python simproc.py --seconds S --api-key K`` starts a :class:`hailuo_nb.sim.SimServer`,
prints one JSON line (its addresses and per-protocol env), then answers one JSON command
per stdin line with one JSON line on stdout: ``inject``, ``count``, ``tasks``,
``requests``, ``clear``, ``received``, ``received_prompts``, ``rate_limit``.
:class:`SimProcess` is the test side.

(``python -m hailuo_nb.sim`` serves the same protocols but offers no way to count what it
received, which the restart and secrets proofs need.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


class SimProcess:
    """The test's handle on a simulator subprocess."""

    def __init__(self, seconds: float = 1.0, api_key: str = "sim-process-key") -> None:
        path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        env = {**os.environ, "PYTHONPATH": path}
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--seconds", str(seconds), "--api-key", api_key],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, start_new_session=True,
        )
        self._lock = threading.Lock()
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        if not line:
            raise RuntimeError("the simulator process did not start")
        self.info: dict[str, Any] = json.loads(line)
        self.api_key = api_key

    def env(self, protocol: str = "minimax") -> dict[str, str]:
        """HAILUO_PROVIDER, <P>_API_KEY, <P>_BASE_URL for ``protocol``."""
        return dict(self.info["env"][protocol])

    def call(self, op: str, **args: Any) -> Any:
        with self._lock:
            assert self.proc.stdin and self.proc.stdout
            self.proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
            self.proc.stdin.flush()
            reply = json.loads(self.proc.stdout.readline())
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply["result"]

    def inject(self, fault: str, **kw: Any) -> None:
        self.call("inject", fault=fault, **kw)

    def count(self, kind: str | None = None, protocol: str | None = None) -> int:
        return int(self.call("count", kind=kind, protocol=protocol))

    def tasks(self) -> list[dict[str, Any]]:
        return list(self.call("tasks"))

    def requests(self) -> list[dict[str, Any]]:
        return list(self.call("requests"))

    def received(self) -> list[list[str]]:
        """[method, path] of every API request that arrived, answered or not."""
        return list(self.call("received"))

    def received_prompts(self) -> list[str]:
        """The prompt of every submission that arrived, answered or not."""
        return list(self.call("received_prompts"))

    def rate_limit(self, rps: float | None) -> None:
        """Allow ``rps`` API requests per second (429 beyond), None for no limit."""
        self.call("rate_limit", rps=rps)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> SimProcess:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def _serve(seconds: float, api_key: str) -> None:
    from hailuo_nb.sim import SimServer
    from hailuo_nb.sim.protocols import PROTOCOL_NAMES
    from hailuo_nb.sim.ratelimit import TokenBucket

    srv = SimServer(job_seconds=seconds, api_key=api_key)
    # Count requests as they arrive (the request log records them only once answered), so
    # a test can tell that a held POST is really on the wire.
    received: list[list[str]] = []
    prompts: list[str] = []  # the prompt of every submission that arrived, answered or not
    inner = srv._api

    def api(req: Any) -> Any:
        received.append([req.method, req.path])
        if req.method == "POST":
            try:
                prompt = json.loads(req.body or b"{}").get("prompt")
            except (ValueError, AttributeError):
                prompt = None
            if isinstance(prompt, str):
                prompts.append(prompt)
        return inner(req)

    srv._api = api  # type: ignore[assignment]
    srv.start()
    env = {p: srv.env(p) for p in PROTOCOL_NAMES}
    hello = {"base_url": srv.base_url, "video_base_url": srv.video_base_url, "env": env}
    print(json.dumps(hello), flush=True)

    def task(t: Any) -> dict[str, Any]:
        return {"id": t.id, "protocol": t.protocol, "prompt": t.prompt, "status": t.status,
                "client_task_id": t.client_task_id}

    ops = {
        "inject": lambda a: (srv.inject(a.pop("fault"), **a), None)[1],
        "count": lambda a: srv.count(kind=a.get("kind"), protocol=a.get("protocol")),
        "tasks": lambda a: [task(t) for t in srv.accepted_submissions()],
        "requests": lambda a: [{"kind": r.kind, "protocol": r.protocol, "path": r.path, "status": r.status,
                                "has_authorization": r.has_authorization, "fault": r.fault}
                               for r in srv.requests],
        "clear": lambda a: srv.clear_faults(),
        "received": lambda a: list(received),
        "received_prompts": lambda a: list(prompts),
        # on the API object itself: srv._api is the counting wrapper now
        "rate_limit": lambda a: setattr(inner, "bucket", TokenBucket(a["rps"]) if a.get("rps") else None),
    }
    for line in sys.stdin:
        command = json.loads(line)
        try:
            result = ops[command.pop("op")](command)
            reply: dict[str, Any] = {"result": result}
        except Exception as exc:  # noqa: BLE001 - reported to the test
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(reply), flush=True)
    srv.stop()


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--api-key", default="sim-process-key")
    a = ap.parse_args()
    _serve(a.seconds, a.api_key)
