"""One ES module from several sibling files: how a widget's ``_esm`` is assembled.

anywidget loads exactly one module per widget, and that module cannot import a sibling
file (it is served from a ``blob:`` URL, so ``./common.js`` has nothing to resolve
against). The sources stay real ES modules that import each other by relative path, so
editors, linters and a plain browser page can load them one by one; :func:`bundle` joins
them for the widget.

The rule it applies, and checks, is deliberately small:

- files are concatenated in the order given; a file may import only from files listed
  before it, with one-line or multi-line ``import { a, b } from "./name.js";``
  statements, which are dropped (the names are then in the same module scope);
- every imported name must be exported by that earlier file, and top-level names must
  not clash between files; a broken rule raises :class:`ValueError` when the widget
  class is defined, not in the user's browser;
- ``export`` keywords stay (the bundle re-exports the helpers, which the JS unit tests
  use), and only the last file may have a default export (the anywidget adapter);
- whole-line ``//`` comments and ``/** ... */`` JSDoc blocks are left out: the module
  is saved with every notebook that keeps widget state, and the sources keep them.

No build step and no Node: this is string work on files shipped in the package.
"""

from __future__ import annotations

import re
from pathlib import Path

_IMPORT = re.compile(r'^import\s*\{([^}]*)\}\s*from\s*"\./([\w.-]+\.js)";[ \t]*\n?', re.M)
_COMMENTS = re.compile(r"^[ \t]*/\*\*(?:(?!\*/).)*\*/[ \t]*\n|^[ \t]*//[^\n]*\n", re.M | re.S)
_ANY_IMPORT = re.compile(r"^\s*import[\s{*]", re.M)
_NAME = r"(?:async\s+)?(?:function\*?|const|let|var|class)\s+([A-Za-z_$][\w$]*)"
_EXPORTED = re.compile(r"^export\s+" + _NAME, re.M)
_TOP_LEVEL = re.compile(r"^(?:export\s+)?" + _NAME, re.M)


def exported_names(source: str) -> set[str]:
    """The names a module exports by ``export function|const|let|var|class NAME``."""
    return set(_EXPORTED.findall(source))


#: the helpers every widget front end shares
COMMON_JS = Path(__file__).parent / "common.js"


def bundle(*paths: Path) -> str:
    """The files joined into one ES module (see the module docstring for the rules)."""
    exports: dict[str, set[str]] = {}
    declared: dict[str, str] = {}
    parts: list[str] = []
    for index, path in enumerate(paths):
        source = path.read_text(encoding="utf-8")
        for names, target in _IMPORT.findall(source):
            if target not in exports:
                raise ValueError(f"{path.name} imports ./{target}, which is not bundled before it")
            wanted = {n.strip() for n in names.split(",") if n.strip()}
            missing = sorted(wanted - exports[target])
            if missing:
                raise ValueError(f"{path.name} imports {missing} that ./{target} does not export")
        body = _COMMENTS.sub("", _IMPORT.sub("", source))
        if _ANY_IMPORT.search(body):
            raise ValueError(f"{path.name}: only `import {{ ... }} from \"./sibling.js\";` can be bundled")
        if "export default" in body and index != len(paths) - 1:
            raise ValueError(f"{path.name}: only the last file may have a default export")
        for name in _TOP_LEVEL.findall(body):
            if name in declared:
                raise ValueError(f"{name!r} is declared in both {declared[name]} and {path.name}")
            declared[name] = path.name
        exports[path.name] = exported_names(body)
        parts.append(f"// ---- {path.name}\n{body}")
    return "\n".join(parts)


__all__ = ["bundle", "exported_names"]
