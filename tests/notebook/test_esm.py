"""esm.py: joining a widget's sibling ES modules into the one module anywidget loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from hailuo_nb.notebook.widgets.esm import bundle, exported_names


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_imports_of_bundled_siblings_are_dropped_and_exports_kept(tmp_path: Path) -> None:
    common = write(tmp_path, "common.js", "export function h() {}\nexport const TERMINAL = 1;\n")
    widget = write(
        tmp_path,
        "widget.js",
        'import {\n  h,\n  TERMINAL,\n} from "./common.js";\nexport function view() { return h(TERMINAL); }\n'
        "export default { render() {} };\n",
    )
    out = bundle(common, widget)
    assert "import" not in out and out.count("export default") == 1
    assert exported_names(out) == {"h", "TERMINAL", "view"}


@pytest.mark.parametrize(
    ("common", "widget", "message"),
    [
        ("export function h() {}\n", 'import { nope } from "./common.js";\n', "does not export"),
        ("export function h() {}\n", 'import { h } from "./other.js";\n', "not bundled before it"),
        ("function h() {}\n", "function h() {}\n", "declared in both"),
        ("export default {};\n", "export const x = 1;\n", "only the last file"),
        ("export const x = 1;\n", 'import * as m from "./common.js";\n', "can be bundled"),
    ],
)
def test_a_broken_rule_fails_when_the_widget_is_defined(
    tmp_path: Path, common: str, widget: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        bundle(write(tmp_path, "common.js", common), write(tmp_path, "widget.js", widget))


def test_the_forms_module_is_common_js_then_form_js() -> None:
    from hailuo_nb.notebook.widgets.form import Form
    from hailuo_nb.notebook.widgets.form_state import COMMON_JS, FORM_JS

    esm = str(Form._esm)
    assert esm.index("// ---- common.js") < esm.index("// ---- form.js")
    assert {"KEYS", "createFormView", "h", "formatSeconds", "filesUrl"} <= exported_names(esm)
    assert 'from "./common.js"' in FORM_JS.read_text(encoding="utf-8")  # a real module on its own
    assert exported_names(COMMON_JS.read_text(encoding="utf-8")) <= exported_names(esm)


def test_whole_line_comments_are_left_out_and_code_is_kept(tmp_path: Path) -> None:
    source = (
        "// a comment line\n"
        "/**\n * JSDoc\n * @param {string} a\n */\n"
        "export function f(a) {\n"
        "  // inside\n"
        '  return /** @type {string} */ (a) + "//not a comment";\n'
        "}\n"
    )
    out = bundle(write(tmp_path, "widget.js", source))
    assert "comment line" not in out and "JSDoc" not in out and "inside" not in out
    assert 'return /** @type {string} */ (a) + "//not a comment";' in out
