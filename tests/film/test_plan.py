"""Storyboard planning: chains, parallel waves, identities and what to make again."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hailuo_nb.film.plan import (
    blocked_by,
    chains,
    compare_identities,
    dependencies,
    effective,
    identities,
    replan,
    runnable,
    waves,
)
from hailuo_nb.film.shots import Shot, parse_shots

# The board: 2 chained shots, 2 free ones.
BOARD = """\
1. A lighthouse at dusk [Pan left] (6s)
2. The harbour at noon (6s)
3. The keeper lights the lamp (6s)
4. -> The beam sweeps the sea [Tilt up] (6s)
"""


def test_chains_waves_and_dependencies():
    shots = parse_shots(BOARD)
    assert dependencies(shots) == {1: None, 2: None, 3: None, 4: 3}
    assert chains(shots) == [(1,), (2,), (3, 4)]
    assert waves(shots) == [(1, 2, 3), (4,)]


def test_runnable_follows_the_chain():
    shots = parse_shots("a\n-> b\n-> c\nd\n-> e")
    assert runnable(shots, finished=()) == [1, 4]
    assert runnable(shots, finished=(), started=(1,)) == [4]
    assert runnable(shots, finished=(1,), started=(1, 4)) == [2]
    assert runnable(shots, finished=(1, 2, 4)) == [3, 5]
    assert runnable(shots, finished=(1, 2, 3, 4, 5)) == []
    assert blocked_by(shots, 2) == [3] and blocked_by(shots, 4) == [5] and blocked_by(shots, 3) == []


def test_editing_shot_3_of_4_regenerates_3_and_4_only():
    old = parse_shots(BOARD)
    new = parse_shots(BOARD.replace("lights the lamp", "trims the wick"))
    plan = replan(old, new)
    assert plan.regenerate == (3, 4)
    assert plan.reuse == {1: 1, 2: 2}
    assert plan.dropped == (3, 4)


def test_editing_the_last_shot_or_a_free_one_touches_nothing_else():
    old = parse_shots(BOARD)
    assert replan(old, parse_shots(BOARD.replace("[Tilt up]", "[Tilt down]"))).regenerate == (4,)
    assert replan(old, parse_shots(BOARD.replace("at noon", "at night"))).regenerate == (2,)


def test_unchanged_board_comments_and_numbers_regenerate_nothing():
    old = parse_shots(BOARD)
    new = parse_shots("# notes\n\n" + BOARD.replace("1. ", "").replace("3. ", "Shot 3: "))
    assert replan(old, new) == replan(old, old)
    assert replan(old, old).regenerate == () and replan(old, old).dropped == ()


def test_moving_a_free_shot_reuses_it():
    old = parse_shots(BOARD)
    lines = BOARD.splitlines()
    new = parse_shots("\n".join([lines[1], lines[0], lines[2], lines[3]]))
    plan = replan(old, new)
    assert plan.regenerate == () and plan.reuse == {1: 2, 2: 1, 3: 3, 4: 4}


def test_making_a_shot_continue_changes_it_and_its_followers():
    old = parse_shots("a\nb\n-> c\nd")
    new = parse_shots("a\n-> b\n-> c\nd")
    assert replan(old, new).regenerate == (2, 3)


def test_defaults_are_part_of_the_identity():
    shots = parse_shots("a (model=m2)\n-> b\nc")
    # The board's model changes: shot 1 names its own model, shot 2 inherits the default.
    plan = replan(shots, shots, defaults={"model": "m1"}, old_defaults={"model": "m0"})
    assert plan.regenerate == (2, 3) and plan.reuse == {1: 1}
    chained = parse_shots("a\n-> b (model=m2)\nc")
    # Shot 2 names its model but continues from shot 1, whose model changed.
    assert replan(chained, chained, {"model": "m1"}, {"model": "m0"}).regenerate == (1, 2, 3)
    assert effective(chained[1], {"model": "m1", "ratio": None}) == {"model": "m2", "prompt": "b"}


def test_identities_ignore_position_but_not_parameters():
    a = Shot(1, "x", 6, None, {"ratio": "16:9"}, False, (), 1)
    ids = identities([a, replace(a, index=2, line=9)])
    assert ids[1] == ids[2]
    assert identities([replace(a, duration=10)])[1] != ids[1]
    assert identities([replace(a, options={"ratio": "1:1"})])[1] != ids[1]


def test_compare_identities_with_duplicates():
    plan = compare_identities({1: "a", 2: "a", 3: "b"}, {1: "a", 2: "c"})
    assert plan.reuse == {1: 1} and plan.regenerate == (2,) and plan.dropped == (3,)


@st.composite
def boards(draw):
    n = draw(st.integers(1, 8))
    flags = [False] + draw(st.lists(st.booleans(), min_size=n - 1, max_size=n - 1))
    return [Shot(i + 1, f"shot prompt {i}", 6, None, {}, flags[i], (), i + 1) for i in range(n)]


# No deadline: the machine is shared, and a slow example is not a wrong one.
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(boards(), st.data())
def test_an_edit_regenerates_exactly_the_shot_and_its_continuations(board, data):
    k = data.draw(st.integers(1, len(board)))
    edited = [replace(s, prompt=s.prompt + " edited") if s.index == k else s for s in board]
    expected = [k, *blocked_by(board, k)]
    assert list(replan(board, edited).regenerate) == expected
    # The same chain rule, spelled out: the followers are the consecutive continuing shots.
    followers = []
    for shot in board[k:]:
        if not shot.continues:
            break
        followers.append(shot.index)
    assert expected == [k, *followers]
    # Every shot is in exactly one chain and every wave can start together.
    assert sorted(i for c in chains(board) for i in c) == [s.index for s in board]
    assert sorted(runnable(board, finished=())) == list(waves(board)[0])
