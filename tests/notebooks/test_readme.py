"""The README a newcomer follows: the two commands first, every setting, a current matrix, no dead links."""

from __future__ import annotations

import importlib.util
import re

from notebook_checks import KEY_VARIABLES, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")

# docs/design.md §0: exactly these two lines open the README.
COMMANDS = (
    "```\n"
    'pip install -e ".[demo]" && jupyter lab notebooks/01-quickstart.ipynb   # the demo, on the simulator\n'
    'pip install -e ".[test]" && pytest                                        # every test\n'
    "```\n"
)
SETTINGS = (
    "HAILUO_PROVIDER",
    *KEY_VARIABLES,
    *(name.replace("_API_KEY", "_BASE_URL") for name in KEY_VARIABLES),
    "HAILUO_OUTPUT_DIR",
    "HAILUO_HOME",
    "HAILUO_BUDGET_USD",
    "HAILUO_POLL_INTERVAL",
    "HAILUO_SIM_SECONDS",
    "HAILUO_WAIT",
)


def test_readme_opens_with_the_two_commands() -> None:
    assert README.startswith(COMMANDS)


def test_the_commands_extras_exist() -> None:
    # (tomllib is 3.11+; the package supports 3.10)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    extras = pyproject.split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    assert re.search(r"^demo = \[", extras, re.M) and re.search(r"^test = \[", extras, re.M)
    assert (ROOT / "notebooks" / "01-quickstart.ipynb").is_file()


def test_configuration_table_lists_every_setting() -> None:
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    for name in SETTINGS:
        assert f"`{name}" in section, name


def test_matrix_is_generated_and_current() -> None:
    spec = importlib.util.spec_from_file_location("make_matrix", ROOT / "docs" / "make_matrix.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stale = [path.name for path, text in module.expected().items() if path.read_text(encoding="utf-8") != text]
    assert not stale, f"run python docs/make_matrix.py (out of date: {stale})"


def test_local_links_and_images_exist() -> None:
    targets = re.findall(r"\]\(([^)#\s]+)\)", README)
    local = [t for t in targets if "://" not in t]
    assert "docs/status-widget.png" in local and "docs/form.png" in local
    missing = [t for t in local if not (ROOT / t).exists()]
    assert missing == []
