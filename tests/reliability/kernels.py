"""A real ipykernel driven with jupyter_client, for restart and headless-notebook proofs."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
KEY_SUFFIXES = ("_API_KEY", "_BASE_URL")


def kernel_env(home: Path, videos: Path, **extra: str) -> dict[str, str]:
    """The test process's environment minus keys and hailuo settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if not k.endswith(KEY_SUFFIXES) and not k.startswith("HAILUO_")}
    env.update(HAILUO_HOME=str(home), HAILUO_OUTPUT_DIR=str(videos), HAILUO_POLL_INTERVAL="0.1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.update(extra)
    return env


class Kernel:
    """One python3 kernel; :meth:`run` executes a cell and returns what it printed."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        from jupyter_client.manager import KernelManager

        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(cwd=str(cwd), env=env)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    @property
    def pid(self) -> int:
        return int(self.km.provisioner.pid)  # type: ignore[union-attr]

    def run(self, code: str, timeout: float = 60, allow_error: bool = False) -> str:
        """Execute ``code``; return its stdout/stderr text plus any text/plain outputs."""
        outputs: list[dict[str, Any]] = []
        reply = self.kc.execute_interactive(code, timeout=timeout, output_hook=outputs.append,
                                            allow_stdin=False)
        text = []
        for msg in outputs:
            content = msg["content"]
            if msg["msg_type"] == "stream":
                text.append(content["text"])
            elif msg["msg_type"] in ("display_data", "execute_result", "update_display_data"):
                text.append(content["data"].get("text/plain", "") + "\n")
            elif msg["msg_type"] == "error":
                text.append(f"{content['ename']}: {content['evalue']}\n")
        out = "".join(text)
        if not allow_error:
            assert reply["content"]["status"] == "ok", (code, out, reply["content"])
        return out

    def kill(self) -> None:
        """SIGKILL, like a crash or the OOM killer: no atexit, no cleanup in the kernel."""
        os.kill(self.pid, signal.SIGKILL)
        self.km.provisioner.process.wait(timeout=10)  # type: ignore[union-attr]  # reaped: really gone
        self.close()

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)
