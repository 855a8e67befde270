"""Kernel responsiveness: %%hailuo cell latency, main-thread stalls and CPU with 100 in flight.

    python benchmarks/kernel.py                 # ~1.5 min
    python benchmarks/kernel.py --jobs 100 --window 20 --poll-intervals 10 1

A real ipykernel (started with jupyter_client, like JupyterLab does) loads the extension
and runs ``%%hailuo`` cells against a loopback ``SimServer`` (MiniMax protocol) that
lives in this driver process, so the simulator's CPU is not the kernel's.

- Cell latency: each ``%%hailuo --force`` cell's own run time inside the kernel
  (IPython's ``pre_run_cell`` → ``post_run_cell`` events) and the client's round trip
  (execute_request → execute_reply); a ``pass`` cell gives the messaging floor.
- Stalls and CPU: with the generations in flight (jobs last an hour, so they are all
  still polling) the kernel sits idle for ``--window`` seconds while an asyncio task on
  the kernel's own main-thread loop measures how late each 10 ms sleep wakes up (event
  loop lag); then idle again for as long with no probe, and ``time.process_time()``
  gives the whole kernel process's CPU (main thread, engine thread, ZMQ threads). The
  same with nothing in flight is the idle kernel's floor. Jobs last an hour on the
  simulator, so the polling rate is set with HAILUO_POLL_INTERVAL, one kernel per
  setting: 10 s gives 100 jobs the mean status-request rate of the adaptive schedule on
  60-120 s jobs (~10 req/s; judged), 1 s asks for 100 req/s, which the provider's
  shared budget holds to 20 req/s — the most polling the engine ever does for one
  provider (shown as the ceiling).

A session named ``adaptive`` (the first, judged, by default) sets no HAILUO_POLL_INTERVAL:
each job gets a log-normal length (``--median``, σ 0.2) through the simulator's
``[seconds=N]`` prompt word, and the measurement starts ``--settle`` s after the cells, where
the learned schedule polls densest and jobs finish and download.

Targets: median %%hailuo cell < 25 ms; p99 lag < 20 ms; CPU while waiting < 5 % of a core.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import _common  # noqa: F401  (puts the checkout on sys.path)
from _common import ROOT, header, pct, table, verdict

SETUP = r"""
import asyncio, time
from IPython import get_ipython
_bench = {"cells": [], "t": None}
def _pre(*a, **k): _bench["t"] = time.perf_counter()
def _post(*a, **k): _bench["cells"].append(time.perf_counter() - _bench["t"])
get_ipython().events.register("pre_run_cell", _pre)
get_ipython().events.register("post_run_cell", _post)

def _start_probe(period=0.010):
    loop = asyncio.get_running_loop()
    probe = {"lags": [], "cpu": time.process_time(), "wall": time.perf_counter(), "on": True}
    async def tick():
        while probe["on"]:
            t = loop.time()
            await asyncio.sleep(period)
            probe["lags"].append(loop.time() - t - period)
    probe["task"] = loop.create_task(tick())
    return probe

def _stop_probe(probe):
    probe["on"] = False
    cpu = time.process_time() - probe["cpu"]
    wall = time.perf_counter() - probe["wall"]
    return {"lags": probe["lags"], "cpu": cpu, "wall": wall}
