"""The fault matrix (issue 7) as pytest: one case per scenario × protocol.

The matrix runs once per module (scenarios one after the other, the five protocols of a
scenario at once, as ``benchmarks/fault_matrix.py`` does); each case asserts its cell.
Scenarios and checks live in ``fault_scenarios.py``.
"""

from __future__ import annotations

import pytest

from . import fault_scenarios as fm

#: cells that exercise a library bug not fixed yet: scenario id -> reason (see the report)
KNOWN_BUGS: dict[str, str] = {}


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    base = tmp_path_factory.mktemp("fault-matrix")
    server = fm.new_server()
    try:
        matrix = fm.run_matrix(server, base / "home", base / "videos")
        print("\n" + fm.format_table(matrix.cells))
        yield matrix
    finally:
        server.stop()


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    base = tmp_path_factory.mktemp("fault-matrix-twin")
    matrix = fm.run_twin(base / "home", base / "videos")
    print("\n" + fm.format_table(matrix.cells, columns=(fm.TWIN,)))
    return matrix


def _cases():
    for scenario in fm.SCENARIOS:
        for protocol in fm.PROTOCOLS:
            marks = []
            if protocol not in scenario.protocols:
                marks.append(pytest.mark.skip(reason=f"n/a: {scenario.na_reason}"))
            elif scenario.id in KNOWN_BUGS:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[scenario.id]))
            yield pytest.param(scenario.id, protocol, id=f"{scenario.id}-{protocol}", marks=marks)


@pytest.mark.parametrize("scenario_id, protocol", list(_cases()))
def test_cell(matrix, scenario_id, protocol):
    cell = matrix.cells[(scenario_id, protocol)]
    assert cell.ok, f"{fm.BY_ID[scenario_id].title} on {protocol}: " + "; ".join(cell.problems)


RUNBASE = [s for s in fm.SCENARIOS if "runbase" in s.protocols]


def _xfail(scenario_id):
    if scenario_id not in KNOWN_BUGS:
        return []
    return [pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[scenario_id])]


@pytest.mark.parametrize("scenario_id", [pytest.param(s.id, id=s.id, marks=_xfail(s.id)) for s in RUNBASE])
def test_an_independently_written_server_gives_the_same_outcome(matrix, twin, scenario_id):
    """Held-out check: the same scenario against tests/reliability/twin.py, a Runbase gateway
    written without the simulator's code, must end the same way (and pass every check)."""
    cell = twin.cells[(scenario_id, fm.TWIN)]
    assert cell.ok, f"{fm.BY_ID[scenario_id].title} on the independent server: " + "; ".join(cell.problems)
    assert cell.show() == matrix.cells[(scenario_id, "runbase")].show()


def test_no_key_in_any_artifact_and_no_authorization_at_the_video_host(matrix):
    """Every scenario ran with a distinctive key: it is in no file, log line, object or error."""
    assert matrix.log_records > 100  # DEBUG logging (httpx, httpcore included) was captured
    assert not matrix.audit, matrix.audit


def test_the_independent_server_run_leaks_nothing_either(twin):
    assert not twin.audit, twin.audit


def test_the_matrix_covers_every_fault_of_the_issue():
    titles = " ".join(s.title.lower() for s in fm.SCENARIOS)
    for words in ("429", "1002", "5xx on submit", "on poll", "on retrieve", "on download", "reset",
                  "read timeout", "malformed json", "unknown status", "remote failure", "content-policy",
                  "expired", "truncated", "lost reply"):
        assert words in titles, words
