"""The %load_ext banner names each task a dead kernel left behind, and how to pick it up."""

from __future__ import annotations

import re
import subprocess
import sys
import time

from hailuo_nb.gateway import session
from hailuo_nb.notebook.messages import banner


def dead_pid() -> int:
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    return done.pid


def orphan(n: int, *, task_id: str | None, submit_state: str, minutes_ago: float, pid: int) -> None:
    journal = session.journal()
    gen_id = f"gen-{n}-{submit_state}"
    journal.add(gen_id, provider="minimax", model="hailuo-02-text-to-video-pro",
                prompt=f"clip {n}: a slow pan across a misty harbour at dawn, gulls overhead",
                params={"duration": 6}, request_key=f"k{n}", status="queued" if task_id else "submitting")
    journal.update(gen_id, task_id=task_id, submit_state=submit_state, pid=pid, session="a-dead-kernel")
    with journal._write() as db:  # backdate: the age is part of what the banner says
        db.execute("UPDATE generations SET created_at = ? WHERE id = ?", (time.time() - minutes_ago * 60, gen_id))


def test_the_banner_names_each_orphan_with_its_resume_command(hailuo_env):
    pid = dead_pid()
    for n in range(7):
        orphan(n, task_id=f"30{n}123456789", submit_state="accepted", minutes_ago=12 + n, pid=pid)
    orphan(7, task_id=None, submit_state="unknown", minutes_ago=3, pid=pid)
    orphan(8, task_id=None, submit_state="pending", minutes_ago=2, pid=pid)

    text = "\n".join(banner())

    assert "7 generations were still in flight" in text and "`%hailuo resume`" in text
    shown = 0
    for n in range(7):  # five by name ...
        task_id = f"30{n}123456789"
        line = next((ln for ln in text.splitlines() if task_id in ln), None)
        if line is None:
            continue
        shown += 1
        assert "hailuo-02-text-to-video-pro" in line and f'"clip {n}: a slow pan across' in line
        assert f"{12 + n} min ago" in line
        assert f"%hailuo resume {task_id}" in line and f"hailuo_nb.resume('{task_id}')" in line
    assert shown == 5 and "… and 2 more" in text  # ... then a count
    uncertain = next(ln for ln in text.splitlines() if "clip 7:" in ln)
    assert "no task id" in uncertain and "3 min ago" in uncertain
    assert re.search(r"1 submission .*outcome unknown", text)
    assert re.search(r"1 submission was never sent .*nothing was charged", text) and "clip 8:" in text
