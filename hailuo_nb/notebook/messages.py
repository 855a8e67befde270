"""What the extension says to the user: the load banner, reuse notes, one-line errors."""

from __future__ import annotations

import datetime as _dt
import time
from typing import Any

LINE_USAGE = (
    "usage: %hailuo models [--provider P] | history [-n N] | resume [TASK_ID] | "
    "wait [--timeout S] | cancel [TASK_ID] | doctor | export PATH   "
    "(generate with a %%hailuo cell; %%hailuo? for help)"
)


def one_line(exc: BaseException) -> str:
    """An error as one line: its message and what to do about it."""
    message = str(getattr(exc, "message", "") or exc)
    hint = str(getattr(exc, "hint", "") or "")
    text = f"{message}. {hint}" if hint and not message.endswith(".") else f"{message} {hint}"
    return " ".join(text.split())


def reuse_note(gen: Any) -> str:
    """Say plainly that an earlier identical generation is reused, and how to pay anew."""
    when = ""
    created = getattr(gen, "created_at", None)
    if created:
        stamp = _dt.datetime.fromtimestamp(created)
        fmt = "%H:%M:%S" if stamp.date() == _dt.date.today() else "%Y-%m-%d %H:%M"
        when = f" from {stamp.strftime(fmt)}"
    task = f", task {gen.task_id}" if getattr(gen, "task_id", None) else ""
    return (
        f"hailuo: reusing the identical generation{when} ({gen.status}{task}); "
        "nothing new is paid for. Add --force to pay for a new one."
    )


def banner() -> list[str]:
    """What ``%load_ext hailuo_nb`` prints: the provider in use, and any orphaned tasks."""
    import hailuo_nb

    lines = []
    info = hailuo_nb.provider_info()
    if info.get("simulated"):
        lines.append(
            "hailuo_nb: using the offline simulator (no API key found): clips are placeholders "
            "and nothing is charged. For real videos set MINIMAX_API_KEY (or another provider's "
            "key) in the environment or a .env file, not with %env, then restart the kernel."
        )
    else:
        key = info.get("key_variable")
        lines.append(
            f"hailuo_nb: using provider {info.get('name')} at {info.get('base_url')}"
            + (f" (key from {key})" if key else "")
        )
    try:
        orphans = hailuo_nb.orphans()
    except Exception:  # the banner must never break loading the extension
        orphans = []
    return lines + orphan_lines(orphans)


#: How many orphaned tasks the banner names one by one.
SHOWN = 5


def orphan_lines(rows: list[dict[str, Any]], now: float | None = None) -> list[str]:
    """Name each task a dead kernel left in flight: id, model, prompt, age, and how to resume it."""
    now = time.time() if now is None else now
    resumable = [r for r in rows if r.get("task_id")]
    uncertain = [r for r in rows if not r.get("task_id") and r.get("uncertain")]
    unsent = [r for r in rows if not r.get("task_id") and not r.get("uncertain")]
    lines = []
    if resumable:
        n = len(resumable)
        lines.append(
            f"hailuo_nb: {n} generation{'s were' if n != 1 else ' was'} still in flight when an earlier"
            f" kernel stopped; `%hailuo resume` picks {'them all' if n != 1 else 'it'} up"
            f"{', or one at a time' if n != 1 else ''}:"
        )
        lines += [f"  {_describe(r, now)} → %hailuo resume {r['task_id']}  "
                  f"(Python: hailuo_nb.resume({str(r['task_id'])!r}))" for r in resumable[:SHOWN]]
        lines += _more(n, "`%hailuo history` lists them")
    if uncertain:
        n = len(uncertain)
        lines.append(
            f"hailuo_nb: {n} submission{'s' if n != 1 else ''} of a stopped kernel may have been accepted "
            "without a task id coming back (outcome unknown, not resubmitted, nothing to resume): check "
            f"the provider's dashboard before running {'them' if n != 1 else 'it'} again:"
        )
        lines += [f"  {_describe(r, now)}" for r in uncertain[:SHOWN]]
        lines += _more(n, "`%hailuo history` shows them")
    if unsent:
        n = len(unsent)
        were, them = ("s were", "them") if n != 1 else (" was", "it")
        lines.append(
            f"hailuo_nb: {n} submission{were} never sent by a stopped kernel (nothing was charged);"
            f" run the cell again to generate {them}:"
        )
        lines += [f"  {_describe(r, now)}" for r in unsent[:SHOWN]]
        lines += _more(n, "`%hailuo history` shows them")
    return lines


def _describe(row: dict[str, Any], now: float) -> str:
    ident = row.get("task_id") or "(no task id)"
    return f"{ident}  {row.get('model')}  \"{_prompt(row)}\"  {_age(row.get('created_at'), now)}"


def _prompt(row: dict[str, Any], limit: int = 40) -> str:
    prompt = " ".join(str(row.get("prompt") or "").split())
    return prompt if len(prompt) <= limit else prompt[: limit - 1] + "…"


def _more(n: int, where: str) -> list[str]:
    return [f"  … and {n - SHOWN} more ({where})"] if n > SHOWN else []


def _age(created: Any, now: float) -> str:
    """"12 min ago" style age of a timestamp."""
    if not isinstance(created, (int, float)):
        return "age unknown"
    seconds = max(0.0, now - float(created))
    if seconds < 60:
        return f"{seconds:.0f} s ago"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 86400:
        return f"{seconds / 3600:.0f} h ago"
    days = seconds / 86400
    return f"{days:.0f} day{'s' if round(days) != 1 else ''} ago"
