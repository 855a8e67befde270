"""Keys from a ``.env`` file, so nobody types a key into a notebook (``%env`` saves it there).

Only this library's own variables are taken (keys, base URLs, ``HAILUO_*``), and a variable
already set in the environment always wins. The file is looked for in the current
directory (the notebook's, in Jupyter) and in HAILUO_HOME.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
_loaded: set[Path] = set()
_lock = threading.Lock()


def parse(text: str) -> dict[str, str]:
    """``KEY=value`` lines; quotes stripped, ``#`` comments and blank lines ignored."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            continue
        name, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        values[name] = value
    return values


def ours(name: str) -> bool:
    """Whether ``name`` is one of this library's variables (``HAILUO_*`` or a provider's)."""
    from hailuo_nb.gateway.providers import env_variables

    return name.startswith("HAILUO_") or name in env_variables()


def load(folders: list[Path]) -> list[str]:
    """Set our variables from the first ``.env`` in ``folders``; returns the names set."""
    for folder in folders:
        path = (folder / ".env").resolve()
        with _lock:
            if path in _loaded or not path.is_file():
                continue
            _loaded.add(path)
        try:
            values = parse(path.read_text(encoding="utf-8"))
        except OSError:
            continue
        names = [k for k in values if ours(k) and k not in os.environ]
        for name in names:
            os.environ[name] = values[name]
        return names
    return []
