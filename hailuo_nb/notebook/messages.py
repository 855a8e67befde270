"""What the extension says to the user: the load banner, reuse notes, one-line errors."""

from __future__ import annotations

import datetime as _dt
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
    resumable = [r for r in orphans if r.get("task_id")]
    uncertain = [r for r in orphans if r.get("uncertain")]
    if resumable:
        n = len(resumable)
        lines.append(
            f"hailuo_nb: {n} generation{'s were' if n != 1 else ' was'} still in flight when an "
            "earlier kernel stopped; `%hailuo resume` picks them up (`%hailuo history` lists them)."
        )
    if uncertain:
        n = len(uncertain)
        lines.append(
            f"hailuo_nb: {n} submission{'s' if n != 1 else ''} of a stopped kernel may have been accepted "
            "without a task id coming back (outcome unknown, not resubmitted): check the provider's "
            f"dashboard before running {'them' if n != 1 else 'it'} again (`%hailuo history` shows "
            f"{'them' if n != 1 else 'it'})."
        )
    return lines
