"""Fill ``{name}`` placeholders in a ``%%hailuo`` prompt from the user namespace.

Only ``{identifier}`` and ``{identifier.attr.attr}`` are placeholders; every other brace
(JSON, code, emoticons) is left as it is, so a prompt that quotes JSON never crashes.
``{{`` and ``}}`` are escapes for literal braces (as in ``str.format``).

Examples:
    >>> fill_prompt("a {animal} on {{the}} moon {'k': 1}", {"animal": "cat"})
    "a cat on {the} moon {'k': 1}"
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_TOKEN = re.compile(r"\{\{|\}\}|\{(" + _NAME + r"(?:\." + _NAME + r")*)\}")


class MissingName(LookupError):
    """A placeholder names something the namespace does not have."""

    def __init__(self, name: str, detail: str = "") -> None:
        self.name = name
        why = detail or f"name {name!r} is not defined in the notebook"
        super().__init__(f"{{{name}}}: {why} (write {{{{{name}}}}} for literal braces)")


def placeholders(template: str) -> list[str]:
    """The dotted names a template refers to, in order of appearance."""
    return [m.group(1) for m in _TOKEN.finditer(template) if m.group(1)]


def fill_prompt(template: str, namespace: Mapping[str, Any]) -> str:
    """Substitute ``{name}`` / ``{name.attr}`` from ``namespace``; raise :class:`MissingName`."""

    def substitute(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        dotted = match.group(1)
        head, *attrs = dotted.split(".")
        if head not in namespace:
            raise MissingName(head)
        value = namespace[head]
        path = head
        for attr in attrs:
            path += "." + attr
            try:
                value = getattr(value, attr)
            except AttributeError:
                raise MissingName(path, f"{path[: -len(attr) - 1]} has no attribute {attr!r}") from None
        return str(value)

    return _TOKEN.sub(substitute, template)
