"""Batch input: CSV files, lists of dicts and DataFrames, as numbered rows."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hailuo_nb.errors import ValidationError
from hailuo_nb.film.rows import COLUMNS, read_rows, write_results_csv

CSV = """prompt,Model,duration,First Frame,notes
a glass marble rolls,hailuo-02-text-to-video-pro,6,,keep
"a dog, running",,10.0,dog.png,
,,,,
  a cat  ,,,,"multi
line"
"""


def test_csv_with_bom_blank_rows_and_passthrough(tmp_path):
    path = tmp_path / "jobs.csv"
    path.write_bytes(b"\xef\xbb\xbf" + CSV.encode("utf-8"))
    rows = read_rows(path)
    assert [r["row"] for r in rows] == [1, 2, 4]  # the blank third row is skipped, numbers kept
    first, second, third = rows
    assert first == {"row": 1, "prompt": "a glass marble rolls", "model": "hailuo-02-text-to-video-pro",
                     "duration": 6, "resolution": None, "ratio": None, "first_frame": None,
                     "last_frame": None, "provider": None, "notes": "keep"}
    assert second["prompt"] == "a dog, running" and second["duration"] == 10
    assert second["first_frame"] == "dog.png" and second["notes"] is None
    assert third["prompt"] == "a cat" and third["notes"] == "multi\nline"
    assert read_rows(str(path)) == rows


def test_list_of_dicts_and_of_prompts():
    rows = read_rows([{"prompt": "a", "duration": 6, "take": 2}, "b"])
    assert rows[0]["take"] == 2 and rows[0]["duration"] == 6 and rows[0]["row"] == 1
    assert rows[1] == {"row": 2, **dict.fromkeys(COLUMNS), "prompt": "b", "take": None}


def test_an_image_only_row_needs_no_prompt():
    (row,) = read_rows([{"prompt": "", "first_frame": "x.png"}])
    assert row["prompt"] is None and row["first_frame"] == "x.png"


@pytest.mark.parametrize("source, field, reason", [
    ([{"promt": "a"}], "column 'promt'", "typo of 'prompt'"),
    ([{"prompt": "a", "modle": "m"}], "column 'modle'", "typo of 'model'"),
    ([{"prompt": "a", "durration": 6}], "column 'durration'", "typo of 'duration'"),
    ([{"text": "a"}], "prompt", "no prompt column"),
    ([{"prompt": "a", "Prompt": "b"}], "column 'Prompt'", "given twice"),
    ([{"prompt": "a"}, {"prompt": "b", "duration": "six"}], "row 2: duration", "not allowed"),
    ([{"prompt": "a"}, {"prompt": " ", "model": "m"}], "row 2: prompt", "empty"),
    ([{"prompt": "a"}, 7], "row 2", "not a dict"),
    (42, "rows", "not allowed"),
])
def test_refused_input_names_row_or_column(source, field, reason):
    with pytest.raises(ValidationError, match=reason) as info:
        read_rows(source)
    assert info.value.field == field
    assert info.value.allowed and field in str(info.value)


def test_refused_files(tmp_path):
    with pytest.raises(ValidationError, match="no such file"):
        read_rows(tmp_path / "missing.csv")
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("prompt\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(ValidationError, match="UTF-8"):
        read_rows(bad)
    wide = tmp_path / "wide.csv"
    wide.write_text("prompt\na,b\n")
    with pytest.raises(ValidationError, match="row 1"):
        read_rows(wide)


def test_unnamed_spreadsheet_columns_are_dropped(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("prompt,,\na,,\n")
    assert read_rows(path) == [{"row": 1, **dict.fromkeys(COLUMNS), "prompt": "a"}]


def test_results_round_trip(tmp_path):
    rows = read_rows([{"prompt": "a, b", "notes": "x"}, {"prompt": "c", "notes": None}])
    rows[0].update(status="Success", task_id="123", path=tmp_path / "a.mp4", cost_usd=0.28, error=None)
    rows[1].update(status="Fail", task_id=None, error="ContentPolicyError: refused")
    out = write_results_csv(rows, tmp_path / "results.csv")
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header == "row," + ",".join(COLUMNS) + ",notes,status,task_id,path,cost_usd,error"
    again = read_rows(out)  # a results file is valid input: the batch can be re-run on it
    assert [r["row"] for r in again] == [1, 2]
    assert again[0]["prompt"] == "a, b" and again[0]["status"] == "Success"
    assert again[0]["path"] == str(tmp_path / "a.mp4") and again[0]["cost_usd"] == "0.28"
    assert again[1]["error"] == "ContentPolicyError: refused" and again[1]["task_id"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv"]


def test_pandas_is_not_imported_for_other_sources(tmp_path):
    code = ("import sys; from hailuo_nb.film.rows import read_rows; read_rows([{'prompt': 'a'}]); "
            "assert 'pandas' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_dataframe():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"prompt": ["a", "b", "c"], "duration": [6, None, None],
                          "score": [1, 2, 3], "ratio": ["16:9", float("nan"), None]})
    rows = read_rows(frame)
    assert [r["row"] for r in rows] == [1, 2, 3]
    assert rows[0]["duration"] == 6 and rows[0]["ratio"] == "16:9"
    assert rows[1]["duration"] is None and rows[1]["ratio"] is None
    assert rows[0]["score"] == 1 and type(rows[0]["score"]) is int
    with pytest.raises(ValidationError, match="row 3: prompt"):
        read_rows(frame.assign(prompt=["a", "b", None]))
    with pytest.raises(ValidationError, match="typo of 'prompt'"):
        read_rows(frame.rename(columns={"prompt": "Promt"}))
