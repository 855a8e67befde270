"""Adaptive polling vs fixed intervals: detection delay and status requests per job.

    python benchmarks/polling.py              # simulated clock + one real-time run (~2 min)
    python benchmarks/polling.py --no-realtime

Part 1 drives the production ``PollSchedule`` (hailuo_nb/gateway/schedule.py) on a
simulated clock, exactly as ``Runner._poll`` does: ``delay = next_delay(elapsed, polls)``,
sleep, poll, stop at the first poll at or after the job's finish. Jobs finish at times
spread evenly over 60-120 s, in a shuffled order; each job's window is
``Window.from_observations`` of the earlier jobs' *observed* durations (submit to the
poll that noticed completion, the last 200, as the journal returns them), starting
from the model's typical range. A fixed interval is the same code with ``fixed=`` (what
HAILUO_POLL_INTERVAL does).

Part 2 runs real generations through ``hailuo_nb.generate`` against a loopback
``SimServer`` speaking the MiniMax protocol, with job times scaled down (default 1/5:
12-24 s). A warm-up batch (fixed 1 s polling) gives the journal earlier observations, as
in a kernel that has run this model before; then the measured jobs run with the adaptive
schedule, each with the window production computed for it (``gen.expected_seconds``).
Requests are counted at the server, delays from the server's finish time to the
client's noticing it. The same jobs and windows are then replayed on the simulated
clock: the two must agree.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

import _common  # noqa: F401  (puts the checkout on sys.path)
from _common import header, isolated_env, pct, table, verdict

from hailuo_nb.gateway.catalog import MODELS
from hailuo_nb.gateway.schedule import PollSchedule, Window

MODEL = "hailuo-02-text-to-video-pro"
PRIOR = MODELS[MODEL].typical_seconds  # (60, 120)
FIXED = (0.1, 0.5, 1.0, 2.0, 5.0, 20.0)
JOURNAL_LIMIT = 200  # Journal.durations(limit=200)


@dataclass
class Outcome:
    delay: float  # seconds from the job's finish to the poll that noticed it
    polls: int  # status requests the job made


def drive(schedule: PollSchedule, finish: float) -> Outcome:
    """``Runner._poll`` on a simulated clock: poll until a poll at/after ``finish``."""
    t, polls = 0.0, 0
    while True:
        t += max(schedule.next_delay(t, polls), 0.0)
        polls += 1
        if t >= finish:
            return Outcome(t - finish, polls)


def even_jobs(n: int, low: float, high: float, seed: int) -> list[float]:
    """``n`` finish times evenly spread over [low, high], shuffled."""
    jobs = [low + (high - low) * (i + 0.5) / n for i in range(n)]
    random.Random(seed).shuffle(jobs)
    return jobs


def run_learning(jobs: Sequence[float], prior: tuple[float, float], learn: bool = True) -> list[Outcome]:
    """Jobs one after another, each window learned from the earlier ones' observations."""
    observed: list[float] = []
    out = []
    for finish in jobs:
        window = Window.from_observations(observed[-JOURNAL_LIMIT:], prior) if learn else Window(*prior)
        result = drive(PollSchedule(window), finish)
        observed.append(finish + result.delay)
        out.append(result)
    return out


def run_fixed(jobs: Sequence[float], interval: float) -> list[Outcome]:
    window = Window(*PRIOR)
    return [drive(PollSchedule(window, fixed=interval), f) for f in jobs]


def mean_polls(out: Sequence[Outcome]) -> float:
    return statistics.mean(o.polls for o in out)


def matching_interval(jobs: Sequence[float], target: float) -> float:
    """The fixed interval whose mean requests per job equals ``target`` (bisection)."""
    lo, hi = 0.05, 200.0  # mean polls decreases with the interval
    for _ in range(60):
        mid = math.sqrt(lo * hi)
        if mean_polls(run_fixed(jobs, mid)) > target:
            lo = mid
        else:
            hi = mid
    return hi


def row(name: str, out: Sequence[Outcome]) -> list[object]:
    delays = [o.delay for o in out]
    return [name, pct(delays, 50), pct(delays, 95), float(mean_polls(out)), max(o.polls for o in out)]


HEAD = ["strategy", "p50 delay (s)", "p95 delay (s)", "mean req/job", "max req/job"]


def simulated(n: int, seed: int) -> dict[str, float]:
    random.seed(seed)  # the late-backoff jitter
    jobs = even_jobs(n, 60.0, 120.0, seed)
    adaptive = run_learning(jobs, PRIOR)
    prior_only = run_learning(jobs, PRIOR, learn=False)
    fixed = {dt: run_fixed(jobs, dt) for dt in FIXED}
    target = mean_polls(adaptive)
    equal = matching_interval(jobs, target)
    equal_out = run_fixed(jobs, equal)
    rows = [row("adaptive, window learned from the journal", adaptive),
            row("adaptive, model prior only (60-120 s)", prior_only),
            row(f"adaptive, first {min(20, n)} jobs (cold journal)", adaptive[:20])]
    rows += [row(f"fixed {dt:g} s", out) for dt, out in fixed.items()]
    rows.append(row(f"fixed {equal:.2f} s (= adaptive's mean req/job)", equal_out))
    print(table(HEAD, rows, f"Simulated clock: {n} jobs, finish times evenly over 60-120 s"))
    a50 = pct([o.delay for o in adaptive], 50)
    e50 = pct([o.delay for o in equal_out], 50)
    print("targets:")
    print(f"- mean status requests per job <= 10: {target:.2f}  {verdict(target <= 10)}")
    print(f"- median detection delay <= 2 s: {a50:.2f} s  {verdict(a50 <= 2)}")
    print(f"- at equal mean requests ({target:.2f}/job = fixed {equal:.2f} s), median delay < half the"
          f" fixed interval's: {a50:.2f} s vs {e50:.2f} s (ratio {a50 / e50:.2f})  {verdict(a50 < e50 / 2)}")
    print()
    return {"mean_req": target, "p50": a50}


