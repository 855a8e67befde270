"""A real ipykernel (jupyter_client): where the finished video's output is addressed.

The kernel runs the simulator in-process (HAILUO_PROVIDER=sim) with short jobs. Every
iopub message is kept, so a test can check which cell a message belongs to (its parent
msg_id) and when it arrived relative to other cells' busy/idle states.
"""

from __future__ import annotations

import os
import queue
import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[2]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


class Kernel:
    """A kernel plus every iopub message it sent, in order."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        from jupyter_client.manager import KernelManager

        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(cwd=str(cwd), env=env)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)
        self.messages: list[dict[str, Any]] = []

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    def _pump(self, timeout: float) -> bool:
        try:
            msg = self.kc.get_iopub_msg(timeout=timeout)
        except queue.Empty:
            return False
        self.messages.append(msg)
        return True

    def wait_for(self, predicate: Any, timeout: float = 30.0, what: str = "message") -> dict:
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for msg in self.messages[seen:]:
                if predicate(msg):
                    return msg
            seen = len(self.messages)
            left = deadline - time.monotonic()
            if left <= 0:
                types = [(m["msg_type"], m["parent_header"].get("msg_id", "")[:8]) for m in self.messages]
                raise AssertionError(f"timed out waiting for {what}; got {types[-40:]}")
            self._pump(min(left, 0.5))

    def execute(self, code: str, timeout: float = 60.0) -> str:
        """Run ``code``; return its msg_id once the kernel is idle again after it."""
        msg_id = self.kc.execute(code)
        self.wait_for(
            lambda m: (
                m["msg_type"] == "status"
                and m["parent_header"].get("msg_id") == msg_id
                and m["content"]["execution_state"] == "idle"
            ),
            timeout,
            f"idle after {code[:40]!r}",
        )
        reply = self.kc.get_shell_msg(timeout=10)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=10)
        assert reply["content"]["status"] == "ok", (code, reply["content"], self.text(msg_id))
        return msg_id

    def of(self, msg_id: str, msg_type: str | None = None) -> list[dict]:
        return [
            m
            for m in self.messages
            if m["parent_header"].get("msg_id") == msg_id and (msg_type is None or m["msg_type"] == msg_type)
        ]

    def text(self, msg_id: str) -> str:
        return "".join(m["content"]["text"] for m in self.of(msg_id, "stream"))

    def index(self, msg: dict) -> int:
        return next(i for i, m in enumerate(self.messages) if m is msg)

    def state_index(self, msg_id: str, state: str) -> int:
        return next(
            i
            for i, m in enumerate(self.messages)
            if m["msg_type"] == "status"
            and m["parent_header"].get("msg_id") == msg_id
            and m["content"]["execution_state"] == state
        )


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Any:
    cwd = tmp_path_factory.mktemp("kernel")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith("_API_KEY") and k not in ("HAILUO_WAIT", "HAILUO_BUDGET_USD")
    }
    env.update(
        HAILUO_PROVIDER="sim",
        HAILUO_SIM_SECONDS="1.0",
        HAILUO_POLL_INTERVAL="0.05",
        HAILUO_HOME=str(cwd / "home"),
        HAILUO_OUTPUT_DIR=str(cwd / "hailuo_videos"),
        HAILUO_FRONTEND="lab",  # a kernel started by pytest detects as headless: these test the widget
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    k = Kernel(cwd, env)
    k.cwd = cwd  # type: ignore[attr-defined]
    try:
        load = k.execute("%load_ext hailuo_nb")
        assert "simulator" in k.text(load)
        yield k
    finally:
        k.close()


def _display_id(msg: dict) -> str | None:
    return msg["content"].get("transient", {}).get("display_id")


def _video_update(k: Kernel, display_id: str, timeout: float = 30.0) -> dict:
    return k.wait_for(
        lambda m: m["msg_type"] == "update_display_data" and _display_id(m) == display_id,
        timeout,
        f"update_display_data for {display_id}",
    )


def _video_file(k: Kernel, update: dict) -> Path:
    html = update["content"]["data"]["text/html"]
    src = re.search(r'<video src="([^"]+)"', html).group(1)
    assert not src.startswith(("/", "data:", "http")), src  # relative to the notebook's folder
    return Path(k.cwd) / src  # type: ignore[attr-defined]


def test_video_lands_in_the_originating_cell_while_another_cell_runs(kernel: Kernel) -> None:
    k = kernel
    start = k.execute("%%hailuo --out g\na red kite over a grey sea, slow dolly")
    shown = [m for m in k.of(start, "display_data") if WIDGET_MIME in m["content"]["data"]]
    assert len(shown) == 1, k.of(start)
    display_id = _display_id(shown[0])
    assert display_id

    # A cell that blocks the main thread until the generation has ended.
    blocker = k.execute(
        "import time\n_t0 = time.monotonic()\n"
        "while not g.done and time.monotonic() - _t0 < 30:\n    time.sleep(0.005)\n"
        "print('blocker saw', g.status)"
    )
    assert "blocker saw succeeded" in k.text(blocker)
    update = _video_update(k, display_id)
    assert update["parent_header"]["msg_id"] == start  # addressed to the %%hailuo cell...
    busy, idle = k.state_index(blocker, "busy"), k.state_index(blocker, "idle")
    assert busy < k.index(update) < idle  # ...and sent while the other cell was running
    assert _video_file(k, update).is_file()
    assert update["content"]["data"]["text/plain"].startswith("hailuo ✓ succeeded")

    # The widget's state changes went out while the blocking cell held the main thread.
    comm_id = shown[0]["content"]["data"][WIDGET_MIME]["model_id"]
    during = [
        m for m in k.messages[busy:idle] if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm_id
    ]
    statuses = [m["content"]["data"].get("state", {}).get("status") for m in during]
    assert {"running", "succeeded"} & set(statuses) or "downloading" in statuses, statuses

    after = k.execute("print(1 + 1)")
    assert not [m for m in k.of(after) if m["msg_type"].endswith("display_data")]


def test_hailuo_wait_blocks_the_cell_and_publishes_inside_it(kernel: Kernel) -> None:
    k = kernel
    k.execute("import os; os.environ['HAILUO_WAIT'] = '1'")
    try:
        t0 = time.monotonic()
        cell = k.execute("%%hailuo --out w\na paper boat drifting on a puddle")
        took = time.monotonic() - t0
        [shown] = [m for m in k.of(cell, "display_data") if WIDGET_MIME in m["content"]["data"]]
        update = _video_update(k, _display_id(shown), timeout=1)  # already there
        assert update["parent_header"]["msg_id"] == cell
        assert k.index(update) < k.state_index(cell, "idle")
        assert _video_file(k, update).is_file()
        assert took >= 0.9  # the simulated job takes 1 s
        # The widget stayed live while the cell waited (state changes from the engine thread).
        comm_id = shown["content"]["data"][WIDGET_MIME]["model_id"]
        statuses = [
            m["content"]["data"].get("state", {}).get("status")
            for m in k.of(cell, "comm_msg")
            if m["content"]["comm_id"] == comm_id
        ]
        assert len([s for s in statuses if s]) >= 2, statuses
    finally:
        k.execute("os.environ.pop('HAILUO_WAIT', None)")
    check = k.execute("print(w.status, w.video_path.is_file())")
    assert k.text(check).strip() == "succeeded True"


def test_line_wait_republishes_for_headless_runners(kernel: Kernel) -> None:
    k = kernel
    first = k.execute("%%hailuo --out a\na lighthouse at dusk, waves")
    [shown] = [m for m in k.of(first, "display_data") if WIDGET_MIME in m["content"]["data"]]
    wait = k.execute("%hailuo wait")
    # Counted with any earlier clip of this kernel that ended while its cell was idle.
    assert re.search(r"\d+ succeeded", k.text(wait)), k.text(wait)
    display_id = _display_id(shown)
    updates = [m for m in k.of(wait, "update_display_data") if _display_id(m) == display_id]
    assert updates, "the %hailuo wait cell must carry the video for nbclient"
    assert _video_file(k, updates[-1]).is_file()


def test_a_generation_shown_as_a_value_is_the_widget_then_the_saved_video(kernel: Kernel) -> None:
    k = kernel
    k.execute("import hailuo_nb\nr = hailuo_nb.generate('a snail on a leaf', wait=False)")
    running = k.execute("r")  # the simulated job takes 1 s: still running
    [shown] = k.of(running, "display_data")
    assert WIDGET_MIME in shown["content"]["data"]
    display_id = shown["content"]["transient"]["display_id"]
    k.execute("r.wait(30)")
    done = k.execute("r")
    [result] = k.of(done, "display_data")
    assert "<video" in result["content"]["data"]["text/html"]
    updates = [m for m in k.messages if m["msg_type"] == "update_display_data"
               and m["content"]["transient"]["display_id"] == display_id]
    assert updates and "<video" in updates[-1]["content"]["data"]["text/html"]
    assert updates[-1]["parent_header"]["msg_id"] == running


if sys.platform == "win32":  # pragma: no cover
    pytestmark = pytest.mark.skip("POSIX only")
