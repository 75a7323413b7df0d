"""Every fixture batch against fixtures/EXPECTED.md: the row accounting invariant
(input_rows == accepted + rejected + duplicates) and the outcome of every row."""

from __future__ import annotations

import json

import pytest
from conftest import (
    CLEAN,
    MESSY,
    NUMERIC,
    STATE,
    codes_in,
    expected_table,
    expected_totals,
    invoke,
    normalised,
)

import cancelkit
from cancelkit.amazon import flatfile

BATCH_CODES = {"conflicting_reasons", "whole_order_conflict"}

# (input, --sheet, EXPECTED.md totals, CLI exit code)
FIXTURE_RUNS = [
    pytest.param(CLEAN, None, expected_totals("clean-batch.csv (for reference)")[0], 0, id="clean"),
    pytest.param(MESSY, None, expected_totals("messy-batch.csv")[0], 1, id="messy"),
    pytest.param(NUMERIC, None, expected_totals("numeric-items.xlsx")[0], 1, id="xlsx-first"),
    pytest.param(
        NUMERIC, "Cancellations", expected_totals("numeric-items.xlsx")[0], 1, id="xlsx-named"
    ),
    pytest.param(NUMERIC, "Other", expected_totals("numeric-items.xlsx")[1], 1, id="xlsx-other"),
    pytest.param(
        STATE,
        None,
        {"input_rows": 5, "accepted": 5, "rejected": 0, "duplicates": 0},
        0,
        id="state",
    ),
]


@pytest.mark.parametrize(("path", "sheet", "totals", "exit_code"), FIXTURE_RUNS)
def test_row_accounting_invariant_api(path, sheet, totals, exit_code):
    with cancelkit.check(path, sheet=sheet) as result:
        summary = result.summary
        assert {key: summary[key] for key in totals} == totals
        assert summary["input_rows"] == (
            summary["accepted"] + summary["rejected"] + summary["duplicates"]
        )
        records = result.records
        assert len(records) == summary["input_rows"]
        statuses = [r["status"] for r in records]
        assert statuses.count("accepted") == summary["accepted"]
        assert statuses.count("rejected") == summary["rejected"]
        assert statuses.count("duplicate") == summary["duplicates"]
        assert sum(summary["rejected_by_code"].values()) >= summary["rejected"]
        assert result.inputs[0]["rows"] == summary["input_rows"]


@pytest.mark.parametrize(("path", "sheet", "totals", "exit_code"), FIXTURE_RUNS)
def test_row_accounting_invariant_cli(path, sheet, totals, exit_code, workdir):
    args = ["generate", path, "--json", "-", "--out-dir", workdir / "out"]
    if sheet:
        args += ["--sheet", sheet]
    run = invoke(*args)
    assert run.exit_code == exit_code, run.stderr
    document = json.loads(run.stdout)
    summary = document["summary"]
    assert {key: summary[key] for key in totals} == totals
    assert summary["input_rows"] == (
        summary["accepted"] + summary["rejected"] + summary["duplicates"]
    )
    if not summary["accepted"]:  # nothing left to upload: no file, no 0-row batch
        assert document["outputs"]["flat_file"] is None
        assert "nothing was left to upload" in run.stderr
        return
    uploaded = list(flatfile.parse(document["outputs"]["flat_file"]))
    assert len(uploaded) == summary["accepted"]


def _check_rows(records: list[dict], table: list[dict[str, str]]) -> None:
    by_row = {r["row"]: r for r in records}
    assert len(by_row) == len(records), "row numbers must be unique within one input"
    expected_rows = set()
    for expected in table:
        row = int(expected["row"])
        outcome = expected["outcome"].split()[0]
        codes = codes_in(expected["code(s)"])
        if outcome == "skipped":
            assert row not in by_row, f"blank row {row} must be skipped, not counted"
            continue
        expected_rows.add(row)
        record = by_row[row]
        errors = [e["code"] for e in record["errors"]]
        flags = [f["code"] for f in record["flags"]]
        assert record["status"] == outcome, (row, record)
        if outcome == "rejected":
            assert errors, row
            assert codes[0] in errors, (row, errors)
            assert set(errors) <= set(codes), (row, errors)
        else:
            assert errors == [], (row, errors)
            assert ("reason_mapped" in flags) == ("reason_mapped" in codes), (row, flags)
        if outcome == "duplicate":
            assert "duplicate" in flags
            kept = int(expected["outcome"].split()[-1])
            assert by_row[kept]["status"] == "accepted"
        if outcome != "rejected" or set(errors) <= BATCH_CODES:
            assert record["order_id"] == normalised(expected["normalised order-id"]), row
            assert record["reason"] == normalised(expected["reason"]), row
            assert record["amazon_order_item_code"] == normalised(
                expected["amazon-order-item-code"]
            ), row
    assert set(by_row) == expected_rows


def test_messy_batch_rows_match_expected():
    with cancelkit.check(MESSY) as result:
        _check_rows(result.records, expected_table("messy-batch.csv"))


def test_numeric_items_rows_match_expected():
    with cancelkit.check(NUMERIC) as result:
        _check_rows(result.records, expected_table("numeric-items.xlsx"))


def test_numeric_items_other_sheet():
    with cancelkit.check(NUMERIC, sheet="Other") as result:
        (record,) = result.records
        assert (record["row"], record["order_id"], record["reason"]) == (
            2,
            "114-9012736-3385120",
            "BuyerCanceled",
        )
        assert [e["code"] for e in record["errors"]] == ["reason_without_item"]


def test_clean_batch_records_in_file_order(tmp_path):
    table = expected_table("clean-batch.csv (for reference)")
    with cancelkit.check(CLEAN) as result:
        records = result.records
        assert [r["row"] for r in records] == [int(e["row"]) for e in table]
        for record, expected in zip(records, table):
            assert record["status"] == "accepted"
            assert record["errors"] == []
            assert record["order_id"] == expected["order-id"]
            assert record["reason"] == normalised(expected["reason"])
            assert record["amazon_order_item_code"] == normalised(expected["item code"])
        result.write_flat_file(tmp_path / "upload.txt")
    parsed = list(flatfile.parse(tmp_path / "upload.txt"))
    assert [(p.record_number, p.order_id, p.reason, p.amazon_order_item_code) for p in parsed] == [
        (
            int(e["record"]),
            e["order-id"],
            normalised(e["reason"]),
            normalised(e["item code"]),
        )
        for e in table
    ]


def test_state_batch_rows_pass_the_field_rules():
    with cancelkit.check(STATE) as result:
        assert [(r["row"], r["status"], r["errors"]) for r in result.records] == [
            (row, "accepted", []) for row in range(2, 7)
        ]


def test_messy_formula_note_stays_text():
    with cancelkit.check(MESSY) as result:
        row25 = next(r for r in result.records if r["row"] == 25)
        assert row25["note"] == '=HYPERLINK("http://x","click")'
        assert row25["status"] == "accepted"
