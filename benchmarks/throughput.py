"""Submission throughput against a rate-limited gateway: 200 jobs, no failures, no duplicates.

    python benchmarks/throughput.py            # R = 5, 10, 20 requests/s
    python benchmarks/throughput.py --rps 8 --jobs 100

A loopback ``SimServer`` (MiniMax protocol) answers at most R API requests per second
(token bucket; beyond it HTTP 429 with Retry-After). 200 ``hailuo_nb.generate(...,
wait=False)`` calls are made at once from the main thread, each with its own prompt; the
clock stops when the last one has its task id. Accepted submissions are counted at the
server (a prompt accepted twice would be a duplicate, i.e. paid twice); a generation
that ends failed is a failure. Jobs are long (1 h), so the
gateway's R is all the submissions' when polling is held off (HAILUO_POLL_INTERVAL=3600);
a second set of runs keeps the default schedule, whose status looks share R with the
submissions. Target: done within 1.15 × 200/R. Each run is a fresh process, so the
client's learned pace starts from its default every time.
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import time
from collections.abc import Sequence

import _common  # noqa: F401  (puts the checkout on sys.path)
from _common import header, isolated_env, table, verdict

MODEL = "hailuo-02-text-to-video-pro"


def run(rps: float, jobs: int, polling: bool) -> list[object]:
    from hailuo_nb.sim import SimServer

    quiet = {} if polling else {"HAILUO_POLL_INTERVAL": "3600"}
    with SimServer(job_seconds=3600, rate_limit_rps=rps) as srv, \
            isolated_env(**srv.env("minimax"), **quiet):
        import hailuo_nb

        t0 = time.perf_counter()
        gens = [hailuo_nb.generate(f"benchmark prompt #{i}", model=MODEL, wait=False) for i in range(jobs)]
        queued = time.perf_counter() - t0
        deadline = t0 + 10 * jobs / rps + 30
        while time.perf_counter() < deadline and any(g.task_id is None and not g.done for g in gens):
            time.sleep(0.01)
        elapsed = time.perf_counter() - t0
        failed = [g for g in gens if g.task_id is None]
        for g in gens:
            g.cancel()
        accepted = srv.accepted_submissions("minimax")
        per_prompt = collections.Counter(t.prompt for t in accepted)
        duplicates = sum(n - 1 for n in per_prompt.values())
        submits = [r for r in srv.requests if r.kind == "submit"]
        rejected = sum(1 for r in submits if r.status == 429)
        other = sum(1 for r in srv.requests if r.kind != "submit")
    ideal = jobs / rps
    ok = elapsed <= 1.15 * ideal and not failed and duplicates == 0 and len(accepted) == jobs
    if failed:
        print(f"  first failure: {failed[0].error!r}")
    used = (len(submits) - rejected + other) / rps  # the gateway's time for what it accepted
    return [f"{rps:g}", "adaptive" if polling else "none", jobs, ideal, elapsed, elapsed / ideal,
            elapsed / used, len(accepted), len(failed), duplicates, rejected, other,
            f"{queued * 1000 / jobs:.2f}", verdict(ok)]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rps", type=float, nargs="*", default=[5.0, 10.0, 20.0])
    ap.add_argument("--jobs", type=int, default=200)
    ap.add_argument("--one", choices=["none", "adaptive"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:  # a child: one run in a fresh process (a fresh engine and request budget)
        print(json.dumps(run(args.rps[0], args.jobs, args.one == "adaptive")))
        return 0
    header("Throughput: submissions against a rate-limited simulator")
    rows = []
    for polling in ("none", "adaptive"):
        for rps in args.rps:
            cmd = [sys.executable, __file__, "--one", polling, "--rps", str(rps), "--jobs", str(args.jobs)]
            child = subprocess.run(cmd, capture_output=True, text=True, check=True)
            lines = child.stdout.strip().splitlines()
            print("\n".join(lines[:-1]), end="\n" if lines[:-1] else "")
            rows.append(json.loads(lines[-1]))
    head = ["R (req/s)", "status polls", "jobs", "200/R (s)", "took (s)", "× 200/R", "× accepted/R",
            "accepted", "failed", "duplicates", "429s", "status requests", "generate() ms/call",
            "target ≤1.15×"]
    print(table(head, rows, f"{args.jobs} submissions at once; server limited to R API requests/s"))
    print("status polls 'none': HAILUO_POLL_INTERVAL=3600, so only submissions use the gateway's R;\n"
          "'adaptive': the default schedule's early status looks share R with the submissions.\n"
          "× accepted/R: time taken over the least time the gateway needs for every request it\n"
          "accepted (submissions and status looks): how much of R the client used.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
