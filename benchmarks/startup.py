"""Start-up cost: ``%load_ext hailuo_nb`` vs ``import ipywidgets``, and what it imports.

    python benchmarks/startup.py               # 7 fresh kernels + 11 fresh IPython shells each
    python benchmarks/startup.py --runs 9

Each measurement is a fresh process, timed inside it around the one statement:

- in a real ipykernel (started with jupyter_client, as JupyterLab does) — where the
  extension also imports the status widget stack so that the first cell returns at once;
- in a plain ``InteractiveShell`` (terminal IPython, scripts), where it does not.

Target: ``%load_ext hailuo_nb`` costs at most 1.5 × ``import ipywidgets`` (medians).
Heavy modules (PyAV, numpy, PIL, the simulator) must not be imported until used: the
kernel runs with ``PYTHONPROFILEIMPORTTIME``, and any of them imported by ``%load_ext``
is reported with the chain of imports that pulled it in.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import _common  # noqa: F401  (puts the checkout on sys.path)
from _common import ROOT, header, table, verdict

HEAVY = ("av", "numpy", "PIL", "hailuo_nb.sim")
#: not forbidden, but the bulk of the cost: where they come from is worth printing
NOTABLE = ("anywidget", "ipywidgets", "httpx", "sqlite3", "platformdirs")
STATEMENTS = {"ipywidgets": "import ipywidgets", "hailuo_nb": "%load_ext hailuo_nb"}
SHELL = """
import json, sys, time
from IPython.core.interactiveshell import InteractiveShell
ip = InteractiveShell.instance()
before = set(sys.modules)
t0 = time.perf_counter()
if sys.argv[1] == "ipywidgets":
    import ipywidgets
else:
    ip.run_line_magic("load_ext", "hailuo_nb")
