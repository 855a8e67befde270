from types import SimpleNamespace

import pytest

from hailuo_nb.notebook.template import MissingName, fill_prompt, placeholders


def test_fills_names_and_attributes():
    ns = {"animal": "cat", "scene": SimpleNamespace(place="moon", light=SimpleNamespace(kind="dusk"))}
    assert fill_prompt("a {animal} on the {scene.place} at {scene.light.kind}", ns) == (
        "a cat on the moon at dusk"
    )


def test_double_braces_escape():
    assert fill_prompt("{{animal}} and {{ }} stay", {"animal": "cat"}) == "{animal} and { } stay"


@pytest.mark.parametrize(
    "text",
    [
        '{"camera": "dolly", "speed": [1, 2]}',
        "{ spaced }",
        "{1}",
        "{}",
        "a {weird-name}",
        "unbalanced { brace",
        "closing } only",
        "{animal!r}",
        "f(x) = {x: 1}",
    ],
)
def test_other_braces_are_left_alone(text):
    assert fill_prompt(text, {}) == text


def test_missing_name_is_named():
    with pytest.raises(MissingName) as info:
        fill_prompt("a {animal} on {planet}", {"animal": "cat"})
    assert info.value.name == "planet"
    assert "planet" in str(info.value) and "{{planet}}" in str(info.value)


def test_missing_attribute_is_named():
    with pytest.raises(MissingName) as info:
        fill_prompt("{scene.colour}", {"scene": SimpleNamespace(place="moon")})
    assert "scene.colour" in str(info.value) and "'colour'" in str(info.value)


def test_placeholders():
    assert placeholders('{a} {{b}} {c.d} {"e": 1}') == ["a", "c.d"]
