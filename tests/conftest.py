"""Shared fixtures: every test gets its own journal, output folder and a clean environment."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hailuo_nb.gateway.secrets import KEY_VARIABLES as KEY_VARS

SETTINGS = ("HAILUO_PROVIDER", "HAILUO_BUDGET_USD", "HAILUO_POLL_INTERVAL", "HAILUO_WAIT",
            *(v.replace("_API_KEY", "_BASE_URL") for v in KEY_VARS))


@pytest.fixture(autouse=True)
def hailuo_env(tmp_path, monkeypatch):
    """Isolate HAILUO_HOME / HAILUO_OUTPUT_DIR and drop any real keys (tests never pay)."""
    for name in (*KEY_VARS, *SETTINGS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HAILUO_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HAILUO_OUTPUT_DIR", str(tmp_path / "videos"))
    monkeypatch.setenv("HAILUO_SIM_SECONDS", "0.3")
    return tmp_path


# -- the browser (headless Debian Chromium driven by Playwright) -------------------------
# Without Chromium the browser tests skip with the reason; with HAILUO_REQUIRE_BROWSER=1
# (set by .ci/run) they fail instead, so CI cannot pass by skipping them. One browser for
# the whole session: Playwright's sync API cannot run twice in one thread.

#: Flags from the project's browser-testing notes (docs/design.md §0); the background-networking ones keep Chromium
#: from flooding the closed network.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def find_chromium() -> str | None:
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def _unavailable(reason: str) -> None:
    if os.environ.get("HAILUO_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (HAILUO_REQUIRE_BROWSER=1 forbids skipping browser tests)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Any]:
    """A launched playwright Browser (headless Chromium), shared by the session."""
    executable = find_chromium()
    if executable is None:
        _unavailable("no Chromium found (apt-get install chromium, or put it on PATH)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True,
                                    args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def artifacts_dir() -> Path:
    """test-artifacts/ at the repository root (screenshots and the like)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Browser tests run last, wherever they live.

    Playwright's sync API (one browser for the session) leaves an asyncio loop marked as
    running in the main thread, and the code under test calls ``asyncio.run()``; so no
    ordinary test may come after the first browser test.
    """
    items.sort(key=lambda item: "chromium_browser" in getattr(item, "fixturenames", ()))