"""


class Kernel:
    """A started ipykernel and a blocking client."""

    def __init__(self, env: dict[str, str]) -> None:
        import os

        from jupyter_client.manager import start_new_kernel

        full = {**os.environ, **env}
        full["PYTHONPATH"] = str(ROOT) + (":" + full["PYTHONPATH"] if full.get("PYTHONPATH") else "")
        self.km, self.kc = start_new_kernel(kernel_name="python3", env=full)

    def run(self, code: str, timeout: float = 120) -> tuple[float, dict[str, Any], list[str]]:
        """Execute ``code``; (round trip seconds, reply content, text outputs)."""
        t0 = time.perf_counter()
        msg_id = self.kc.execute(code)
        while True:
            reply = self.kc.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        took = time.perf_counter() - t0
        outputs: list[str] = []
        while True:  # drain this cell's output (until the kernel says it is idle)
            msg = self.kc.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                outputs.append(content["text"])
            elif kind in ("execute_result", "display_data"):
                outputs.append(content["data"].get("text/plain", ""))
            elif kind == "error":
                outputs.append("\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                break
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"cell failed: {code[:80]!r}\n{''.join(outputs)}")
        return took, reply["content"], outputs

    def value(self, expr: str) -> Any:
        """``expr`` evaluated in the kernel, as JSON."""
        _, _, out = self.run(f"import json as _j; print(_j.dumps({expr}))")
        return json.loads("".join(out).strip().splitlines()[-1])

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


CONTROL = r"""
import asyncio, json, sys
async def main(seconds, period=0.010):
    loop = asyncio.get_running_loop()
    lags, end = [], loop.time() + seconds
    while loop.time() < end:
        t = loop.time()
        await asyncio.sleep(period)
        lags.append(loop.time() - t - period)
    print(json.dumps(lags))
