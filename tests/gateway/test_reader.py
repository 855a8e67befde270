"""The tolerant reader: every id, status word and URL location of docs/protocols.md §10."""

import pytest

from hailuo_nb.gateway.providers import reader


@pytest.mark.parametrize(
    "body, expected",
    [
        ({"task_id": "106916112212032"}, "106916112212032"),
        ({"taskId": "2013508786110730241"}, "2013508786110730241"),
        ({"id": "t1"}, "t1"),
        ({"run_id": "r-9"}, "r-9"),
        ({"request_id": "q7"}, "q7"),
        ({"data": {"task_id": "nested"}}, "nested"),
        ({"task": {"id": "in-task"}}, "in-task"),
        ({"task_id": 9007199254740993}, "9007199254740993"),  # beyond float precision: kept exact
        ({"id": True}, None),
        ({"id": ""}, None),
        ({}, None),
    ],
)
def test_find_task_id(body, expected):
    assert reader.find_task_id(body) == expected


@pytest.mark.parametrize(
    "word, status",
    [
        ("Preparing", "queued"), ("Queueing", "queued"), ("Processing", "running"),
        ("Success", "succeeded"), ("Fail", "failed"), ("Failed", "failed"),
        ("pending", "queued"), ("processing", "running"), ("completed", "succeeded"), ("failed", "failed"),
        ("queued", "queued"), ("starting", "queued"), ("running", "running"), ("succeeded", "succeeded"),
        ("canceled", "cancelled"),
        ("CREATE", "queued"), ("QUEUED", "queued"), ("RUNNING", "running"), ("SUCCESS", "succeeded"),
        ("FAILED", "failed"), ("CANCEL", "cancelled"),
        ("PROCESSING", "running"), ("FAIL", "failed"),
        ("SuCcEsS", "succeeded"),
        ("Thinking", "running"),  # unknown words keep the task running
        (None, "running"),
    ],
)
def test_map_status(word, status):
    assert reader.map_status(word) == status


URL = "https://cdn.example/v.mp4"


@pytest.mark.parametrize(
    "body",
    [
        {"videos": [{"url": URL}]},
        {"output": {"urls": [URL]}},
        {"output": URL},
        {"output": [URL]},
        {"results": [{"url": "https://cdn.example/cover.png", "outputType": "png"}, {"url": URL, "outputType": "mp4"}]},
        {"video_result": [{"url": URL, "cover_image_url": "https://cdn.example/c.jpg"}]},
        {"video": {"url": URL}},
        {"url": URL},
        {"video_url": URL},
        {"data": {"videos": [{"url": URL}]}},
        {"data": {"video_url": URL}},
        {"task": {"output": {"urls": [URL]}}},
        {"file": {"download_url": URL}},
    ],
)
def test_find_video_url(body):
    assert reader.find_video_url(body) == URL


@pytest.mark.parametrize(
    "body, message",
    [
        ({"error": {"message": "bad key"}}, "bad key"),
        ({"error": "quota"}, "quota"),
        ({"errors": [{"message": "first"}]}, "first"),
        ({"message": "m"}, "m"),
        ({"detail": "d"}, "d"),
        ({"msg": "x"}, "x"),
        ({"errorMessage": "rh"}, "rh"),
        ("plain text body", "plain text body"),
        ({}, None),
    ],
)
def test_find_error_message(body, message):
    assert reader.find_error_message(body) == message
