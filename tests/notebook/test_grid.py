"""The comparison grid's Finalize, as its messages drive it: the cost first, a paid request only on Confirm."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from hailuo_nb.film.compare import compare
from hailuo_nb.notebook.widgets.grid import GridWidget
from hailuo_nb.sim import SimServer

STD = "hailuo-02-text-to-video-standard"


@pytest.fixture
def grid(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[GridWidget, SimServer]]:
    with SimServer(job_seconds=0.2) as srv:
        for name, value in srv.env("minimax").items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("HAILUO_POLL_INTERVAL", "0.05")
        comparison = compare(["a red kite flies", "a blue kite dives"], models=[STD]).wait(30)
        yield GridWidget(comparison), srv


def click(widget: GridWidget, **content: Any) -> None:
    widget._on_message(content)  # what the front end's model.send() delivers


def test_finalize_shows_the_cost_and_sends_only_on_confirm(grid: tuple[GridWidget, SimServer]) -> None:
    widget, srv = grid
    click(widget, type="pick", row=1, column=0)
    sent = len(srv.accepted_submissions())

    click(widget, type="finalize", row=1)
    assert widget.plans["1"]["label"].startswith("Finalize at 1080p: $0.49")
    assert "hailuo-02-text-to-video-pro" in widget.plans["1"]["detail"]
    assert len(srv.accepted_submissions()) == sent and widget.finals == {}  # nothing sent

    click(widget, type="finalize_cancel", row=1)
    assert widget.plans == {} and len(srv.accepted_submissions()) == sent

    click(widget, type="finalize", row=1)
    click(widget, type="finalize_confirm", row=1)
    assert widget.plans == {} and "1" in widget.finals
    widget._finals[1][1].wait(30)
    assert len(srv.accepted_submissions()) == sent + 1


def test_a_pick_changed_after_the_cost_was_shown_is_not_finalized(grid: tuple[GridWidget, SimServer]) -> None:
    widget, srv = grid
    click(widget, type="pick", row=0, column=0)
    click(widget, type="finalize", row=0)
    click(widget, type="pick", row=0, column=0)  # unpicked while the confirmation is open
    sent = len(srv.accepted_submissions())
    click(widget, type="finalize_confirm", row=0)
    assert widget.finals == {} and len(srv.accepted_submissions()) == sent


def test_nothing_to_finalize_without_a_pick(grid: tuple[GridWidget, SimServer]) -> None:
    widget, _ = grid
    click(widget, type="finalize", row=0)
    assert widget.plans == {}