asyncio.run(main(float(sys.argv[1])))
"""


def lag_stats(lags_s: Sequence[float]) -> dict[str, float]:
    lags = [x * 1000 for x in lags_s]
    return {"p50": pct(lags, 50), "p99": pct(lags, 99), "max": max(lags), "ticks": len(lags)}


def probe(kernel: Kernel, seconds: float) -> dict[str, Any]:
    """Two idle spells: one with the lag probe running, one with nothing but the kernel.

    During the first, a bare Python process runs the same probe: the machine's own noise
    (other processes competing for the cores), to tell apart from the kernel's stalls.
    """
    control = subprocess.Popen([sys.executable, "-c", CONTROL, str(seconds)], stdout=subprocess.PIPE,
                               text=True)
    kernel.run("_probe = _start_probe()")
    time.sleep(seconds)  # the kernel is idle: only its background work (and the probe) runs
    stats = kernel.value("(lambda r: {'lags': r['lags'], 'cpu': r['cpu'], 'wall': r['wall']})"
                         "(_stop_probe(_probe))")
    kernel.run("_quiet = (time.process_time(), time.perf_counter())")
    time.sleep(seconds)
    quiet = kernel.value("(time.process_time() - _quiet[0]) / (time.perf_counter() - _quiet[1])")
    out, _ = control.communicate()
    return {**lag_stats(stats["lags"]), "control": lag_stats(json.loads(out)),
            "cpu_probe": 100 * stats["cpu"] / stats["wall"], "cpu": 100 * quiet}


def session(srv: Any, tmp: Path, poll_interval: str, jobs: int, window: float,
            idle_floor: bool, median: float = 90.0, settle: float = 0.0) -> dict[str, Any]:
    """One kernel: load the extension, start ``jobs`` %%hailuo cells, measure while they wait.

    ``poll_interval`` "adaptive": no HAILUO_POLL_INTERVAL; each job lasts a log-normal
    ``median`` (σ 0.2, the simulator's ``[seconds=N]`` word) and the measurement starts
    ``settle`` s after the cells, where the learned schedule polls densest and jobs finish.
    """
    import random

    adaptive = poll_interval == "adaptive"
    env = {**srv.env("minimax"), "HAILUO_HOME": str(tmp / f"home-{poll_interval}"),
           "HAILUO_OUTPUT_DIR": str(tmp / "videos")}
    if not adaptive:
        env["HAILUO_POLL_INTERVAL"] = poll_interval
    rng = random.Random(7)

    def length() -> str:
        return f" [seconds={median * rng.lognormvariate(0, 0.2):.2f}] [queue=0]" if adaptive else ""
    kernel = Kernel(env)
    out: dict[str, Any] = {}
    try:
        kernel.run(SETUP)
        if idle_floor:
            out["floor"] = [kernel.run("pass")[0] for _ in range(20)]
            out["idle"] = probe(kernel, window)
        _, _, out["banner"] = kernel.run("%load_ext hailuo_nb")
        out["trips"] = [kernel.run(f"%%hailuo --force\nbenchmark clip number {i}{length()}")[0]
                        for i in range(jobs)]
        started = time.time()
        cells = kernel.value("_bench['cells']")
        out["cells"], out["load"] = cells[-jobs:], cells[-jobs - 1]
        deadline = time.time() + 60
        accepted = "sum(g.task_id is not None for g in __import__('hailuo_nb').pending())"
        while time.time() < deadline and kernel.value(accepted) < jobs:
            time.sleep(0.5)
        if adaptive:
            out["in_flight_before"] = kernel.value("len(__import__('hailuo_nb').pending())")
            time.sleep(max(started + settle - time.time(), 0.0))
        polls = srv.count(kind="poll")
        out["busy"] = probe(kernel, window)
        out["rate"] = (srv.count(kind="poll") - polls) / (2 * window)  # probe() idles twice
        out["in_flight"] = kernel.value("len(__import__('hailuo_nb').pending())")
        kernel.run("import hailuo_nb\nfor g in hailuo_nb.pending(): g.cancel()")
    finally:
        kernel.close()
    return out


def whole_wait(srv: Any, tmp: Path, jobs: int, median: float) -> dict[str, float]:
    """The kernel's CPU over the whole wait of ``jobs`` learned-schedule jobs, with no probe running.

    From the moment every job was accepted until the last one is downloaded: the polls at
    every density the schedule uses, the finishes and the downloads (what "while waiting"
    costs on average, beside the densest window that ``session`` measures).
    """
    import random

    env = {**srv.env("minimax"), "HAILUO_HOME": str(tmp / "home-whole"), "HAILUO_OUTPUT_DIR": str(tmp / "videos")}
    rng = random.Random(11)
    kernel = Kernel(env)
    try:
        kernel.run(SETUP + "\n%load_ext hailuo_nb")
        for i in range(jobs):
            kernel.run(f"%%hailuo --force\nwaiting clip {i} [seconds={median * rng.lognormvariate(0, 0.2):.2f}]"
                       " [queue=0]")
        accepted = "sum(g.task_id is not None for g in __import__('hailuo_nb').pending())"
        while kernel.value(accepted) < jobs:
            time.sleep(0.5)
        start = kernel.value("[time.process_time(), time.time()]")
        polls = srv.count(kind="poll")
        while kernel.value("len(__import__('hailuo_nb').pending())"):
            time.sleep(5)
        end = kernel.value("[time.process_time(), time.time()]")
    finally:
        kernel.close()
    wall = end[1] - start[1]
    return {"cpu": 100 * (end[0] - start[0]) / wall, "wall": wall,
            "rate": (srv.count(kind="poll") - polls) / wall}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=100, help="generations in flight")
    ap.add_argument("--window", type=float, default=15.0, help="seconds of each idle measurement")
    ap.add_argument("--poll-intervals", nargs="+", default=["adaptive", "10", "1"],
                    help="HAILUO_POLL_INTERVAL of each kernel session, or 'adaptive' (the first is judged)")
    ap.add_argument("--median", type=float, default=90.0, help="adaptive session: median job length (s)")
    ap.add_argument("--settle", type=float, default=55.0, help="adaptive session: seconds before measuring")
    args = ap.parse_args(argv)
    header("Kernel: %%hailuo cell latency, main-thread stalls and CPU")

    from hailuo_nb.sim import SimServer

    with SimServer(job_seconds=3600) as srv, tempfile.TemporaryDirectory(prefix="hailuo-bench-") as tmp:
        runs = [session(srv, Path(tmp), pi, args.jobs, args.window, idle_floor=i == 0, median=args.median,
                        settle=args.settle)
                for i, pi in enumerate(args.poll_intervals)]
        whole = whole_wait(srv, Path(tmp), args.jobs, args.median) if "adaptive" in args.poll_intervals else None

    first = runs[0]
    print("".join(first["banner"]).strip())
    print()
    rows = []
    for pi, run in zip(args.poll_intervals, runs, strict=True):
        ms = [x * 1000 for x in run["cells"]]
        rt = [x * 1000 for x in run["trips"]]
        rows.append([f"%%hailuo cell, in the kernel (session {pi})", statistics.median(ms), pct(ms, 95),
                     max(ms), ms[0]])
        rows.append([f"%%hailuo cell, client round trip (session {pi})", statistics.median(rt), pct(rt, 95),
                     max(rt), rt[0]])
    fl = [x * 1000 for x in first["floor"]]
    rows.append(["`pass` cell, client round trip (messaging floor)", statistics.median(fl), pct(fl, 95),
                 max(fl), fl[0]])
    rows.append(["%load_ext hailuo_nb, in the kernel", first["load"] * 1000, "", "", ""])
    print(table(["cell", "median (ms)", "p95 (ms)", "max (ms)", "first (ms)"], rows,
                f"Cell latency: {args.jobs} %%hailuo cells per session, each a new submission"))
    idle = first["idle"]
    rows = [["idle kernel, nothing in flight", idle["ticks"], idle["p50"], idle["p99"], idle["max"],
             idle["control"]["p99"], idle["cpu"], idle["cpu_probe"], "-"]]
    for pi, run in zip(args.poll_intervals, runs, strict=True):
        busy = run["busy"]
        label = (f"{run['in_flight_before']}→{run['in_flight']} in flight, adaptive schedule" if pi == "adaptive"
                 else f"{run['in_flight']} in flight, HAILUO_POLL_INTERVAL={pi}")
        rows.append([label, busy["ticks"], busy["p50"],
                     busy["p99"], busy["max"], busy["control"]["p99"], busy["cpu"], busy["cpu_probe"],
                     f"{run['rate']:.1f}"])
    print(table(["kernel state", "ticks", "lag p50 (ms)", "lag p99 (ms)", "lag max (ms)",
                 "control p99 (ms)", "CPU % of a core", "CPU % with probe", "status req/s"], rows,
                f"Main-thread event-loop lag (10 ms ticks), kernel process CPU, {args.window:g} s idle"))
    print("Lag: a 10 ms asyncio sleep on the kernel's main-thread loop, how late it wakes; control:\n"
          "the same probe in a bare Python process at the same time (the machine's own noise). CPU:\n"
          "the kernel process, over a second idle spell without the probe (and, for reference, with it).\n"
          "adaptive: the production schedule on jobs of a log-normal median (σ 0.2), measured from --settle s\n"
          "after the cells, while it polls densest and jobs finish and download (so fewer stay in flight).\n"
          "HAILUO_POLL_INTERVAL=10 gives 100 jobs the status-request rate the adaptive schedule has on\n"
          "average for 60-120 s jobs (8.9 requests per ~92 s each, benchmarks/polling.py); =1 asks\n"
          "for 100 req/s, which the provider's shared budget holds to 20 req/s: the engine's ceiling.\n")
    ms = [x * 1000 for x in first["cells"]]
    med, busy = statistics.median(ms), first["busy"]
    pi = args.poll_intervals[0]
    print("targets:")
    print(f"- median %%hailuo cell < 25 ms: {med:.1f} ms in the kernel"
          f" ({statistics.median(x * 1000 for x in first['trips']):.1f} ms round trip)  {verdict(med < 25)}")
    print(f"- {args.jobs} in flight (interval {pi}), main-thread stalls p99 < 20 ms: {busy['p99']:.2f} ms"
          f" (bare process at the same time: {busy['control']['p99']:.2f} ms)  {verdict(busy['p99'] < 20)}")
    if whole is not None:
        print(f"- {args.jobs} in flight (adaptive), CPU over the whole wait < 5 % of a core: {whole['cpu']:.2f} %"
              f" ({whole['wall']:.0f} s, {whole['rate']:.1f} status req/s on average)  {verdict(whole['cpu'] < 5)}")
    print(f"- {args.jobs} in flight (interval {pi}), CPU in the densest {args.window:g} s < 5 % of a core:"
          f" {busy['cpu']:.2f} %  {verdict(busy['cpu'] < 5)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
