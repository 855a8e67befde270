"""Shared fixtures: every test gets its own journal, output folder and a clean environment."""

from __future__ import annotations

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
