"""The Python API: cancelkit.check on paths and on in-memory rows, and the result's figures
and writers."""

from __future__ import annotations

import csv
import hashlib
import json
import tempfile
from pathlib import Path

import openpyxl
import pytest
from conftest import CLEAN, HEADER_ROW, MESSY, NUMERIC, TEMPLATE_ROW, assert_schema_v1

import cancelkit
from cancelkit.amazon import flatfile
from cancelkit.read import scratch

CLEAN_TOTALS = {"input_rows": 12, "accepted": 12, "rejected": 0, "duplicates": 0, "orders": 11}
MESSY_TOTALS = {"input_rows": 23, "accepted": 11, "rejected": 11, "duplicates": 1, "orders": 10}


def _totals(result) -> dict:
    return {key: result.summary[key] for key in CLEAN_TOTALS}


def _key(record: dict) -> tuple:
    return (
        record["order_id"],
        record["reason"],
        record["amazon_order_item_code"],
        record["status"],
    )


@pytest.mark.parametrize("path", [str(CLEAN), CLEAN, [CLEAN], (str(CLEAN),)], ids=type)
def test_check_accepts_a_path_or_a_list_of_paths(path):
    with cancelkit.check(path) as result:
        assert _totals(result) == CLEAN_TOTALS
        assert result.inputs == [
            {
                "path": str(CLEAN),
                "sha256": hashlib.sha256(CLEAN.read_bytes()).hexdigest(),
                "rows": 12,
            }
        ]


def test_check_on_two_paths():
    with cancelkit.check([CLEAN, MESSY]) as result:
        assert [i["path"] for i in result.inputs] == [str(CLEAN), str(MESSY)]
        assert [i["rows"] for i in result.inputs] == [12, 23]
        assert result.summary["input_rows"] == 35
        summary = result.summary
        assert (
            summary["input_rows"]
            == summary["accepted"] + summary["rejected"] + summary["duplicates"]
        )


def test_check_on_a_list_of_dicts_matches_the_file():
    with open(CLEAN, encoding="utf-8", newline="") as stream:
        dicts = [dict(row) for row in csv.DictReader(stream)]
    with cancelkit.check(rows=dicts) as from_rows, cancelkit.check(CLEAN) as from_file:
        assert _totals(from_rows) == CLEAN_TOTALS
        assert [_key(r) for r in from_rows.records] == [_key(r) for r in from_file.records]
        assert [r["row"] for r in from_rows.records] == [r["row"] for r in from_file.records]
        assert {r["source"] for r in from_rows.records} == {"<rows>"}
        assert from_rows.inputs[0]["path"] == "<rows>"


def test_check_on_a_csv_dictreader():
    with open(MESSY, encoding="utf-8-sig", newline="") as stream:
        reader = csv.DictReader(stream, delimiter=";")
        with cancelkit.check(rows=reader) as from_reader:
            records = from_reader.records
            assert _totals(from_reader) == MESSY_TOTALS
    with cancelkit.check(MESSY) as from_file:
        assert [_key(r) for r in records] == [_key(r) for r in from_file.records]
        # the row numbers are those of the file the DictReader read (the blank line 10 too)
        assert [r["row"] for r in records] == [r["row"] for r in from_file.records]


def test_check_on_openpyxl_values_only_rows():
    workbook = openpyxl.load_workbook(NUMERIC, read_only=True)
    try:
        rows = list(workbook["Cancellations"].iter_rows(values_only=True))
    finally:
        workbook.close()
    assert isinstance(rows[1][2], int)  # openpyxl returns the number cell as an int
    with cancelkit.check(rows=rows) as from_rows, cancelkit.check(NUMERIC) as from_file:
        assert (from_rows.summary["accepted"], from_rows.summary["rejected"]) == (8, 1)
        assert [(r["row"], *_key(r)) for r in from_rows.records] == [
            (r["row"], *_key(r)) for r in from_file.records
        ]


def test_check_on_a_generator_of_dicts():
    def rows():
        yield {
            "Order ID": "113-4728391-2038475",
            "Reason": "out of stock",
            "Order Item ID": 62845173920562,
        }
        yield {"Order ID": "112-3348201-5569047", "Reason": None, "Order Item ID": None}

    with cancelkit.check(rows=rows()) as result:
        assert [_key(r) for r in result.records] == [
            ("113-4728391-2038475", "NoInventory", "62845173920562", "accepted"),
            ("112-3348201-5569047", None, None, "accepted"),
        ]


