"""The order's state from an order report speaks before SKU or item resolution: a shipped,
Amazon-fulfilled or cancelled order is rejected as such, never as item_code_not_in_report."""

from __future__ import annotations

from pathlib import Path

import pytest

import cancelkit

ORDER = "113-4728391-2038475"
ITEM = "62845173920562"


def all_orders_report(
    path: Path, status: str, channel: str, updated: str = "2026-11-30T10:00:00+00:00"
) -> Path:
    # Amazon's all-orders report: order-status and fulfillment-channel, no order-item-id
    header = [
        "amazon-order-id",
        "purchase-date",
        "last-updated-date",
        "order-status",
        "fulfillment-channel",
        "sku",
    ]
    line = [ORDER, "2026-11-30T10:00:00+00:00", updated, status, channel, "MUG-BLUE"]
    path.write_text("\t".join(header) + "\n" + "\t".join(line) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "status, channel, code, column",
    [
        ("Shipped", "Merchant", "order_shipped", "order-status (order report)"),
        (
            "Shipped - Delivered to Buyer",
            "Merchant",
            "order_shipped",
            "order-status (order report)",
        ),
        ("Cancelled", "Merchant", "order_already_cancelled", "order-status (order report)"),
        (
            "Pending - Waiting for Pick Up",
            "Merchant",
            "order_pending",
            "order-status (order report)",
        ),
        ("Unshipped", "Amazon", "order_fba", "fulfillment-channel (order report)"),
    ],
)
def test_state_wins_over_sku_resolution(tmp_path, status, channel, code, column):
    report = all_orders_report(tmp_path / "orders.txt", status, channel)
    result = cancelkit.check(
        rows=[{"order-id": ORDER, "reason": "NoInventory", "sku": "MUG-BLUE"}],
        orders_reports=[report],
        no_ledger=True,
    )
    (record,) = result.records
    assert record["status"] == "rejected"
    assert [e["code"] for e in record["errors"]] == [code]
    assert record["errors"][0]["column"] == column
    assert record["errors"][0]["value"] in (status, channel)


def test_unshipped_merchant_order_still_asks_for_the_item_code(tmp_path):
    report = all_orders_report(tmp_path / "orders.txt", "Unshipped", "Merchant")
    result = cancelkit.check(
        rows=[{"order-id": ORDER, "reason": "NoInventory", "sku": "MUG-BLUE"}],
        orders_reports=[report],
        no_ledger=True,
    )
    (record,) = result.records
    assert [e["code"] for e in record["errors"]] == ["item_code_not_in_report"]


def test_state_wins_over_item_not_in_order(tmp_path):
    path = tmp_path / "unshipped.txt"
    path.write_text(
        "order-id\torder-item-id\tsku\torder-status\n"
        f"{ORDER}\t{ITEM}\tMUG-BLUE\tShipped - Out for Delivery\n",
        encoding="utf-8",
    )
    result = cancelkit.check(
        rows=[{"order-id": ORDER, "reason": "NoInventory", "order-item-id": "99999999999999"}],
        orders_reports=[path],
        no_ledger=True,
    )
    (record,) = result.records
    assert [e["code"] for e in record["errors"]] == ["order_shipped"]


def test_row_status_checked_before_sku_lookup(tmp_path):
    report = all_orders_report(tmp_path / "orders.txt", "", "")
    result = cancelkit.check(
        rows=[
            {
                "order-id": ORDER,
                "reason": "NoInventory",
                "sku": "MUG-BLUE",
                "order-status": "Shipped",
            }
        ],
        orders_reports=[report],
        no_ledger=True,
    )
    (record,) = result.records
    assert [e["code"] for e in record["errors"]] == ["order_shipped"]
    assert record["errors"][0]["column"] == "order-status"


@pytest.mark.parametrize("order", [("old", "new"), ("new", "old")])
def test_of_two_reports_the_newer_wins_whatever_their_order(tmp_path, order):
    old = all_orders_report(tmp_path / "old.txt", "Unshipped", "Merchant")
    new = all_orders_report(
        tmp_path / "new.txt", "Shipped - Out for Delivery", "Merchant", "2026-12-01T09:00:00Z"
    )
    paths = {"old": old, "new": new}
    result = cancelkit.check(
        rows=[{"order-id": ORDER, "reason": "NoInventory", "order-item-id": ITEM}],
        orders_reports=[paths[name] for name in order],
        no_ledger=True,
    )
    (record,) = result.records
    assert [e["code"] for e in record["errors"]] == ["order_shipped"]
