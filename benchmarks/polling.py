"""Learned polling vs the best fixed interval, in real time, on job-length distributions it was not designed from.

    python benchmarks/polling.py                     # the whole family at once, real time (~25 min)
    python benchmarks/polling.py --only A,B          # some of it
    python benchmarks/polling.py --report out.json   # print the tables of an earlier run's results

Every job is a real ``hailuo_nb.generate`` call against a loopback ``SimServer``: the
library submits, polls with the production schedule (``gateway/schedule.py``) and timing
model (``gateway/timing.py``, learning from the journal as jobs finish), and downloads.
Each job's true length is set through the simulator's ``[seconds=N]`` prompt word (and its
queue time through ``[queue=N]``; ``[queue=0]`` means the gateway says "running" from the
start, so status carries no information). All distributions run at once, each under its own
provider × model, so each learns only from its own jobs; jobs start ``--stagger`` medians
apart, so about ten are in flight per distribution and later jobs re-plan mid-flight as
earlier ones finish.

Per distribution: requests per job are counted at the server, detection delay runs from the
job's true end (server clock) to the library noticing it. "cold" = the first 10 jobs (the
journal knows nothing when they start: the catalog prior, 60-120 s), "warm" = the jobs
started after the first 30 (for the 10-minute one: a second wave of 16 jobs started 11 minutes
after the first 20, when about half of those had finished). The best fixed interval is computed
for the same jobs' true lengths: the interval whose mean requests per job equal the warm
jobs', and its median delay. "oracle" is the same schedule rule given the true distribution
on a simulated clock (what perfect learning could reach at the same budget).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import _common  # noqa: F401  (puts the checkout on sys.path)
import numpy as np
from _common import header, isolated_env, pct, table, verdict

PROMPT = "a glass marble rolls across a desk"


@dataclass(frozen=True)
class Family:
    name: str
    about: str
    provider: str
    model: str
    median: float
    jobs: int
    warm_from: int
    draw: Callable[[np.random.Generator, float], tuple[float, float]]  # (rng, progress 0..1) -> (length, queue)
    stagger: float = 0.0  # medians between submissions (0: --stagger)
    wave: tuple[int, float] | None = None  # (job index, seconds): submissions pause until then


def _ln(median: float, sigma: float) -> Callable[[np.random.Generator, float], tuple[float, float]]:
    return lambda rng, _: (median * math.exp(sigma * rng.standard_normal()), 0.0)


def _gamma(rng: np.random.Generator, _: float) -> tuple[float, float]:
    return (float(rng.gamma(4.0, 90.0 / 3.67)), 0.0)  # shape 4 (CV 0.5), median 90 s


def _bimodal(rng: np.random.Generator, _: float) -> tuple[float, float]:
    fast = rng.random() < 0.65
    return ((40.0 if fast else 150.0) * math.exp(0.1 * rng.standard_normal()), 0.0)


def _drift(rng: np.random.Generator, progress: float) -> tuple[float, float]:
    return (60.0 * (1.0 + progress) * math.exp(0.3 * rng.standard_normal()), 0.0)  # median 60 → 120 s


def _queued(rng: np.random.Generator, _: float) -> tuple[float, float]:
    queue = float(rng.exponential(40.0))
    return (queue + 60.0 * math.exp(0.15 * rng.standard_normal()), queue)


FAMILY = [
    Family("A", "log-normal σ 0.2, median 20 s", "minimax", "hailuo-02-text-to-video-standard", 20, 70, 30,
           _ln(20, 0.2)),
    Family("B", "log-normal σ 0.5, median 45 s", "minimax", "hailuo-02-text-to-video-pro", 45, 70, 30,
           _ln(45, 0.5)),
    Family("C", "gamma shape 4 (CV 0.5), median 90 s", "minimax", "hailuo-2.3-text-to-video-standard", 90, 70,
           30, _gamma),
    Family("D", "bimodal: 65 % ~40 s, 35 % ~150 s (σ 0.1 each)", "minimax", "hailuo-2.3-text-to-video-pro", 50,
           70, 30, _bimodal),
    Family("E", "drifting: log-normal σ 0.3, median 60 → 120 s over the run", "runapi",
           "hailuo-02-text-to-video-pro", 90, 70, 30, _drift),
    Family("F", "log-normal σ 0.25, median 10 min", "runbase", "hailuo-2.3-text-to-video-pro", 600, 36, 20,
           _ln(600, 0.25), stagger=10 / 600, wave=(20, 660.0)),
    Family("P", "the catalog prior's own range: uniform 60-120 s, 20 jobs started within 10 s (cold only)",
           "agentsflare", "hailuo-02-text-to-video-pro", 90, 20, 20,
           lambda rng, _: (float(rng.uniform(60, 120)), 0.0), stagger=0.5 / 90),
    Family("G", "queue Exp(40 s) + running log-normal(60 s, σ 0.15); queued → running reported", "runninghub",
           "hailuo-02-text-to-video-pro", 90, 70, 30, _queued),
]


def run_family(fam: Family, srv: object, stagger: float, seed: int, out: dict[str, object]) -> None:
    """Submit ``fam.jobs`` generations ``stagger`` medians apart; wait for all; store raw results."""
    import hailuo_nb

    rng = np.random.default_rng(seed)
    gens, truth = [], []
    t0 = time.time()
    for i in range(fam.jobs):
        if fam.wave and i == fam.wave[0]:  # a second wave, once the first has taught the journal
            time.sleep(max(t0 + fam.wave[1] - time.time(), 0.0))
            t0 = time.time() - i * (fam.stagger or stagger) * fam.median
        length, queue = fam.draw(rng, i / max(fam.jobs - 1, 1))
        gen = hailuo_nb.generate(f"{PROMPT} [seconds={length:.3f}] [queue={queue:.3f}]", model=fam.model,
                                 provider=fam.provider, wait=False)
        gens.append(gen)
        truth.append((length, queue))
        time.sleep(max(t0 + (i + 1) * (fam.stagger or stagger) * fam.median - time.time(), 0.0))
    for gen in gens:
        gen.wait(3600)
    rows = []
    tasks = srv.tasks  # type: ignore[attr-defined]
    for gen, (length, queue) in zip(gens, truth, strict=True):
        task = tasks.get(gen.task_id or "")
        if gen.status != "succeeded" or task is None or gen.finished_at is None:
            rows.append({"ok": False, "error": str(gen.error)})
            continue
        rows.append({"ok": True, "length": length, "queue": queue, "task_id": gen.task_id,
                     "delay": gen.finished_at - (task.created_at + task.job_seconds)})
    out[fam.name] = rows


def count_polls(results: dict[str, list[dict[str, object]]]) -> None:
    """Status requests per job, as the runner recorded them in the journal's poll observations."""
    import sqlite3

    from hailuo_nb.gateway import config

    db = sqlite3.connect(str(config.home_dir() / "journal.sqlite3"))
    polls = dict(db.execute("SELECT g.task_id, o.polls FROM poll_observations o"
                            " JOIN generations g ON g.id = o.gen_id").fetchall())
    db.close()
    for rows in results.values():
        for row in rows:
            if row["ok"]:
                row["polls"] = polls[row["task_id"]]


