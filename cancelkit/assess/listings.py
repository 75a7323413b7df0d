"""Listings at risk: Amazon may deactivate an offer after two seller cancellations in 30
days (docs/domain.md section 3), counted over this batch and the ledger's confirmed batches."""

from __future__ import annotations

from collections import Counter
from itertools import compress
from itertools import count as numbers
from operator import and_

from ..amazon import policy
from ..ledger.schema import LISTED_ORDERS
from ..validate.batch import COUNTING, BatchIndex, Patches


def listing_risks(index: BatchIndex, patches: Patches, earlier: dict) -> list[dict]:
    """Listings (SKU, or ASIN) with enough counting cancellations, in this batch and in the
    ledger's confirmed batches of the last 30 days (`earlier`: sku -> (count, order ids)),
    to risk deactivation; the riskiest first."""
    counts: Counter = Counter()
    if index.sku_names:
        counting = map(COUNTING.__and__, index.item_facts)
        if patches:  # the rows kept only: the mask is 0 for a patched row
            counting = map(and_, counting, patches.keep_mask())
        counts.update(compress(index.skus, counting))
        counts.pop(-1, None)
    names = {n: sku for sku, n in index.sku_names.items()}
    totals = {names[n]: c for n, c in counts.items() if c > 0}
    for sku, (count, _) in earlier.items():
        totals[sku] = totals.get(sku, 0) + count
    risky = {sku for sku, c in totals.items() if c >= policy.LISTING_RISK_CANCELLATIONS}
    if not risky:
        return []
    orders: dict[str, dict[str, None]] = {
        sku: dict.fromkeys(earlier.get(sku, (0, []))[1][:LISTED_ORDERS]) for sku in risky
    }
    # SKU number -> listing, for the listings still short of their order ids: a listing
    # leaves it once complete (LISTED_ORDERS ids, or all of its orders), so the scan below
    # filters the rest in C and stops once none is left
    target = {sku: min(LISTED_ORDERS, totals[sku]) for sku in risky}
    wanted = {
        index.sku_names[sku]: sku
        for sku in risky
        if sku in index.sku_names and len(orders[sku]) < target[sku]
    }
    sku_at, facts_at, order_at = (
        index.skus.getter(),
        index.item_facts.getter(),
        index.orders.getter(),
    )
    patched = patches.__contains__ if patches else None  # most batches have no patches
    for seq in compress(numbers(), map(wanted.__contains__, index.skus)):
        if facts_at(seq) & COUNTING and not (patched and patched(seq)):
            n = sku_at(seq)
            sku = wanted[n]  # compress asked `wanted` about this very row
            listed = orders[sku]
            listed[_order_text(order_at(seq))] = None
            if len(listed) >= target[sku]:
                del wanted[n]
                if not wanted:
                    break
    return [
        {"sku": sku, "seller_cancellations_30d": totals[sku], "order_ids": list(orders[sku])}
        for sku in sorted(risky, key=lambda sku: (-totals[sku], sku))
    ]


def _order_text(order: int) -> str:
    digits = f"{order:017d}"
    return f"{digits[:3]}-{digits[3:10]}-{digits[10:]}"
