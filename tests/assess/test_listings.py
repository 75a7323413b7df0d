"""Listings at risk (assess/listings.py) against a plain reference: every accepted counting
row in file order, its order ids the first LISTED_ORDERS distinct ones."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import cancelkit
from cancelkit.amazon import policy
from cancelkit.ledger.schema import LISTED_ORDERS

HEADER = ("order-id", "cancellation-reason-code", "amazon-order-item-code", "sku")
REASONS = ("NoInventory", "ShippingAddressUndeliverable", "BuyerCanceled", "")


def order_id(n: int) -> str:
    return f"113-{n:07d}-{n * 7 % 10_000_000:07d}"


rows_strategy = st.lists(
    st.tuples(
        st.integers(1, 60),  # order
        st.integers(0, 3),  # item
        st.sampled_from(REASONS),
        st.sampled_from(("SKU-A", "SKU-B", "SKU-C", "")),
    ),
    min_size=1,
    max_size=120,
)


def reference(records: list[dict]) -> list[dict]:
    counted: dict[str, list[str]] = {}
    for record in records:
        if record["status"] == "accepted" and record["counts_against_rate"] and record["sku"]:
            counted.setdefault(record["sku"], []).append(record["order_id"])
    risky = {
        sku: ids for sku, ids in counted.items() if len(ids) >= policy.LISTING_RISK_CANCELLATIONS
    }
    return [
        {
            "sku": sku,
            "seller_cancellations_30d": len(ids),
            "order_ids": list(dict.fromkeys(ids))[:LISTED_ORDERS],
        }
        for sku, ids in sorted(risky.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]


@settings(max_examples=150, deadline=None)
@given(rows_strategy)
def test_listing_risks_match_a_plain_count(rows):
    table = [HEADER]  # a reason without an item code, or an item without one, is rejected
    for order, item, reason, sku in rows:
        code = f"6284517392{order:02d}{item:02d}" if item else ""
        table.append((order_id(order), reason, code, sku))
    result = cancelkit.check(rows=table, orders_in_window=100_000, allow_over_target=True)
    assert result.listing_risks == reference(result.records)


def test_a_listing_with_many_orders_lists_the_first_ones():
    item = "62845173920101"
    table = [HEADER, *((order_id(n), "NoInventory", item, "SKU-A") for n in range(1, 50))]
    table += [(order_id(n), "", "", "SKU-B") for n in range(50, 53)]
    result = cancelkit.check(rows=table, orders_in_window=100_000, allow_over_target=True)
    assert result.listing_risks == [
        {
            "sku": "SKU-A",
            "seller_cancellations_30d": 49,
            "order_ids": [order_id(n) for n in range(1, 1 + LISTED_ORDERS)],
        },
        {
            "sku": "SKU-B",
            "seller_cancellations_30d": 3,
            "order_ids": [order_id(n) for n in range(50, 53)],
        },
    ]
