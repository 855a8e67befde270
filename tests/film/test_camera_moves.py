"""The camera-move picker's text edit."""

from __future__ import annotations

import pytest

from hailuo_nb.errors import ValidationError
from hailuo_nb.film.camera_moves import CAMERA_MOVES, canonical_move, insert_moves


def test_fifteen_documented_moves():
    assert len(CAMERA_MOVES) == 15 == len(set(CAMERA_MOVES))
    assert canonical_move("  tracking   SHOT ") == "Tracking shot"
    assert canonical_move("dolly") is None


@pytest.mark.parametrize("prompt, cursor, moves, expected, after", [
    ("a dog runs", 5, ["Pan left"], "a dog [Pan left] runs", 16),
    ("a dog runs", 10, ["pan left", "zoom in"], "a dog runs [Pan left, Zoom in]", 30),
    ("", 0, ["Shake"], "[Shake]", 7),
    ("a dog.", 5, ["Shake"], "a dog [Shake].", 13),
    ("a dog", 99, ["Shake"], "a dog [Shake]", 13),
    ("a dog", -3, ["Shake"], "[Shake] a dog", 7),
    ("a dog ", 6, ["Shake", "Shake"], "a dog [Shake]", 13),
])
def test_insert_at_the_cursor(prompt, cursor, moves, expected, after):
    assert insert_moves(prompt, cursor, moves) == (expected, after)


def test_inside_a_bracket_the_moves_join_it():
    text, cursor = insert_moves("a dog [Pan left] runs", 10, ["Zoom in", "Pan left"])
    assert (text, cursor) == ("a dog [Pan left, Zoom in] runs", 25)


@pytest.mark.parametrize("prompt, cursor, moves, reason", [
    ("x", 1, ["Dolly"], "not a MiniMax camera move"),
    ("x", 1, [], "at least one"),
    ("x", 1, ["Shake", "Pan left", "Zoom in", "Tilt up"], "at most 3"),
    ("[Shake, Pan left, Zoom in]", 3, ["Tilt up"], "at most 3"),
])
def test_refused_picks(prompt, cursor, moves, reason):
    with pytest.raises(ValidationError, match=reason) as info:
        insert_moves(prompt, cursor, moves)
    assert "Truck left" in info.value.allowed