def fixed_at(lengths: Sequence[float], requests: float) -> tuple[float, float]:
    """(interval, median delay) of the fixed interval making ``requests`` per job on ``lengths``."""
    t = np.array(lengths)
    lo, hi = 0.01, 1e4
    for _ in range(80):
        dt = math.sqrt(lo * hi)
        if np.ceil(t / dt).mean() > requests:
            lo = dt
        else:
            hi = dt
    return hi, float(np.median(np.ceil(t / hi) * hi - t))


def oracle(fam: Family, seed: int, n: int = 4000) -> tuple[float, float]:
    """The production rule given the true distribution: (mean requests, median delay) on a simulated clock."""
    from hailuo_nb.gateway.schedule import PollSchedule
    from hailuo_nb.gateway.timing import Distribution, Interval, fit

    rng = np.random.default_rng(seed + 99)
    draws = [fam.draw(rng, 0.5 if fam.name != "E" else k / n) for k in range(n)]
    lengths = [d[0] for d in draws]
    dist: Distribution = fit([Interval(x * 0.999, x) for x in lengths[:1500]], "key")
    reqs, delays = [], []
    for length in lengths[1500:]:
        s, t, polls = PollSchedule(dist), 0.0, 0
        while t < length:
            t += s.next_delay(t, polls)
            polls += 1
        reqs.append(polls)
        delays.append(t - length)
    return statistics.mean(reqs), statistics.median(delays)


