"""The order reports are read against the batch: only the batch's orders are kept, with
exactly the facts a full read gives them; the window count still covers every line."""

from __future__ import annotations

import random
from array import array

import pytest
from conftest import FIXTURES

from cancelkit.enrich import orders_report
from cancelkit.enrich.context import batch_order_ids
from cancelkit.enrich.order_window import distinct_count
from cancelkit.read.rows import read_rows

UNSHIPPED = FIXTURES / "unshipped-orders.txt"
ORDERS = FIXTURES / "order-report.txt"
PATHS = [UNSHIPPED, ORDERS]


def _every_order() -> list[str]:
    return sorted(orders_report.load(PATHS).order_ids())


@pytest.mark.parametrize("paths", [[UNSHIPPED], [ORDERS], PATHS, PATHS[::-1]])
def test_a_report_read_for_some_orders_answers_as_the_full_read(paths):
    full = orders_report.load(paths)
    orders = sorted(full.order_ids())
    wanted = set(orders[::3]) | {"199-0000000-0000000"}
    part = orders_report.load(paths, wanted)
    assert set(part.order_ids()) == wanted & set(orders)
    for order_id in orders:
        if order_id not in wanted:
            assert part.get(order_id) is None
            continue
        assert part.get(order_id) == full.get(order_id)
        info = full.get(order_id)
        for item in [None, "00000000000000", *(i.item_code for i in info.items if i.item_code)]:
            assert part.context(order_id, item) == full.context(order_id, item)
            if item:
                assert part.check_item(order_id, item) == full.check_item(order_id, item)
        for sku in {i.sku for i in info.items if i.sku} | {"NO-SUCH-SKU"}:
            assert part.resolve_item(order_id, sku) == full.resolve_item(order_id, sku)
    assert part.resolve_item("199-0000000-0000000", "X") == full.resolve_item(
        "199-0000000-0000000", "X"
    )
    # the window counts every line of the all-orders report, not only the batch's orders
    for days in (1, 7, 30):
        assert part.orders_in_window(days) == full.orders_in_window(days)
    assert orders_report.load(paths, set()).orders_in_window(7) == full.orders_in_window(7)


def test_the_batch_order_ids_come_from_a_first_pass_in_every_form():
    table = read_rows(
        [
            {"order-id": "111-0000001-0000001", "reason": "NoInventory"},
            {"order-id": " 112\u20130000002\u20130000002\u200b ", "reason": "NoInventory"},
            {"order-id": "", "reason": "NoInventory"},
        ]
    )
    found = batch_order_ids([table])
    assert "111-0000001-0000001" in found
    assert "112-0000002-0000002" in found  # as the record model tidies it
    assert "" not in found
    assert next(table.rows)[1][0] == "111-0000001-0000001"  # the table itself is unread


def test_an_input_that_cannot_be_read_twice_keeps_every_order():
    table = read_rows([{"order-id": "111-0000001-0000001"}])
    table.reopen = None
    assert batch_order_ids([table]) is None


@pytest.mark.parametrize("size", [0, 1, 5, 1000, 70_000])
def test_distinct_counts_exactly_with_repeats_and_shared_slots(size):
    rng = random.Random(size)
    values = array("q", (rng.randrange(10**16, 10**17) for _ in range(size)))
    values.extend(values[: size // 3])  # repeated orders
    values.extend(v + (1 << 40) for v in values[: size // 7])  # new values, other slots
    assert distinct_count(values) == len(set(values))


def test_the_window_of_one_marketplace_counts_its_lines_only(tmp_path):
    header = ["order-id", "order-status", "purchase-date", "sales-channel"]
    lines = [
        ["111-0000001-0000001", "Shipped", "2026-11-20T10:00:00Z", "Amazon.de"],
        ["111-0000001-0000001", "Shipped", "2026-11-20T10:00:00Z", "Amazon.de"],
        ["111-0000002-0000002", "Shipped", "2026-11-19T10:00:00Z", "Amazon.de"],
        ["111-0000003-0000003", "Shipped", "2026-11-21T10:00:00Z", "Amazon.fr"],
        ["111-0000004-0000004", "Shipped", "2026-11-01T10:00:00Z", "Amazon.fr"],
    ]
    path = tmp_path / "orders.txt"
    path.write_text("\n".join("\t".join(c) for c in [header, *lines]) + "\n", encoding="utf-8")
    for wanted in (None, {"111-0000001-0000001"}):
        report = orders_report.load(path, wanted)
        count, _, end = report.orders_in_window(7, "DE")
        assert (count, end.day) == (2, 20)
        count, _, end = report.orders_in_window(7, "FR")
        assert (count, end.day) == (1, 21)
        assert report.orders_in_window(7, "GB") is None
        assert report.orders_in_window(7)[0] == 3  # 20, 19 and 21 November
