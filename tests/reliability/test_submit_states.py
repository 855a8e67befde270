"""A batch killed mid-way: the journal calls "sent" only what the gateway really received.

A real subprocess submits a batch against a rate-limited simulator (its own process, so
it can count what arrived) and is killed with SIGKILL while submissions wait for their
pacing slot or back off after a 429. Every row the journal then holds as "sent" or
"unknown" (outcome uncertain, so never resubmitted) must be a request the server saw.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from hailuo_nb.gateway.journal import Journal

from .support import wait_for

N = 30
BATCH = """
import sys, time
import hailuo_nb
for i in range(int(sys.argv[1])):
    hailuo_nb.generate(f"batch clip {i} of the kill proof", provider="minimax", wait=False)
print("submitted", flush=True)
while True:
    time.sleep(1)  # until killed
"""


def test_a_killed_batch_leaves_no_sent_row_the_gateway_never_received(tmp_path, sim_process):
    sim = sim_process(seconds=60.0)  # tasks stay in flight
    sim.rate_limit(2.0)  # the client's pace (5/s for MiniMax) draws 429s and back-offs
    home = tmp_path / "home"
    env = {**os.environ, **sim.env("minimax"), "HAILUO_HOME": str(home),
           "HAILUO_OUTPUT_DIR": str(tmp_path / "videos"), "HAILUO_POLL_INTERVAL": "30"}
    batch = subprocess.Popen([sys.executable, "-c", BATCH, str(N)], env=env, stdout=subprocess.PIPE,
                             text=True, start_new_session=True)
    try:
        wait_for(lambda: len(sim.received_prompts()) >= N // 3, timeout=60, what="a third of the batch")
    finally:
        os.kill(batch.pid, signal.SIGKILL)  # like a crash: no cleanup in the batch process
        batch.wait()
    received = set(sim.received_prompts())
    assert 429 in {r["status"] for r in sim.requests()}, "the rate limit was never hit"

    journal = Journal(Path(home) / "journal.sqlite3")
    rows = journal.recent(N + 10)
    journal.close()
    assert len(rows) == N
    uncertain = [r["prompt"] for r in rows if r["submit_state"] in ("sent", "unknown") and not r["task_id"]]
    assert [p for p in uncertain if p not in received] == []
    # the kill came mid-way: some rows were still waiting, and they say so
    assert [r for r in rows if r["submit_state"] == "pending"]
    assert len(received) < N
