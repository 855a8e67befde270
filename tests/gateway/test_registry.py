"""The house rule of docs/design.md: a new gateway is one module plus one registry line.

The hypothetical sixth gateway here is a module written in a temp folder (it reuses the
Runbase wire functions, as a reseller of a known protocol would) and registered with one
``register(...)`` call. Nothing else is edited, yet key redaction, ``.env`` reading, provider
resolution, the config table, the matrix and a whole generation over loopback all know it.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import pytest

import hailuo_nb
from hailuo_nb.gateway import dotenv, reference
from hailuo_nb.gateway.config import resolve_provider
from hailuo_nb.gateway.providers import PROVIDERS, register
from hailuo_nb.gateway.secrets import redact
from hailuo_nb.sim import SimServer

SIXTH = '''
"""A sixth gateway that resells the Runbase protocol under its own name and variables."""
from dataclasses import replace

from hailuo_nb.gateway.providers import runbase

PROVIDER = replace(
    runbase.PROVIDER, name="sixth", key_env="SIXTH_API_KEY", base_url_env="SIXTH_BASE_URL",
    default_base_url="https://api.sixth.example", label="Sixth", docs_url="https://sixth.example/docs",
)
'''


@pytest.fixture
def sixth(tmp_path, monkeypatch):
    (tmp_path / "hailuo_sixth.py").write_text(SIXTH)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("hailuo_sixth")
    register(module.PROVIDER)  # the one registry line
    yield module.PROVIDER
    PROVIDERS.pop("sixth", None)
    sys.modules.pop("hailuo_sixth", None)


def test_key_redaction_knows_the_new_key(sixth, monkeypatch):
    monkeypatch.setenv("SIXTH_API_KEY", "sk-sixth-very-secret")
    assert "sk-sixth-very-secret" not in redact("the gateway echoed sk-sixth-very-secret back")


def test_dotenv_takes_the_new_variables(sixth, tmp_path, monkeypatch):
    monkeypatch.delenv("SIXTH_API_KEY", raising=False)
    folder = tmp_path / "nb"
    folder.mkdir()
    (folder / ".env").write_text("SIXTH_API_KEY=sk-from-dotenv\nSIXTH_BASE_URL=http://x\nOTHER=1\n")
    names = dotenv.load([folder])
    assert sorted(names) == ["SIXTH_API_KEY", "SIXTH_BASE_URL"]
    monkeypatch.delenv("SIXTH_API_KEY")
    monkeypatch.delenv("SIXTH_BASE_URL")


def test_config_table_and_matrix_list_it(sixth):
    assert any("`SIXTH_API_KEY`" in row and "`SIXTH_BASE_URL`" in row for row in reference.config_table())
    matrix = "\n".join(reference.matrix())
    assert "| agentsflare | sixth |" in matrix  # a column of the price and name tables


def test_resolution_picks_it_by_name_and_by_key(sixth, monkeypatch):
    assert resolve_provider("sixth").name == "sixth"
    monkeypatch.setenv("SIXTH_API_KEY", "sk-x")
    assert resolve_provider().name == "sixth"  # the first provider whose key is set


def test_a_generation_runs_on_it_end_to_end(sixth, monkeypatch):
    with SimServer(job_seconds=0.2) as srv:
        monkeypatch.setenv("SIXTH_API_KEY", srv.api_key)
        monkeypatch.setenv("SIXTH_BASE_URL", srv.base_url_for("runbase"))
        monkeypatch.setenv("HAILUO_POLL_INTERVAL", "0.1")
        gen = hailuo_nb.generate("a lighthouse at dusk", provider="sixth", timeout=60)
        assert gen.status == "succeeded", gen.error
        assert gen.provider == "sixth" and Path(gen.video_path).stat().st_size > 1000
        assert srv.count("submit", "runbase") == 1


def test_a_name_cannot_be_registered_twice(sixth):
    with pytest.raises(ValueError, match="registered already"):
        register(sixth)


CORE = ("runner.py", "session.py", "journal.py", "record.py", "engine.py", "client.py", "generation.py")


@pytest.mark.parametrize("parameter", ["prompt_optimizer", "ratio", "reference_images"])
def test_the_core_passes_request_parameters_through(parameter):
    """A request parameter lives in the catalog, the request, the adapters and the UIs only.

    The core (runner, session, journal, engine, client, Generation) moves the request value
    and its ``params()``; so adding a parameter touches none of these files.
    """
    gateway = Path(hailuo_nb.__file__).parent / "gateway"
    for name in CORE:
        found = re.search(rf"\b{parameter}\b", (gateway / name).read_text())
        assert found is None, f"{name} names {parameter}"