took = time.perf_counter() - t0
print(json.dumps({"seconds": took, "modules": sorted(set(sys.modules) - before)}))
"""


def in_shell(what: str, env: dict[str, str]) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", SHELL, what], capture_output=True, text=True, check=True,
                         env=env, cwd=env["HAILUO_HOME"])
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def in_kernel(what: str, env: dict[str, str], importtime: Path | None = None) -> dict[str, object]:
    from jupyter_client.manager import start_new_kernel

    kw = {}
    if importtime is not None:
        env = {**env, "PYTHONPROFILEIMPORTTIME": "1"}
        kw["stderr"] = importtime.open("w")
    km, kc = start_new_kernel(kernel_name="python3", env=env, cwd=env["HAILUO_HOME"], **kw)
    outputs: list[dict[str, object]] = []
    try:
        code = (
            "import json as _j, sys as _s, time as _t\n"
            "import _hailuo_mark_a\n"
            "_before = set(_s.modules)\n"
            "_t0 = _t.perf_counter()\n"
            f"{STATEMENTS[what]}\n"
            "_took = _t.perf_counter() - _t0\n"
            "import _hailuo_mark_b\n"
            "print('RESULT', _j.dumps({'seconds': _took, 'modules': sorted(set(_s.modules) - _before)}))\n"
        )
        reply = kc.execute_interactive(code, timeout=60, output_hook=lambda msg: outputs.append(msg))
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"{what} failed in the kernel")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        if "stderr" in kw:
            kw["stderr"].close()
    text = "".join(str(m["content"].get("text", "")) for m in outputs  # type: ignore[attr-defined]
                   if m["msg_type"] == "stream")
    return json.loads(text.split("RESULT ", 1)[1].splitlines()[0])  # type: ignore[no-any-return]


def chains(importtime: Path, targets: Sequence[str]) -> dict[str, list[str]]:
    """For each target imported between the two marks, the chain of imports leading to it."""
    rows = []
    for line in importtime.read_text().splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append((len(m.group(3)) // 2, m.group(4), int(m.group(2))))
    names = [r[1] for r in rows]
    try:
        start, end = names.index("_hailuo_mark_a"), names.index("_hailuo_mark_b")
    except ValueError:
        return {}
    span = rows[start + 1:end]  # post-order: a module's line comes after its imports
    found: dict[str, list[str]] = {}
    for i, (depth, name, _) in enumerate(span):
        top = next((t for t in targets if name == t or name.startswith(t + ".")), None)
        if top is None or top in found:
            continue
        chain, want = [name], depth - 1
        for d, parent, _ in span[i + 1:]:
            if d == want:
                chain.append(parent)
                want -= 1
                if want < 0:
                    break
        chain.reverse()
        found[top] = chain[:chain.index(top) + 1] if top in chain else chain
    return found


def top_imports(importtime: Path, floor_ms: float = 3.0) -> list[tuple[int, str, float]]:
    """The import tree between the marks, two levels deep, entries of ``floor_ms`` or more."""
    rows = []
    for line in importtime.read_text().splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append((len(m.group(3)) // 2, m.group(4), int(m.group(2)) / 1000))
    names = [r[1] for r in rows]
    try:
        start, end = names.index("_hailuo_mark_a"), names.index("_hailuo_mark_b")
    except ValueError:
        return []
    return [r for r in rows[start + 1:end] if r[0] <= 1 and r[2] >= floor_ms]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=7, help="fresh kernels per statement")
    ap.add_argument("--shell-runs", type=int, default=11, help="fresh IPython shells per statement")
    args = ap.parse_args(argv)
    header("Start-up: %load_ext hailuo_nb vs import ipywidgets")
    with tempfile.TemporaryDirectory(prefix="hailuo-bench-") as tmp:
        marks = Path(tmp) / "marks"
        marks.mkdir()
        for name in ("_hailuo_mark_a", "_hailuo_mark_b"):
            (marks / f"{name}.py").write_text("")
        env = {k: v for k, v in os.environ.items()
               if not k.endswith(("_API_KEY", "_BASE_URL")) and not k.startswith("HAILUO_")}
        env.update(HAILUO_HOME=tmp, HAILUO_OUTPUT_DIR=str(Path(tmp) / "videos"),
                   PYTHONPATH=os.pathsep.join([str(ROOT), str(marks), env.get("PYTHONPATH", "")]))
        results: dict[tuple[str, str], list[float]] = {}
        modules: dict[tuple[str, str], list[str]] = {}
        for _ in range(args.runs):
            for what in STATEMENTS:  # interleaved, so drift hits both alike
                r = in_kernel(what, env)
                results.setdefault(("kernel", what), []).append(float(r["seconds"]))  # type: ignore[arg-type]
                modules[("kernel", what)] = r["modules"]  # type: ignore[assignment]
        for _ in range(args.shell_runs):
            for what in STATEMENTS:
                r = in_shell(what, env)
                results.setdefault(("shell", what), []).append(float(r["seconds"]))  # type: ignore[arg-type]
                modules[("shell", what)] = r["modules"]  # type: ignore[assignment]
        trace = Path(tmp) / "importtime.txt"
        in_kernel("hailuo_nb", env, importtime=trace)
        found = chains(trace, HEAVY)
        notable = chains(trace, NOTABLE)
        heaviest = top_imports(trace)

    rows = []
    for where, label in (("kernel", "ipykernel"), ("shell", "plain IPython shell")):
        base = statistics.median(results[(where, "ipywidgets")]) * 1000
        ours = statistics.median(results[(where, "hailuo_nb")]) * 1000
        heavy = sorted({m.split(".")[0] for m in modules[(where, "hailuo_nb")]
                        if any(m == h or m.startswith(h + ".") for h in HEAVY)})
        rows.append([label, base, ours, ours / base, len(modules[(where, "hailuo_nb")]),
                     ", ".join(heavy) or "none", verdict(ours <= 1.5 * base)])
    print(table(["where", "import ipywidgets (ms)", "%load_ext hailuo_nb (ms)", "ratio",
                 "modules loaded", "heavy modules loaded", "target ≤ 1.5×"], rows,
                f"Medians of {args.runs} fresh kernels / {args.shell_runs} fresh shells per statement"))
    print("What %load_ext imports in a kernel, two levels deep (cumulative ms, one -X importtime run;\n"
          "a module's children are listed above it, as -X importtime prints them):")
    for depth, name, ms in heaviest:
        print(f"  {ms:8.1f}  {'  ' * depth}{name}")
    print()
    if found:
        print("Heavy modules imported by %load_ext, and the chain that imported them:")
        for top, chain in found.items():
            print(f"  {top}: " + " → ".join(chain))
    else:
        print(f"None of {', '.join(HEAVY)} is imported by %load_ext hailuo_nb.")
    if notable:
        print("Where the other big imports come from (first chain to each):")
        for top, chain in notable.items():
            print(f"  {top}: " + " → ".join(chain))
    return 0


if __name__ == "__main__":
    sys.exit(main())
