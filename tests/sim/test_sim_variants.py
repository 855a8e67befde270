"""Reply-shape variants (docs/protocols.md §10): one default per protocol, the others selectable."""

from __future__ import annotations

import pytest

from hailuo_nb.sim import SimServer

PROTOCOLS = ("minimax", "runapi", "runbase", "runninghub", "agentsflare")
DEFAULT_ID = {"minimax": "task_id", "runapi": "id", "runbase": "id", "runninghub": "taskId",
              "agentsflare": "task_id"}
ID_FIELDS = ("task_id", "taskId", "id", "run_id", "request_id")


def url_at(body, location):
    """Follow a url_location path such as 'videos[].url' or 'output.urls'."""
    value = body
    for part in location.split("."):
        value = value[part[:-2]][0] if part.endswith("[]") else value[part]
    return value[0] if isinstance(value, list) else value


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_default_id_field(drive, protocol):
    created = drive.submit(protocol).json()
    assert DEFAULT_ID[protocol] in created
    assert isinstance(created[DEFAULT_ID[protocol]], str)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("field", ID_FIELDS)
def test_id_field(drive, protocol, field):
    drive.srv.set_variant(protocol, id_field=field)
    created = drive.submit(protocol).json()
    others = set(ID_FIELDS) - {field}
    assert field in created and not others & set(created)
    done = drive.wait(protocol, str(created[field]))
    assert str(done[field]) == str(created[field])


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_id_as_number(drive, protocol):
    drive.srv.set_variant(protocol, id_as_number=True)
    created = drive.submit(protocol).json()
    task_id = created[DEFAULT_ID[protocol]]
    assert isinstance(task_id, int) and task_id < 2**63
    assert drive.status_of(drive.wait(protocol, str(task_id))).lower() in (
        "success", "succeeded", "completed")


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("nest", ["data", "task"])
def test_nest(drive, protocol, nest):
    drive.srv.set_variant(protocol, nest=nest)
    created = drive.submit(protocol).json()
    assert DEFAULT_ID[protocol] in created[nest]
    if protocol == "minimax":
        assert created["base_resp"]["status_code"] == 0  # the envelope stays on top
    if protocol == "runninghub":
        assert created["errorCode"] == ""
    done = drive.wait(protocol, drive.id_of(created))
    assert nest in done and drive.status_of(done)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("location", ["videos[].url", "output.urls", "output", "results[].url",
                                      "video_result[].url", "video.url", "url", "video_url"])
def test_url_location(drive, fetch, protocol, location):
    drive.srv.set_variant(protocol, url_location=location)
    done = drive.run(protocol)
    url = url_at(done, location)
    assert url.startswith(drive.srv.video_base_url + "/videos/")
    assert fetch.get(url).headers["content-type"] == "video/mp4"


def test_url_location_inside_nest(drive):
    drive.srv.set_variant("runbase", nest="data", url_location="video.url")
    done = drive.run("runbase")
    assert url_at(done["data"], "video.url").endswith(".mp4")


@pytest.mark.parametrize("protocol, case, expected", [
    ("minimax", "upper", "SUCCESS"), ("minimax", "lower", "success"),
    ("runninghub", "title", "Success"), ("runninghub", "lower", "success"),
    ("runapi", "upper", "COMPLETED"), ("agentsflare", "lower", "success"),
    ("runbase", "title", "Succeeded"),
])
def test_status_case(drive, protocol, case, expected):
    drive.srv.set_variant(protocol, status_case=case)
    assert drive.status_of(drive.run(protocol)) == expected


def test_words_as_a_mapping(drive, wait_for):
    drive.srv.set_variant("agentsflare", words={"running": "WORKING", "succeeded": "DONE"})
    task_id = drive.submit("agentsflare").json()["task_id"]
    words = set()
    wait_for(lambda: words.add(drive.poll("agentsflare", task_id).json()["task_status"])
             or "DONE" in words)
    assert words <= {"PROCESSING", "WORKING", "DONE"}


def test_reset_variants_and_constructor_variants():
    with SimServer(job_seconds=0.05, variants={"runapi": {"id_field": "task_id"}}) as srv:
        assert srv.variant("runapi")["id_field"] == "task_id"
        srv.reset_variants("runapi")
        assert srv.variant("runapi")["id_field"] == "id"


@pytest.mark.parametrize("protocol, options", [
    ("minimax", {"id_field": "uuid"}), ("runapi", {"nest": "payload"}),
    ("runbase", {"url_location": "videos.url"}), ("runninghub", {"status_case": "shout"}),
    ("agentsflare", {"words": "klingon"}), ("runbase", {"vocabulary": "older"}),
    ("runapi", {"vocabulary": "newest"}), ("runapi", {"colour": "blue"}),
])
def test_bad_variant_options_are_refused(sim, protocol, options):
    with pytest.raises(ValueError):
        sim.set_variant(protocol, **options)


def test_unknown_protocol_is_refused(sim):
    with pytest.raises(ValueError, match="unknown protocol"):
        sim.set_variant("fal", id_field="id")