def realtime(scale: float, warmup: int, n: int, stagger: float, seed: int) -> bool:
    """Real generations on a loopback SimServer; returns whether it agrees with the simulated clock."""
    from hailuo_nb.sim import SimServer

    low, high = PRIOR[0] / scale, PRIOR[1] / scale
    with SimServer(job_seconds=low) as srv, isolated_env(**srv.env("minimax")):
        import hailuo_nb
        from hailuo_nb.gateway import session
        from hailuo_nb.gateway.config import resolve_provider

        def start(seconds: float) -> hailuo_nb.Generation:
            srv.job_seconds = seconds  # the simulator's job length for the next task it creates
            gen = hailuo_nb.generate("a glass marble rolls across a desk", model=MODEL, wait=False)
            while gen.task_id is None and not gen.done:
                time.sleep(0.002)
            if gen.task_id is None:
                raise RuntimeError(f"submission failed: {gen.error}")
            return gen

        os.environ["HAILUO_POLL_INTERVAL"] = "1"
        warm = [start(s) for s in even_jobs(warmup, low, high, seed + 1)]
        for gen in warm:
            gen.wait(120)
        del os.environ["HAILUO_POLL_INTERVAL"]
        learned = session.expected_window(resolve_provider(), MODEL)
        print(f"Real time: {warmup} warm-up jobs (fixed 1 s polling) → journal window"
              f" {learned[0]:.2f}-{learned[1]:.2f} s; now {n} adaptive jobs of {low:g}-{high:g} s,"
              f" one started every {stagger:g} s ...", flush=True)
        jobs = even_jobs(n, low, high, seed)
        gens = []
        t0 = time.time()
        for i, seconds in enumerate(jobs):
            gens.append(start(seconds))
            time.sleep(max(t0 + (i + 1) * stagger - time.time(), 0.0))
        for gen in gens:
            gen.wait(180)
        failed = [g for g in gens if g.status != "succeeded"]
        if failed:
            print(f"{len(failed)} generations did not succeed: {failed[0].error}")
        tasks = srv.tasks
        polls_by_task: dict[str, int] = {}
        for r in srv.requests:
            if r.kind == "poll":
                task_id = r.path.split("task_id=", 1)[-1].split("&", 1)[0]
                polls_by_task[task_id] = polls_by_task.get(task_id, 0) + 1
        real, replay = [], []
        for gen, seconds in zip(gens, jobs, strict=True):
            if gen in failed or gen.task_id is None or gen.finished_at is None:
                continue
            task = tasks[gen.task_id]
            real.append(Outcome(gen.finished_at - (task.created_at + task.job_seconds),
                                polls_by_task.get(gen.task_id, 0)))
            window = Window(*gen.expected_seconds)  # the window production used for this job
            replay.append(drive(PollSchedule(window), seconds))
        windows = [g.expected_seconds for g in gens]

    rows = [row("real time, hailuo_nb.generate on SimServer", real),
            row("simulated clock, same jobs and windows", replay)]
    print(table(HEAD, rows, f"Real time vs simulated clock: {n} jobs of {low:g}-{high:g} s"
                            f" (1/{scale:g} of 60-120 s); windows used"
                            f" {min(w[0] for w in windows):.2f}-{max(w[1] for w in windows):.2f} s"))
    real_req, sim_req = mean_polls(real), mean_polls(replay)
    ok = abs(real_req - sim_req) <= max(0.5, 0.1 * sim_req) and not failed
    print(f"agreement (mean req/job within 0.5 or 10%): real {real_req:.2f} vs simulated {sim_req:.2f}"
          f"  {verdict(ok)}")
    print(f"(delays here are at 1/{scale:g} scale; the real ones also include the HTTP round trip and"
          f" the shared {_rps():g} req/s budget's spacing, which the simulated clock leaves out)\n")
    return ok


def _rps() -> float:
    from hailuo_nb.gateway.engine import DEFAULT_RPS

    return DEFAULT_RPS


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=1000, help="jobs on the simulated clock")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-realtime", action="store_true", help="skip the real-time run")
    ap.add_argument("--scale", type=float, default=5.0, help="real-time jobs last 60-120 s / SCALE")
    ap.add_argument("--warmup", type=int, default=12, help="real-time warm-up jobs")
    ap.add_argument("--rt-jobs", type=int, default=40, help="real-time measured jobs")
    ap.add_argument("--stagger", type=float, default=1.0, help="seconds between real-time submissions")
    args = ap.parse_args(argv)
    header("Polling: adaptive schedule vs fixed intervals")
    simulated(args.jobs, args.seed)
    if not args.no_realtime:
        realtime(args.scale, args.warmup, args.rt_jobs, args.stagger, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
