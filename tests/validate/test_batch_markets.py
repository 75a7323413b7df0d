"""The batch rule of marketplaces: an Amazon order belongs to one marketplace, so rows of one
order that name different marketplaces are all rejected (`marketplace_conflict`)."""

from __future__ import annotations

import cancelkit

HEADER = ["order-id", "cancellation-reason-code", "amazon-order-item-code", "sales-channel"]


def _check(rows):
    return cancelkit.check(rows=[HEADER, *rows], orders_in_window={"DE": 100}, no_ledger=True)


def test_items_of_one_order_on_adjacent_rows_naming_two_marketplaces_are_rejected():
    rows = [
        ["302-1111111-0000001", "NoInventory", "50000000000001", "Amazon.de"],
        ["302-1111111-0000001", "NoInventory", "50000000000002", "Amazon.fr"],
        ["302-1111111-0000003", "NoInventory", "50000000000003", "Amazon.de"],
    ]
    with _check(rows) as result:
        summary = result.summary
        assert (summary["accepted"], summary["rejected"], summary["orders"]) == (1, 2, 1)
        assert summary["rejected_by_code"] == {"marketplace_conflict": 2}
        assert summary["counting_orders"] == 1
        records = result.records
        assert [r["status"] for r in records] == ["rejected", "rejected", "accepted"]
        error = records[0]["errors"][0]
        assert error["code"] == "marketplace_conflict"
        assert error["column"] == "order-id" and error["value"] == "302-1111111-0000001"
        assert "DE (<rows> row 2), FR (<rows> row 3)" in error["message"]
        # the only kept row is DE's: a batch of one marketplace again
        assert result.metrics["marketplace"] == "DE" and result.metrics_by_marketplace is None


def test_rows_of_one_order_far_apart_naming_two_marketplaces_are_rejected():
    rows = [
        ["302-1111111-0000001", "NoInventory", "50000000000001", "DE"],
        ["171-1111111-0000002", "NoInventory", "50000000000002", "FR"],
        ["302-1111111-0000001", "NoInventory", "50000000000009", "FR"],
    ]
    with _check(rows) as result:
        assert result.summary["rejected_by_code"] == {"marketplace_conflict": 2}
        assert [r["status"] for r in result.records] == ["rejected", "accepted", "rejected"]


def test_items_of_one_order_of_one_marketplace_stay_one_order():
    rows = [
        ["302-1111111-0000001", "NoInventory", "50000000000001", "DE"],
        ["171-1111111-0000002", "NoInventory", "50000000000002", "FR"],
        ["302-1111111-0000001", "NoInventory", "50000000000009", "Amazon.de"],
        ["302-1111111-0000001", "NoInventory", "50000000000010", "A1PA6795UKMFR9"],
    ]
    with _check(rows) as result:
        assert result.summary["rejected"] == 0
        rows_by_market = {m["marketplace"]: m for m in result.market_rows()}
        assert (rows_by_market["DE"]["accepted"], rows_by_market["DE"]["orders"]) == (3, 1)
        assert rows_by_market["DE"]["counting_orders"] == 1


def test_identical_rows_naming_two_marketplaces_are_rejected_not_duplicates():
    # the same row again and again takes a shortcut to duplicates: not across marketplaces
    rows = [
        ["302-1111111-0000001", "NoInventory", "50000000000001", "DE"],
        ["302-1111111-0000001", "NoInventory", "50000000000001", "FR"],
        ["302-1111111-0000001", "NoInventory", "50000000000001", "DE"],
    ]
    with _check(rows) as result:
        assert result.summary["rejected_by_code"] == {"marketplace_conflict": 3}
        assert result.summary["duplicates"] == 0
