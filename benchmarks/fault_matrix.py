"""Print the fault matrix (issue 7): every fault scenario × the five protocols, on the simulator.

    python benchmarks/fault_matrix.py [--only SCENARIO_ID ...]

Each cell is one generation through the public API (``hailuo_nb.generate``) with the fault
injected; it is checked for a verified video or the right typed error (task id kept), its
journal row, and the money (server tasks == submissions asked for, every server task id
journaled or behind an uncertain row, no silent re-submission). Exit status 1 if any cell
is wrong. The scenario table lives in ``tests/reliability/fault_scenarios.py`` (shared with
``tests/reliability/test_fault_matrix.py``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from reliability import fault_scenarios as fm  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="*", choices=sorted(fm.BY_ID), help="run only these scenarios")
    ap.add_argument("--quiet", action="store_true", help="print only the final table")
    ap.add_argument("--no-twin", action="store_true",
                    help="skip the column of the independently written Runbase server")
    args = ap.parse_args(argv)
    scenarios = tuple(fm.BY_ID[s] for s in args.only) if args.only else fm.SCENARIOS

    def progress(scenario: fm.Scenario, cells: list[fm.Cell]) -> None:
        if not args.quiet:
            bad = sum(not c.ok for c in cells)
            print(f"  {scenario.id:<16} {cells[0].seconds:5.1f}s  {'ok' if not bad else f'{bad} wrong'}",
                  flush=True)

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hailuo-fault-matrix-") as tmp:
        server = fm.new_server()
        try:
            matrix = fm.run_matrix(server, Path(tmp) / "home", Path(tmp) / "videos", scenarios, progress)
            accepted = len(server.accepted_submissions())
            downloads = server.count(kind="download")
        finally:
            server.stop()
        columns = fm.PROTOCOLS
        if not args.no_twin:
            if not args.quiet:
                print(f"  -- the same scenarios against {fm.TWIN}:")
            twin = fm.run_twin(Path(tmp) / "twin-home", Path(tmp) / "twin-videos", scenarios, progress)
            matrix.cells.update(twin.cells)
            matrix.audit += [f"{fm.TWIN}: {p}" for p in twin.audit]
            columns = (*fm.PROTOCOLS, fm.TWIN)
            differ = [sid for (sid, col), cell in twin.cells.items() if cell.applicable
                      and cell.show() != matrix.cells[(sid, "runbase")].show()]
    took = time.monotonic() - started
    results = matrix.cells
    cells = [c for c in results.values() if c.applicable]
    wrong = [c for c in cells if not c.ok]
    print()
    print(fm.format_table(results, scenarios, columns))
    print()
    print(f"{len(cells)} cells ({len(results) - len(cells)} n/a), {len(cells) - len(wrong)} right, "
          f"{len(wrong)} wrong; {accepted} tasks accepted by the simulator; {took:.0f} s")
    if matrix.audit:
        print("AUDIT FAILED: " + "; ".join(matrix.audit))
    else:
        print(f"audit: key {fm.KEY[:10]}… found in 0 of the journal, videos, {matrix.log_records} DEBUG "
              f"log lines and every generation/error text; {downloads} downloads, none with Authorization")
    if not args.no_twin:
        same = "same outcomes as the simulator in every scenario"
        print("independent Runbase server: " + (same if not differ else "DIFFERENT in " + ", ".join(differ)))
    for cell in wrong:
        print(f"WRONG {cell.scenario} on {cell.protocol}: {'; '.join(cell.problems)}")
    return 1 if wrong or matrix.audit or (not args.no_twin and differ) else 0


if __name__ == "__main__":
    raise SystemExit(main())
