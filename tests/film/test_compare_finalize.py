"""compare() and finalize on a loopback simulator: reuse, picks, the ledger before sending."""

from __future__ import annotations

import pytest

from hailuo_nb.api import generate
from hailuo_nb.film.compare import compare
from hailuo_nb.gateway.finalize import ALREADY, NEW, final_request
from hailuo_nb.sim import SimServer

STD, PRO = "hailuo-02-text-to-video-standard", "hailuo-02-text-to-video-pro"


@pytest.fixture
def sim(monkeypatch):
    with SimServer(job_seconds=0.2) as srv:
        for name, value in srv.env("minimax").items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("HAILUO_POLL_INTERVAL", "0.05")
        yield srv


def test_compare_fills_a_grid_reuses_identical_cells_and_keeps_picks(sim):
    grid = compare(["a red kite", "a blue kite"], models=[STD, "hailuo-2.3-text-to-video-standard"]).wait(30)
    assert len(sim.accepted_submissions()) == 4
    assert [grid.column_label(c) for c in (0, 1)] == [f"{STD} @ minimax", "hailuo-2.3-text-to-video-standard @ minimax"]
    states = grid.rows()
    assert all(s["status"] == "succeeded" and s["cost"] and s["seconds"] is not None for s in states)
    grid.pick("a blue kite", 1)
    assert list(grid.picks) == ["a blue kite"] and grid.picks["a blue kite"] is grid.cells[(1, 1)]
    assert "*succeeded" in repr(grid)

    again = compare(["a red kite"], models=[STD]).wait(30)
    assert again.cells[(0, 0)].reused and len(sim.accepted_submissions()) == 4


def test_finalize_shows_the_ledger_first_then_renders_the_top_tier_once(sim):
    draft = generate("a paper boat", model=STD, duration=6)
    second = generate("a paper boat", model=STD, duration=6, prompt_optimizer=False)
    ledger = draft.finalize_plan()
    assert ledger.method == NEW and ledger.request.model.id == PRO and ledger.request.resolution == "1080p"
    assert ledger.drafts == 2 and ledger.drafts_usd == pytest.approx(draft.cost_usd + second.cost_usd)
    assert ledger.finalize_usd == pytest.approx(ledger.price.usd) and "finalize" in repr(ledger)
    assert len(sim.accepted_submissions()) == 2  # the ledger sent nothing

    final = draft.finalize(wait=True)
    assert final.status == "succeeded" and final.model == PRO and final.resolution == "1080p"
    assert final.prompt == draft.prompt and final.request.prompt_optimizer == draft.request.prompt_optimizer
    assert draft.finalize_plan().finalize_usd == 0.0 and draft.finalize().reused
    assert len(sim.accepted_submissions()) == 3
    assert final.finalize_plan().method == ALREADY and final.finalize() is final


def test_a_ten_second_draft_finalizes_on_the_best_tier_that_keeps_its_length(sim):
    draft = generate("a long shot", model=STD, duration=10)
    assert final_request(draft.request) is draft.request
    with pytest.raises(Exception, match="resolution"):
        draft.finalize_plan(resolution="1080p")
