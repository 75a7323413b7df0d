"""Duplicates without a Patch object a row, and the JSON report streamed a record at a time:
the same answers as before, in memory that does not grow with the repeated rows."""

from __future__ import annotations

import io
import json

from conftest import MESSY, assert_schema_v1, invoke

import cancelkit
from cancelkit.write import spool

ROW = {"order-id": "113-4728391-2038475", "reason": "NoInventory", "item": "62845173920562"}


def _rows(count: int) -> list[dict]:
    rows = [
        {
            "order-id": ROW["order-id"],
            "cancellation-reason-code": ROW["reason"],
            "amazon-order-item-code": ROW["item"],
            "sku": "MUG",
        }
        for _ in range(count)
    ]
    # a conflict and a whole-order conflict among them, and a repeated whole-order row
    rows.append(
        {
            "order-id": "114-0000001-0000001",
            "cancellation-reason-code": "NoInventory",
            "amazon-order-item-code": "10000000000001",
        }
    )
    rows.append(
        {
            "order-id": "114-0000001-0000001",
            "cancellation-reason-code": "BuyerCanceled",
            "amazon-order-item-code": "10000000000001",
        }
    )
    rows += [{"order-id": "115-0000001-0000001"}, {"order-id": "115-0000001-0000001"}]
    rows += [
        {"order-id": "116-0000001-0000001"},
        {
            "order-id": "116-0000001-0000001",
            "cancellation-reason-code": "NoInventory",
            "amazon-order-item-code": "10000000000002",
        },
    ]
    return rows


def test_many_identical_rows_are_one_accepted_row_and_duplicates(tmp_path):
    with cancelkit.check(rows=_rows(3000)) as result:
        summary = result.summary
        assert summary["input_rows"] == 3006
        assert summary["duplicates"] == 2999 + 1
        assert summary["accepted"] == 1 + 1
        assert summary["rejected_by_code"] == {"conflicting_reasons": 2, "whole_order_conflict": 2}
        assert summary["orders"] == 2
        records = result.records
        assert records[0]["status"] == "accepted"
        assert {r["status"] for r in records[1:3000]} == {"duplicate"}
        assert records[2999]["flags"][-1] == {
            "code": "duplicate",
            "message": "repeats <rows> row 2",
        }
        assert records[3003]["flags"][-1]["message"] == "repeats <rows> row 3004"
        flat = result.write_flat_file(tmp_path / "upload.txt")
    lines = flat.read_text(encoding="ascii").splitlines()
    assert lines[2:] == [
        "113-4728391-2038475\tNoInventory\t62845173920562",
        "115-0000001-0000001\t\t",
    ]


def test_the_streamed_json_is_the_document(tmp_path):
    with cancelkit.check(MESSY) as result:
        out = io.StringIO()
        result.write_json(out)
        text = out.getvalue()
        document = json.loads(text)
        assert document == result.json_document()
        assert_schema_v1(document)
        assert len(document["records"]) == 23
        assert result.to_json() == text
        written = result.write_json_file(tmp_path / "r.json")
        assert written.read_text(encoding="utf-8") == text
    without = cancelkit.check(MESSY, keep_records=False)
    out = io.StringIO()
    without.write_json(out)
    assert json.loads(out.getvalue())["records"] == []
    without.close()


def test_json_to_stdout_is_streamed_too(tmp_path):
    outcome = invoke("check", str(MESSY), "--json", "-")
    document = json.loads(outcome.stdout)
    assert len(document["records"]) == 23


def test_a_spool_gives_its_pages_back_as_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(spool, "RELEASE_BYTES", 4096)
    path = tmp_path / "s.bin"
    values = [{"n": n, "text": "x" * (n % 300)} for n in range(5000)]
    with open(path, "wb") as stream:
        for value in values:
            spool.append(stream, value)
    assert list(spool.read(str(path))) == values


def test_identical_rows_apart_and_many_repeated_orders():
    def row(order, item):
        return {
            "order-id": order,
            "cancellation-reason-code": "NoInventory",
            "amazon-order-item-code": item,
        }

    a, b = row("111-0000001-0000001", "10000000000001"), row("112-0000001-0000001", "2" * 14)
    with cancelkit.check(rows=[a, b, a, b, a]) as result:  # apart: no slice of rows
        assert [r["status"] for r in result.records] == ["accepted", "accepted"] + ["duplicate"] * 3
        assert result.records[4]["flags"][-1]["message"] == "repeats <rows> row 2"
    # more repeated orders than are grouped a pass each: the general grouping
    many = [row(f"1{n:02d}-0000001-0000001", "10000000000001") for n in range(10)]
    with cancelkit.check(rows=many + many[::-1]) as result:
        assert result.summary["duplicates"] == 10 and result.summary["orders"] == 10
        assert result.records[10]["flags"][-1]["message"] == "repeats <rows> row 11"


def test_one_repeated_order_in_a_run_or_apart():
    def row(order):
        return {
            "order-id": order,
            "cancellation-reason-code": "NoInventory",
            "amazon-order-item-code": "10000000000001",
        }

    a, b = row("111-0000001-0000001"), row("112-0000001-0000001")
    for rows, statuses in (
        ([a, a, a], ["accepted", "duplicate", "duplicate"]),  # a run: one slice
        ([a, b, a], ["accepted", "accepted", "duplicate"]),  # apart
    ):
        with cancelkit.check(rows=rows) as result:
            assert [r["status"] for r in result.records] == statuses
            assert result.records[2]["flags"][-1]["message"] == "repeats <rows> row 2"
            assert result.summary["orders"] == len({r["order-id"] for r in rows})