def report(results: dict[str, list[dict[str, object]]], seed: int) -> None:
    head = ["dist", "phase", "jobs", "req/job", "p50 delay (s)", "p90 delay (s)", "fixed Δ (s)",
            "fixed p50 (s)", "ratio", "oracle req", "oracle p50"]
    rows, checks = [], []
    for fam in FAMILY:
        if fam.name not in results:
            continue
        ok = [r for r in results[fam.name] if r["ok"]]
        failed = len(results[fam.name]) - len(ok)
        o_req, o_p50 = oracle(fam, seed)
        for phase, part in (("cold", ok[:10] if fam.name != "P" else ok), ("warm", ok[fam.warm_from:])):
            if not part:
                continue
            req = statistics.mean(float(r["polls"]) for r in part)  # type: ignore[arg-type]
            delays = [float(r["delay"]) for r in part]  # type: ignore[arg-type]
            dt, fixed = fixed_at([float(r["length"]) for r in part], req)  # type: ignore[arg-type]
            p50 = pct(delays, 50)
            rows.append([fam.name, phase, len(part), req, p50, pct(delays, 90), dt, fixed, p50 / fixed,
                         o_req if phase == "warm" else "", o_p50 if phase == "warm" else ""])
            if phase == "warm" or fam.name == "P":
                checks.append((fam, req, p50, p50 / fixed, failed))
    print(table(head, rows, "Real time: requests per job, detection delay, best fixed interval at equal requests"))
    for fam in FAMILY:
        if fam.name in results:
            print(f"  {fam.name}: {fam.about} ({fam.provider}, {fam.model})")
    print("\ntargets (warm: ≤ 8 req/job, p50 ≤ 2 s, < 0.4× the fixed interval's p50 at equal requests;"
          " P, cold on the catalog prior: ≤ 12 req/job, p50 ≤ 3 s):")
    for fam, req, p50, ratio, failed in checks:
        if fam.name == "P":
            print(f"- P: {req:.2f} req/job {verdict(req <= 12)}; p50 {p50:.2f} s {verdict(p50 <= 3)}")
            continue
        print(f"- {fam.name}: {req:.2f} req/job {verdict(req <= 8)}; p50 {p50:.2f} s {verdict(p50 <= 2)};"
              f" ratio {ratio:.2f} {verdict(ratio < 0.4)}" + (f"; {failed} jobs failed" if failed else ""))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--only", default="", help="comma-separated distribution names (default: all)")
    ap.add_argument("--stagger", type=float, default=0.1, help="medians between one distribution's submissions")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="polling-results.json", help="where to save raw per-job results")
    ap.add_argument("--report", default="", help="only print the tables of a saved results file")
    args = ap.parse_args(argv)
    header("Polling: learned schedule vs the best fixed interval, real time")
    if args.report:
        with open(args.report) as f:
            report(json.load(f), args.seed)
        return 0
    chosen = [f for f in FAMILY if not args.only or f.name in args.only.split(",")]

    from hailuo_nb.sim import SimServer

    results: dict[str, list[dict[str, object]]] = {}
    with SimServer(job_seconds=60) as srv:
        env = {}
        for protocol in {f.provider for f in chosen}:
            env.update(srv.env(protocol))
        env.pop("HAILUO_PROVIDER", None)
        with isolated_env(**env):
            os.environ["HAILUO_PROVIDER"] = chosen[0].provider
            threads = [threading.Thread(target=run_family, args=(f, srv, args.stagger, args.seed + i, results))
                       for i, f in enumerate(chosen)]
            t0 = time.time()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            count_polls(results)
            print(f"wall time {time.time() - t0:.0f} s\n")
    with open(args.out, "w") as f:
        json.dump(results, f)
    report(results, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
