"""``hailuo "a prompt" [--model ...]`` (or ``python -m hailuo_nb``): one video from a terminal."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Sequence

from hailuo_nb.api import Generation, generate, provider_info
from hailuo_nb.errors import HailuoError
from hailuo_nb.gateway.catalog import DEFAULT_MODEL, MODELS
from hailuo_nb.gateway.config import PROVIDER_NAMES
from hailuo_nb.gateway.secrets import read_key


def program_name(argv0: str | None = None) -> str:
    """How the user called us: ``hailuo`` (the console script) or ``python -m hailuo_nb``."""
    name = os.path.basename(argv0 if argv0 is not None else sys.argv[0])
    return "python -m hailuo_nb" if name in ("__main__.py", "-m", "-c", "") else name


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog or program_name(),
        description="Generate a Hailuo video and print its path (offline simulator when no key is set).",
    )
    parser.add_argument("prompt", help="what the video shows")
    parser.add_argument("--model", default=DEFAULT_MODEL, help=f"one of: {', '.join(MODELS)}")
    parser.add_argument(
        "--provider", choices=PROVIDER_NAMES, help="default: HAILUO_PROVIDER or the first key set"
    )
    parser.add_argument("--duration", type=int, help="seconds (6 or 10; H3: 4-15), per model")
    parser.add_argument("--resolution", help="512p, 768p, 1080p or 2k, per model")
    parser.add_argument("--ratio", help="aspect ratio for H3: 16:9, 9:16, 1:1, 4:3, 3:4, 21:9, adaptive")
    parser.add_argument("--ref", action="append", metavar="FILE",
                        help="H3 reference image, clip or audio (path or URL; repeatable)")
    parser.add_argument("--first-frame", help="image path or URL (image-to-video models)")
    parser.add_argument("--last-frame", help="image path or URL (Hailuo 02 image-to-video)")
    parser.add_argument("--no-optimize", action="store_true", help="turn the prompt optimizer off")
    parser.add_argument("--timeout", type=float, help="give up waiting after this many seconds")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["batch"]:
        return batch_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        info = provider_info(args.provider)
        variable = info["key_variable"]
        if variable and not read_key(variable):
            print(missing_key_message(info["name"], variable), file=sys.stderr)
            return 2
        where = "the offline simulator (no API key set)" if info["simulated"] else info["name"]
        print(f"hailuo: generating on {where} with {args.model}", file=sys.stderr)
        gen = generate(
            args.prompt, model=args.model, provider=args.provider, duration=args.duration,
            resolution=args.resolution, first_frame=args.first_frame, last_frame=args.last_frame,
            prompt_optimizer=not args.no_optimize, wait=False, timeout=args.timeout, ratio=args.ratio,
            references=args.ref,
        )
    except HailuoError as exc:
        print(f"hailuo: error: {exc}", file=sys.stderr)
        return 2
    _show_progress(gen)
    if gen.error is not None:
        print(f"\nhailuo: {type(gen.error).__name__}: {gen.error}", file=sys.stderr)
        if gen.error.hint:
            print(f"hailuo: {gen.error.hint}", file=sys.stderr)
        return 1
    print(file=sys.stderr)
    print(gen.video_path)
    return 0


def missing_key_message(provider: str, variable: str) -> str:
    """Said to a terminal user whose chosen provider has no key (nothing was sent)."""
    return (
        f"hailuo: {variable} is not set, so nothing was sent to {provider}.\n"
        f"  Set it for this shell:   export {variable}=...\n"
        f"  or put {variable}=... in a .env file in this folder.\n"
        "  Without --provider and with no key set, the offline simulator is used (free placeholder clips)."
    )


def _show_progress(gen: Generation) -> None:
    """One self-rewriting line on a terminal, plain lines on a pipe."""
    changed = threading.Event()
    gen.add_listener(lambda _: changed.set())
    tty = sys.stderr.isatty()
    last = ""
    while True:
        elapsed = time.time() - gen.created_at
        line = f"hailuo: {gen.status:<11} {elapsed:5.0f}s  task {gen.task_id or '-'}"
        if tty:
            print("\r" + line, end="", file=sys.stderr, flush=True)
        elif line.split()[1] != last:
            print(line, file=sys.stderr, flush=True)
            last = line.split()[1]
        if gen.done:
            break
        changed.wait(1.0)
        changed.clear()
    gen.wait()


def batch_main(argv: Sequence[str]) -> int:
    """``python -m hailuo_nb batch FILE.csv [--out results.csv] [--concurrency N]``: one clip per row."""
    parser = argparse.ArgumentParser(prog="python -m hailuo_nb batch",
                                     description="One clip per CSV row; rows already done are skipped.")
    parser.add_argument("file", help="CSV with a prompt column (model, duration, ... optional)")
    parser.add_argument("--out", help="results CSV (default: FILE-results.csv beside it)")
    parser.add_argument("--concurrency", type=int, help="rows in flight at once (default: from the provider)")
    parser.add_argument("--provider", choices=PROVIDER_NAMES, help="default: HAILUO_PROVIDER")
    parser.add_argument("--model", help="for rows without a model")
    args = parser.parse_args(argv)
    from pathlib import Path

    from hailuo_nb.film.batch import batch
    from hailuo_nb.film.rows import write_results_csv

    source = Path(args.file)
    try:
        rows = batch(source, concurrency=args.concurrency, provider=args.provider, model=args.model)
    except HailuoError as exc:
        print(f"hailuo: error: {exc}", file=sys.stderr)
        return 2
    out = write_results_csv(rows, args.out or source.with_name(f"{source.stem}-results.csv"))
    failed = sum(1 for r in rows if r["status"] != "succeeded")
    print(f"hailuo: {len(rows) - failed} of {len(rows)} rows done, {failed} failed", file=sys.stderr)
    print(out)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
