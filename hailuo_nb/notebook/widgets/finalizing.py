"""A gallery card's Finalize: whether it can improve the clip, and its ledger as the card shows it.

Finalizing is :meth:`Generation.finalize` (gateway/finalize.py); the form only asks
first. The card's Finalize button is offered where the final request differs from the
draft's (a better tier or resolution of the family); pressing it shows the ledger
(:func:`plan_view`: what finalizing costs, what the drafts cost so far) with Confirm
and Cancel, and only Confirm sends anything.
"""

from __future__ import annotations

from typing import Any

from hailuo_nb.errors import HailuoError
from hailuo_nb.gateway.finalize import ALREADY, Ledger, final_request
from hailuo_nb.gateway.generation import Generation
from hailuo_nb.gateway.task import SUCCEEDED


def can_finalize(gen: Generation) -> bool:
    """Whether finalizing ``gen`` would make a better clip (False until it has succeeded)."""
    request = gen.request  # None for a generation loaded from the journal
    if gen.status != SUCCEEDED or request is None:
        return False
    try:
        return final_request(request) is not request
    except HailuoError:
        return False


def _resolution(res: str) -> str:
    return res.upper() if res.endswith("k") else res


def plan_view(ledger: Ledger) -> dict[str, Any]:
    """The card's confirmation: one line to decide on, a detail line, and the ledger itself."""
    target = ledger.request
    if ledger.method == ALREADY:
        cost = "already final, nothing to send"
    elif ledger.reused:
        cost = "$0.00 (an identical final exists: it is reused)"
    else:
        cost = str(ledger.price) if ledger.price else "price not published"
    drafts = f"drafts so far: ${ledger.drafts_usd:.2f}"
    detail = f"{ledger.method}: {target.model.id}, {_resolution(target.resolution)}, {target.duration} s"
    if ledger.total_usd is not None:
        detail += f" · total with the drafts ${ledger.total_usd:.2f}"
    return {
        "label": f"Finalize at {_resolution(target.resolution)}: {cost} ({drafts})",
        "detail": detail,
        "ledger": ledger.to_dict(),
    }


__all__ = ["can_finalize", "plan_view"]