def test_summary_of_the_messy_batch():
    with cancelkit.check(MESSY) as result:
        assert _totals(result) == MESSY_TOTALS
        assert result.accepted == 11 and result.rejected == 11
        assert result.summary["rejected_by_code"] == {
            "conflicting_reasons": 2,
            "whole_order_conflict": 2,
            "item_code_scientific": 1,
            "reason_unknown": 1,
            "reason_without_item": 1,
            "item_without_reason": 1,
            "order_id_format": 1,
            "order_id_missing": 1,
            "non_ascii": 1,
        }


def test_records_are_in_input_order_with_their_source_and_row():
    with cancelkit.check(MESSY) as result:
        records = result.records
        assert [r["row"] for r in records] == [n for n in range(2, 26) if n != 10]
        assert {r["source"] for r in records} == {str(MESSY)}
        assert list(result.iter_records()) == records


def test_records_not_kept():
    with cancelkit.check(CLEAN, keep_records=False) as result:
        assert result.summary["accepted"] == 12
        with pytest.raises(RuntimeError, match="keep_records=False"):
            next(result.iter_records())


def test_writers(tmp_path):
    with cancelkit.check(MESSY) as result:
        flat = result.write_flat_file(tmp_path / "out" / "upload.txt")
        rejects = result.write_rejects(tmp_path / "out" / "rejects.csv")
        text = result.to_json(tmp_path / "out" / "report.json")
        assert result.outputs["flat_file"] == str(tmp_path / "out" / "upload.txt")
        assert result.outputs["rejects"] == str(tmp_path / "out" / "rejects.csv")
    assert isinstance(flat, Path) and flat.read_bytes().startswith(TEMPLATE_ROW + HEADER_ROW)
    assert len(list(flatfile.parse(flat))) == 11
    assert rejects.read_bytes().startswith(b"\xef\xbb\xbf")
    assert (tmp_path / "out" / "report.json").read_text(encoding="utf-8") == text
    document = json.loads(text)
    assert_schema_v1(document)
    assert document["summary"]["input_rows"] == 23
    assert len(document["records"]) == 23
    assert document["outputs"]["flat_file"] == str(tmp_path / "out" / "upload.txt")


def test_to_json_without_a_path_and_its_records():
    with cancelkit.check(MESSY) as result:
        document = json.loads(result.to_json())
    assert_schema_v1(document)
    assert document["inputs"][0]["path"] == str(MESSY)
    row4 = next(r for r in document["records"] if r["row"] == 4)
    assert row4["status"] == "rejected"
    assert row4["errors"][0]["code"] == "item_code_scientific"
    assert row4["errors"][0]["column"] == "Order Item ID"
    assert row4["errors"][0]["value"] == "6.28452E+13"
    row5 = next(r for r in document["records"] if r["row"] == 5)
    assert (row5["order_id"], row5["reason"], row5["amazon_order_item_code"]) == (
        "113-4728391-2038475",
        "NoInventory",
        "62845173920562",
    )
    assert {
        "code": "reason_mapped",
        "message": "reason 'out of stock' was read as NoInventory",
    } in (row5["flags"])
    # metrics may be null in this issue, but their keys are there
    assert document["metrics"]["marketplace"] == "US"
    assert document["metrics"]["threshold"] == 0.025


def test_to_json_and_writers_do_not_overwrite_without_force(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("{}")
    with cancelkit.check(CLEAN) as result:
        with pytest.raises(cancelkit.OutputError, match="already exists"):
            result.to_json(target)
        with pytest.raises(cancelkit.OutputError, match="already exists"):
            result.write_rejects(target)
        assert target.read_text() == "{}"
        result.to_json(target, force=True)
    assert json.loads(target.read_text())["schema_version"] == 1


def test_result_close_removes_its_temporary_files(tmp_path, monkeypatch):
    temp = tmp_path / "tmp"  # the test's own temporary folder: other runs use the real one
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    result = cancelkit.check(CLEAN)
    (workdir,) = temp.iterdir()
    assert workdir.is_dir() and workdir.name.startswith(scratch.RUN_PREFIX)
    result.close()
    assert list(temp.iterdir()) == []


def test_unusable_input_raises_the_project_exception(tmp_path):
    with pytest.raises(cancelkit.InputError, match="no such file"):
        cancelkit.check(tmp_path / "missing.csv")
    assert issubclass(cancelkit.InputError, cancelkit.CancelkitError)
    assert issubclass(cancelkit.OutputError, cancelkit.CancelkitError)
