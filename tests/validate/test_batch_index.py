"""The compact batch index: further items of an order on consecutive rows are one order,
and every duplicate or conflict is still found wherever its partner stands."""

from __future__ import annotations

import cancelkit

A, B, C = "113-4728391-2038475", "114-2093847-5610293", "111-8837261-4402918"
I1, I2, I3 = "62845173920562", "62845173920571", "31947205836174"


def check(*rows):
    header = ("order-id", "cancellation-reason-code", "amazon-order-item-code", "buyer-requested")
    table = [header, *[(*row, *([""] * (4 - len(row)))) for row in rows]]
    result = cancelkit.check(rows=table, orders_in_window=1000)
    return result, [r["status"] for r in result.records]


def test_items_of_one_order_on_consecutive_rows_are_one_order():
    result, statuses = check(
        (A, "NoInventory", I1), (A, "NoInventory", I2), (A, "NoInventory", I3), (B, "", "")
    )
    assert statuses == ["accepted"] * 4
    assert result.summary["orders"] == 2
    assert result.summary["counting_orders"] == 2
    assert result.metrics["rate_after"] == 0.002


def test_a_standard_item_and_a_counting_item_make_one_counting_order():
    result, _ = check(
        (A, "BuyerCanceled", I1, "true"), (A, "NoInventory", I2), (A, "NoInventory", I3)
    )
    assert result.summary["orders"] == 1
    assert result.summary["counting_orders"] == 1
    assert result.summary["counts_against_rate"] == 2


def test_consecutive_duplicate_and_conflicts_are_found():
    _, statuses = check((A, "NoInventory", I1), (A, "NoInventory", I1))
    assert statuses == ["accepted", "duplicate"]
    _, statuses = check((A, "NoInventory", I1), (A, "GeneralAdjustment", I1))
    assert statuses == ["rejected", "rejected"]
    _, statuses = check((A, "", ""), (A, "NoInventory", I1))
    assert statuses == ["rejected", "rejected"]
    _, statuses = check((A, "NoInventory", I1), (A, "", ""))
    assert statuses == ["rejected", "rejected"]


def test_a_later_repeat_of_a_run_is_found_and_counted_once():
    result, statuses = check(
        (A, "NoInventory", I1),
        (A, "NoInventory", I2),
        (B, "NoInventory", I3),
        (A, "NoInventory", I2),
    )
    assert statuses == ["accepted", "accepted", "accepted", "duplicate"]
    assert result.summary["orders"] == 2
    assert result.summary["counting_orders"] == 2


def test_an_order_split_by_other_orders_is_one_order():
    result, statuses = check((A, "NoInventory", I1), (B, "NoInventory", I3), (A, "NoInventory", I2))
    assert statuses == ["accepted"] * 3
    assert result.summary["orders"] == 2
