"""Batch rules: duplicates after normalisation, conflicting reasons for one item, whole-order
rows together with item rows; within one input and across two input files."""

from __future__ import annotations

import csv

from conftest import MESSY

import cancelkit
from cancelkit.amazon import flatfile

HEADER = ("order-id", "cancellation-reason-code", "amazon-order-item-code", "sku")
A = "113-4728391-2038475"
B = "114-2093847-5610293"
ITEM_A1, ITEM_A2, ITEM_B1 = "62845173920562", "62845173920563", "62845173920571"


def _run(*rows, **options):
    result = cancelkit.check(rows=[HEADER, *rows], **options)
    records = result.records
    return result, {r["row"]: r for r in records}


def _codes(record: dict) -> list[str]:
    return [e["code"] for e in record["errors"]]


def _write_csv(path, rows) -> str:
    with open(path, "w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows([HEADER, *rows])
    return str(path)


def _uploaded(result, tmp_path) -> list[tuple]:
    path = result.write_flat_file(tmp_path / "upload.txt", force=True)
    return [(p.order_id, p.reason, p.amazon_order_item_code) for p in flatfile.parse(path)]


# -- duplicates ----------------------------------------------------------------------------


def test_identical_rows_keep_the_first(tmp_path):
    result, rows = _run(
        (A, "NoInventory", ITEM_A1, "MUG"),
        (B, "NoInventory", ITEM_B1, "MUG"),
        (A, "NoInventory", ITEM_A1, "MUG"),
        (A, "NoInventory", ITEM_A1, "MUG"),
    )
    with result:
        assert [rows[n]["status"] for n in (2, 3, 4, 5)] == [
            "accepted",
            "accepted",
            "duplicate",
            "duplicate",
        ]
        for n in (4, 5):
            assert {"code": "duplicate", "message": "repeats <rows> row 2"} in rows[n]["flags"]
            assert rows[n]["errors"] == []
        summary = result.summary
        assert (summary["accepted"], summary["duplicates"], summary["rejected"]) == (2, 2, 0)
        assert summary["orders"] == 2
        assert _uploaded(result, tmp_path) == [
            (A, "NoInventory", ITEM_A1),
            (B, "NoInventory", ITEM_B1),
        ]


def test_rows_identical_after_normalisation_are_duplicates(tmp_path):
    result, rows = _run(
        (A, "NoInventory", ITEM_A1, "MUG"),
        (f"\u00a0{A} ", "out of stock", f"{ITEM_A1}.0", "MUG  "),
        (A.replace("-", "\u2013"), "no_inventory", f" {ITEM_A1}", "other sku"),
    )
    with result:
        assert [rows[n]["status"] for n in (2, 3, 4)] == ["accepted", "duplicate", "duplicate"]
        assert _uploaded(result, tmp_path) == [(A, "NoInventory", ITEM_A1)]


def test_whole_order_rows_repeated_are_duplicates():
    result, rows = _run((A, "", "", ""), (A, " ", " ", "again"))
    with result:
        assert (rows[2]["status"], rows[3]["status"]) == ("accepted", "duplicate")
        assert result.summary["duplicates"] == 1


def test_different_items_of_one_order_are_kept_and_count_as_one_order(tmp_path):
    result, rows = _run((A, "NoInventory", ITEM_A1, ""), (A, "BuyerCanceled", ITEM_A2, ""))
    with result:
        assert [r["status"] for r in rows.values()] == ["accepted", "accepted"]
        assert (result.summary["accepted"], result.summary["orders"]) == (2, 1)
        assert len(_uploaded(result, tmp_path)) == 2


def test_messy_batch_duplicate_is_row_20_of_row_19():
    with cancelkit.check(MESSY) as result:
        row20 = next(r for r in result.records if r["row"] == 20)
    assert row20["status"] == "duplicate"
    assert {"code": "duplicate", "message": f"repeats {MESSY} row 19"} in row20["flags"]


# -- conflicting reasons ---------------------------------------------------------------------


def test_same_item_with_different_reasons_rejects_all_of_them(tmp_path):
    result, rows = _run(
        (A, "NoInventory", ITEM_A1, ""),
        (B, "NoInventory", ITEM_B1, ""),
        (A, "GeneralAdjustment", ITEM_A1, ""),
    )
    with result:
        message = (
            "the same order item has different reasons: NoInventory (<rows> row 2), "
            "GeneralAdjustment (<rows> row 4); choose one"
        )
        for n in (2, 4):
            assert rows[n]["status"] == "rejected"
            assert rows[n]["errors"] == [
                {
                    "code": "conflicting_reasons",
                    "column": "order-id",
                    "value": A,
                    "message": message,
                }
            ]
        assert rows[3]["status"] == "accepted"
        assert result.summary["rejected_by_code"] == {"conflicting_reasons": 2}
        assert (result.summary["accepted"], result.summary["rejected"]) == (1, 2)
        assert _uploaded(result, tmp_path) == [(B, "NoInventory", ITEM_B1)]


def test_conflict_also_rejects_the_duplicates_of_either_reason():
    result, rows = _run(
        (A, "NoInventory", ITEM_A1, ""),
        (A, "NoInventory", ITEM_A1, ""),
        (A, "buyer cancelled", ITEM_A1, ""),
    )
    with result:
        assert [_codes(rows[n]) for n in (2, 3, 4)] == [["conflicting_reasons"]] * 3
        assert result.summary["duplicates"] == 0
        assert result.summary["input_rows"] == 3 == result.summary["rejected"]


def test_same_reason_after_normalisation_is_no_conflict():
    result, rows = _run((A, "NoInventory", ITEM_A1, ""), (A, "out of stock", ITEM_A1, ""))
    with result:
        assert (rows[2]["status"], rows[3]["status"]) == ("accepted", "duplicate")


# -- whole order together with item rows -----------------------------------------------------


def test_whole_order_and_item_rows_reject_all_rows_of_the_order(tmp_path):
    result, rows = _run(
        (A, "NoInventory", ITEM_A1, ""),
        (A, "", "", ""),
        (B, "", "", ""),
        (A, "NoInventory", ITEM_A2, ""),
    )
    with result:
        message = (
            "the order is cancelled both as a whole and item by item in this batch (<rows> "
            "row 2, <rows> row 3, <rows> row 5); keep either the whole-order row or the item rows"
        )
        for n in (2, 3, 5):
            assert rows[n]["status"] == "rejected"
            assert rows[n]["errors"] == [
                {
                    "code": "whole_order_conflict",
                    "column": "order-id",
                    "value": A,
                    "message": message,
                }
            ]
        assert rows[4]["status"] == "accepted"
        assert result.summary["rejected_by_code"] == {"whole_order_conflict": 3}
        assert result.summary["orders"] == 1
        assert _uploaded(result, tmp_path) == [(B, None, None)]


def test_messy_batch_conflicts():
    with cancelkit.check(MESSY) as result:
        rows = {r["row"]: r for r in result.records}
        assert [_codes(rows[n]) for n in (21, 22)] == [["conflicting_reasons"]] * 2
        assert [_codes(rows[n]) for n in (23, 24)] == [["whole_order_conflict"]] * 2
        assert f"NoInventory ({MESSY} row 21)" in rows[21]["errors"][0]["message"]
        assert f"GeneralAdjustment ({MESSY} row 22)" in rows[21]["errors"][0]["message"]
        assert f"({MESSY} row 23, {MESSY} row 24)" in rows[24]["errors"][0]["message"]
        assert result.summary["rejected_by_code"]["conflicting_reasons"] == 2
        assert result.summary["rejected_by_code"]["whole_order_conflict"] == 2


# -- across two input files ---------------------------------------------------------------------


def test_duplicate_across_two_files_keeps_the_first_file(tmp_path):
    first = _write_csv(tmp_path / "monday.csv", [(A, "NoInventory", ITEM_A1, "MUG")])
    second = _write_csv(
        tmp_path / "tuesday.csv",
        [(B, "NoInventory", ITEM_B1, "MUG"), (f" {A} ", "noinventory", ITEM_A1, "MUG")],
    )
    with cancelkit.check([first, second]) as result:
        records = result.records
        assert [(r["source"], r["row"], r["status"]) for r in records] == [
            (first, 2, "accepted"),
            (second, 2, "accepted"),
            (second, 3, "duplicate"),
        ]
        assert {"code": "duplicate", "message": f"repeats {first} row 2"} in records[2]["flags"]
        assert [i["rows"] for i in result.inputs] == [1, 2]
        summary = result.summary
        assert summary["input_rows"] == 3 == summary["accepted"] + summary["duplicates"]
        assert _uploaded(result, tmp_path) == [
            (A, "NoInventory", ITEM_A1),
            (B, "NoInventory", ITEM_B1),
        ]


def test_conflicting_reasons_across_two_files(tmp_path):
    first = _write_csv(tmp_path / "a.csv", [(A, "NoInventory", ITEM_A1, "")])
    second = _write_csv(tmp_path / "b.csv", [(A, "CustomerExchange", ITEM_A1, "")])
    with cancelkit.check([first, second]) as result:
        records = result.records
        assert [(r["source"], r["status"], _codes(r)) for r in records] == [
            (first, "rejected", ["conflicting_reasons"]),
            (second, "rejected", ["conflicting_reasons"]),
        ]
        assert records[0]["errors"][0]["message"] == (
            f"the same order item has different reasons: NoInventory ({first} row 2), "
            f"CustomerExchange ({second} row 2); choose one"
        )
        assert result.summary["accepted"] == 0
        rejects = result.write_rejects(tmp_path / "rejects.csv")
    with open(rejects, encoding="utf-8-sig", newline="") as stream:
        written = list(csv.DictReader(stream))
    assert [
        (r["cancelkit-source"], r["cancelkit-row"], r["cancellation-reason-code"]) for r in written
    ] == [
        (first, "2", "NoInventory"),
        (second, "2", "CustomerExchange"),
    ]


def test_whole_order_conflict_across_two_files(tmp_path):
    first = _write_csv(tmp_path / "a.csv", [(A, "", "", "whole")])
    second = _write_csv(tmp_path / "b.csv", [(B, "", "", ""), (A, "NoInventory", ITEM_A1, "")])
    with cancelkit.check([first, second]) as result:
        statuses = {(r["source"], r["row"]): (r["status"], _codes(r)) for r in result.records}
    assert statuses == {
        (first, 2): ("rejected", ["whole_order_conflict"]),
        (second, 2): ("accepted", []),
        (second, 3): ("rejected", ["whole_order_conflict"]),
    }


def test_two_files_and_rows_together(tmp_path):
    first = _write_csv(tmp_path / "a.csv", [(A, "NoInventory", ITEM_A1, "")])
    with cancelkit.check(first, rows=[HEADER, (A, "NoInventory", ITEM_A1, "")]) as result:
        assert [(r["source"], r["status"]) for r in result.records] == [
            (first, "accepted"),
            ("<rows>", "duplicate"),
        ]


def test_rejected_rows_take_no_part_in_the_batch_rules():
    """A row rejected by a row rule is not a duplicate nor a conflict of a valid row."""
    result, rows = _run(
        (A, "NoInventory", ITEM_A1, ""),
        (A, "NoInventory", "6.28452E+13", ""),
        (A, "lost", ITEM_A1, ""),
    )
    with result:
        assert rows[2]["status"] == "accepted"
        assert _codes(rows[3]) == ["item_code_scientific"]
        assert _codes(rows[4]) == ["reason_unknown"]


# -- columns kept with the record feed the batch-level listing check ----------------------------


def test_messy_batch_listing_at_risk_despite_stray_spaces():
    with cancelkit.check(MESSY) as result:
        assert result.listing_risks == [
            {
                "sku": "MUG-BLUE-12OZ",
                "seller_cancellations_30d": 2,
                "order_ids": ["111-5820394-7716203", "113-4728391-2038475"],
            }
        ]


def test_listing_at_risk_with_stray_spaces_on_canonical_rows():
    result, _ = _run((A, "NoInventory", ITEM_A1, "MUG "), (B, "NoInventory", ITEM_B1, "MUG"))
    with result:
        assert [(r["sku"], r["seller_cancellations_30d"]) for r in result.listing_risks] == [
            ("MUG", 2)
        ]
