"""Helpers shared by the benchmark scripts: tables, percentiles, the machine, a clean env."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python benchmarks/x.py` from a checkout
    sys.path.insert(0, str(ROOT))

#: settings that would point hailuo_nb somewhere else than the benchmark's own simulator
_SETTINGS = ("HAILUO_PROVIDER", "HAILUO_BUDGET_USD", "HAILUO_POLL_INTERVAL", "HAILUO_WAIT",
             "HAILUO_SIM_SECONDS", "HAILUO_HOME", "HAILUO_OUTPUT_DIR")
_PROVIDERS = ("MINIMAX", "RUNAPI", "RUNBASE", "RUNNINGHUB", "AGENTSFLARE")


def pct(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, ``q`` in [0, 100]."""
    v = sorted(values)
    if not v:
        return float("nan")
    x = q / 100 * (len(v) - 1)
    i = int(x)
    if i + 1 >= len(v):
        return v[-1]
    return v[i] + (v[i + 1] - v[i]) * (x - i)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], title: str | None = None) -> str:
    """A plain-text (and Markdown-compatible) table."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(r: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) if j == 0 else c.rjust(w)
                                 for j, (c, w) in enumerate(zip(r, widths, strict=True))) + " |"

    out = [line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in cells[1:]]
    text = "\n".join(out)
    return f"{title}\n\n{text}\n" if title else text + "\n"


def _fmt(c: object) -> str:
    if isinstance(c, float):
        return f"{c:.3g}" if abs(c) < 0.01 and c != 0 else f"{c:.2f}"
    return str(c)


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def machine() -> str:
    """One line describing this machine, read from the system."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f", {int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ""
    if hasattr(os, "getloadavg"):
        load = "; load average now {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    return (f"{cpu}, {cores} cores available{mem}; {platform.system()} {platform.release()};"
            f" Python {platform.python_version()}{load}")


def header(title: str) -> None:
    print(f"# {title}\n\nmachine: {machine()}\n", flush=True)


@contextmanager
def isolated_env(**extra: str) -> Iterator[Path]:
    """A temporary HAILUO_HOME / HAILUO_OUTPUT_DIR and no provider settings from outside."""
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="hailuo-bench-") as tmp:
        for name in _SETTINGS:
            os.environ.pop(name, None)
        for prefix in _PROVIDERS:
            os.environ.pop(f"{prefix}_API_KEY", None)
            os.environ.pop(f"{prefix}_BASE_URL", None)
        os.environ["HAILUO_HOME"] = str(Path(tmp) / "home")
        os.environ["HAILUO_OUTPUT_DIR"] = str(Path(tmp) / "videos")
        os.environ.update(extra)
        try:
            yield Path(tmp)
        finally:
            os.environ.clear()
            os.environ.update(saved)
