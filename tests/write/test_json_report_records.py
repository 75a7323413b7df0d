"""The JSON report's records as they are made (orjson text in the spool, issue 21): schema 1
unchanged, patched records finished, and the JSON Lines report (`--jsonl`): the summary
line first, then one record a line, through the CLI and the API."""

from __future__ import annotations

import json

import cancelkit
from cancelkit.assess import budget
from tests.conftest import invoke, run_cli

ROWS = (
    "order-id,cancellation-reason-code,amazon-order-item-code,sku\r\n"
    "113-4728391-2038475,NoInventory,62845173920562,MUG\r\n"
    "113-4728391-2038475,NoInventory,62845173920562,MUG\r\n"  # a duplicate
    "114-4728391-2038476,BuyerCanceled,62845173920563,\r\n"
    "bad-id,NoInventory,62845173920564,CUP\r\n"  # rejected
    "115-4728391-2038477,NoInventory,62845173920565,caf\u00e9 \u2615\r\n"
)


def _batch(tmp_path):
    path = tmp_path / "batch.csv"
    path.write_text(ROWS, encoding="utf-8")
    return path


def test_json_records_keep_schema_1_and_every_status(tmp_path):
    source = _batch(tmp_path)
    run = invoke("check", source, "--no-ledger", "--json", tmp_path / "r.json")
    assert run.exit_code == 1, run.output  # a row rejected
    document = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert document["schema_version"] == 1
    records = document["records"]
    assert [r["row"] for r in records] == [2, 3, 4, 5, 6]
    assert [r["status"] for r in records] == [
        "accepted",
        "duplicate",
        "accepted",
        "rejected",
        "accepted",
    ]
    assert records[1]["counts_against_rate"] is None and records[1]["risk"] is None
    assert records[1]["flags"][-1]["code"] == "duplicate"
    assert records[4]["sku"] == "caf\u00e9 \u2615"
    assert "seq" not in records[0] and "values" not in records[3]
    assert records[3]["errors"][0]["column"] == "order-id"


def test_jsonl_is_the_summary_then_one_record_a_line(tmp_path):
    source = _batch(tmp_path)
    run = run_cli(
        "generate",
        source,
        "--no-ledger",
        "--out-dir",
        tmp_path / "out",
        "--json",
        tmp_path / "r.json",
        "--jsonl",
        tmp_path / "r.jsonl",
        cwd=tmp_path,
    )
    assert run.exit_code == 1, run.stderr
    lines = (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()
    head, records = json.loads(lines[0]), [json.loads(line) for line in lines[1:]]
    document = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert "records" not in head and head["schema_version"] == 1
    assert head["summary"] == document["summary"]
    assert records == document["records"]
    assert len(lines) == 6


def test_jsonl_to_stdout_and_not_both_to_stdout(tmp_path):
    source = _batch(tmp_path)
    run = invoke("check", source, "--no-ledger", "--jsonl", "-")
    lines = run.stdout.splitlines()
    assert json.loads(lines[0])["summary"]["rejected"] == 1
    assert [json.loads(line)["row"] for line in lines[1:]] == [2, 3, 4, 5, 6]
    run = invoke("check", source, "--no-ledger", "--jsonl", "-", "--json", "-")
    assert run.exit_code == 2 and "both write to stdout" in run.stderr


def test_api_write_jsonl_and_records_agree(tmp_path):
    source = _batch(tmp_path)
    with cancelkit.check([str(source)], keep_records=True, ledger=None) as result:
        result.write_jsonl_file(tmp_path / "api.jsonl")
        records = result.records
    lines = (tmp_path / "api.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines[1:]] == records
    assert records[1]["status"] == "duplicate"


def test_repeated_rows_keep_their_own_row_numbers(tmp_path):
    """Rows past the report's first 500 flagged ones that repeat the row before reuse its
    JSON text with their own row number: the same records as made one by one."""
    line = '113-4728391-2038475,NoInventory,62845173920562,"M""UG,""row"":7,"\r\n'
    other = "114-4728391-2038476,BuyerCanceled,62845173920563,POT\r\n"
    text = "order-id,cancellation-reason-code,amazon-order-item-code,sku\r\n"
    text += line * 700 + other * 3 + line * 2
    source = tmp_path / "same.csv"
    source.write_text(text, encoding="utf-8")
    with cancelkit.check([str(source)], keep_records=True, ledger=None) as result:
        records = result.records
        result.write_json_file(tmp_path / "r.json")
    assert [r["row"] for r in records] == list(range(2, 707))
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["records"] == records
    assert {r["sku"] for r in records[:700] + records[703:]} == {'M"UG,"row":7,'}
    statuses = [r["status"] for r in records]
    assert statuses == ["accepted"] + ["duplicate"] * 699 + ["accepted"] + ["duplicate"] * 4
    # a duplicate is its first row's record with the duplicate's row, status and flag
    first = records[0]
    for record in records[1:700] + records[703:]:
        assert record["flags"][:-1] == first["flags"]
        assert record["flags"][-1]["code"] == "duplicate"
        same = {k: v for k, v in record.items() if k not in ("row", "status", "flags")}
        assert same == dict(
            {k: v for k, v in first.items() if k not in ("row", "status", "flags")},
            counts_against_rate=None,
            risk=None,
        )


def test_repeated_rows_around_a_row_read_the_slow_way(tmp_path):
    """A rejected row between two runs of the same cells is spooled whole: the rows after
    it that repeat the cells before it are not written from its text, and the plan (made
    from the unpatched records only) is the plan of every record."""
    line = "113-4728391-2038475,NoInventory,62845173920562,MUG\r\n"
    text = "order-id,cancellation-reason-code,amazon-order-item-code,sku\r\n"
    text += line * 600 + "bad-id,NoInventory,62845173920564,CUP\r\n" + line * 3
    text += "114-4728391-2038476,BuyerCanceled,62845173920563,POT\r\n"
    source = tmp_path / "around.csv"
    source.write_text(text, encoding="utf-8")
    with cancelkit.check([str(source)], keep_records=True, ledger=None) as result:
        records = result.records
        result.write_json_file(tmp_path / "r.json")
        result.write_jsonl_file(tmp_path / "r.jsonl")
        plan = result.plan()
        every = budget.make_plan(records, result.budget, "US", result.earlier_listings)
    assert [r["row"] for r in records] == list(range(2, 607))
    assert [r["status"] for r in records[599:]] == [
        "duplicate",
        "rejected",
        "duplicate",
        "duplicate",
        "duplicate",
        "accepted",
    ]
    assert {r["order_id"] for r in records[601:604]} == {"113-4728391-2038475"}
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["records"] == records
    lines = (tmp_path / "r.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines[1:]] == records
    assert {k: v for k, v in plan.items() if k not in ("complete", "other_rows_send")} == every
