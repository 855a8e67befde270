"""The storyboard shot syntax and the prompt checks."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hailuo_nb.errors import ValidationError
from hailuo_nb.film.camera_moves import CAMERA_MOVES
from hailuo_nb.film.shots import (
    RATIOS,
    Shot,
    check_prompt,
    check_shots,
    format_board,
    parse_shots,
)

BOARD = """
# the lighthouse
1. A lighthouse at dusk, waves crash [Pan left] (6s)
2. -> The keeper climbs the stairs [Push in] (10s, model=hailuo-02-image-to-video-standard)

3. The sea at night (ratio=16:9, resolution=768p)
+ Dawn breaks [pan right, zoom IN]
"""


def test_the_example_board_parses():
    shots = parse_shots(BOARD)
    assert [s.index for s in shots] == [1, 2, 3, 4]
    assert [s.line for s in shots] == [3, 4, 6, 7]
    one, two, three, four = shots
    assert one == Shot(1, "A lighthouse at dusk, waves crash [Pan left]", 6, None, {}, False,
                       ("Pan left",), 3)
    assert two.continues and two.duration == 10 and two.model == "hailuo-02-image-to-video-standard"
    assert two.prompt == "The keeper climbs the stairs [Push in]" and two.moves == ("Push in",)
    assert three.options == {"ratio": "16:9", "resolution": "768p"} and not three.continues
    assert three.duration is None and three.model is None
    # Known moves are written the way MiniMax documents them, in the prompt too.
    assert four.continues and four.prompt == "Dawn breaks [Pan right, Zoom in]"
    assert four.moves == ("Pan right", "Zoom in")


@pytest.mark.parametrize("marker", ["->", "→", "+", "continue:", "Continues:", "cont:"])
def test_every_continue_marker(marker):
    first, second = parse_shots(f"a harbour\n{marker} the boat leaves")
    assert second.continues and second.prompt == "the boat leaves"
    assert not first.continues


@pytest.mark.parametrize("line", ["Shot 2: a dog", "shot 2 a dog", "2) a dog", "a dog", "  7.   a dog  "])
def test_numbers_are_decoration(line):
    (shot,) = parse_shots(line)
    assert shot.index == 1 and shot.prompt == "a dog"


@pytest.mark.parametrize("line", ["2:30 pm, a clock strikes", "1.5 seconds later, rain", "3 dogs run"])
def test_a_prompt_starting_with_a_number_keeps_it(line):
    assert parse_shots(line)[0].prompt == line


@pytest.mark.parametrize("trailer, duration", [("(6s)", 6), ("(10 sec)", 10), ("(6 seconds)", 6),
                                               ("(duration=10)", 10), ("(length=6s)", 6)])
def test_length_spellings(trailer, duration):
    (shot,) = parse_shots(f"a dog {trailer}")
    assert shot.duration == duration and shot.prompt == "a dog"


def test_a_prose_parenthesis_stays_in_the_prompt():
    (shot,) = parse_shots("a dog runs (slowly, happily)")
    assert shot.prompt == "a dog runs (slowly, happily)" and shot.options == {}
    (shot,) = parse_shots("a dog (slowly) (6s)")
    assert shot.prompt == "a dog (slowly)" and shot.duration == 6


def test_options_are_typed():
    (shot,) = parse_shots('a dog (optimize=off, first_frame="my dog, 2.png", provider=sim, ratio=9:16)')
    assert shot.options == {"prompt_optimizer": False, "first_frame": "my dog, 2.png",
                            "provider": "sim", "ratio": "9:16"}


def test_a_continuing_shot_may_have_no_prompt():
    shots = parse_shots("a dog\n->")
    assert shots[1].prompt == "" and shots[1].continues


@pytest.mark.parametrize("text, field, allowed", [
    ("-> a dog", "line 1", "a shot without '->'"),
    ("a dog\n\n# c\n(modle=x)", "line 4: modle", "model"),
    ("a dog (6.5s)", "line 1: duration", "whole number"),
    ("a dog (0s)", "line 1: duration", "whole number"),
    ("a dog (ratio=2:1)", "line 1: ratio", "16:9"),
    ("a dog (6s, 10s)", "line 1: duration", "model"),
    ("a dog (6s, fast)", "line 1", "key=value"),
    ("a dog (optimize=maybe)", "line 1: prompt_optimizer", "true"),
    ("a dog (model=)", "line 1: model", "a value"),
    ("a\n-> b (first_frame=x.png)", "line 2: first_frame", "no first_frame"),
    ("(6s)", "line 1", "a prompt"),
])
def test_errors_name_the_line_and_what_is_allowed(text, field, allowed):
    with pytest.raises(ValidationError) as info:
        parse_shots(text)
    assert info.value.field == field
    assert allowed in info.value.allowed
    assert field in str(info.value)


def test_a_typo_gets_a_suggestion():
    with pytest.raises(ValidationError, match="did you mean resolution"):
        parse_shots("a dog (resolutoin=768p)")


def test_unknown_moves_and_long_prompts_are_warnings_not_errors():
    (shot,) = parse_shots("a dog [Pan lfet, Dolly zoom] [] [Pan left, Tilt up, Zoom in, Shake]")
    assert shot.moves == ("Pan left", "Tilt up", "Zoom in", "Shake")
    warnings = check_prompt(shot.prompt)
    assert any("'Pan lfet'" in w and "did you mean Pan left" in w for w in warnings)
    assert any("'Dolly zoom'" in w for w in warnings)
    assert any("empty camera bracket" in w for w in warnings)
    assert any("has 4 moves" in w for w in warnings)
    assert check_prompt("a" * 2000) == []
    assert "2001 characters" in check_prompt("a" * 2001)[0]
    assert check_prompt("a" * 5000, limit=7000) == []


def test_check_shots_names_shot_and_line():
    shots = parse_shots("# x\na dog [Pan lfet]\nfine [Static shot]")
    (warning,) = check_shots(shots)
    assert warning.startswith("shot 1 (line 2): unknown camera move")


def test_every_documented_move_is_known():
    (shot,) = parse_shots(" ".join(f"[{m.upper()}]" for m in CAMERA_MOVES))
    assert shot.moves == CAMERA_MOVES
    assert check_prompt(shot.prompt) == []


_text = st.text(st.characters(codec="utf-8", exclude_characters="()[]\"\n\r#+→-=,",
                              exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40)
_shot = st.builds(
    lambda prompt, moves, duration, model, ratio, continues: (
        prompt.strip() + (f" [{', '.join(moves)}]" if moves else ""), duration, model, ratio, continues),
    _text.filter(lambda s: s.strip() and not s.strip()[0].isdigit() and ":" not in s),
    st.lists(st.sampled_from(CAMERA_MOVES), max_size=3, unique=True),
    st.none() | st.integers(1, 20),
    st.none() | st.sampled_from(["hailuo-02-text-to-video-pro", "MiniMax-Hailuo-02"]),
    st.none() | st.sampled_from(RATIOS),
    st.booleans(),
)


# No deadline: the machine is shared, and a slow example is not a wrong one.
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.lists(_shot, min_size=1, max_size=6))
def test_format_board_round_trips(specs):
    shots = [Shot(i, prompt, duration, model, {"ratio": ratio} if ratio else {}, continues and i > 1,
                  tuple(m for m in CAMERA_MOVES if f"{m}]" in prompt or f"{m}," in prompt), 0)
             for i, (prompt, duration, model, ratio, continues) in enumerate(specs, start=1)]
    parsed = parse_shots(format_board(shots))
    assert [(s.index, s.prompt, s.duration, s.model, s.options, s.continues) for s in parsed] == \
        [(s.index, s.prompt, s.duration, s.model, s.options, s.continues) for s in shots]
    assert [set(s.moves) for s in parsed] == [set(s.moves) for s in shots]
