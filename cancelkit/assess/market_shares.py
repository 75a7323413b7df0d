"""A batch spanning several marketplaces: each marketplace's share of the batch (rows,
orders, counting orders) and the figures it is projected with, against its own target and
window (docs/domain.md section 9). The figures themselves are found by enrich/market_figures.py,
a row's marketplace by validate/row_marketplace.py, the table is amazon/marketplaces.py.

Counted exactly, by walking the batch index's marketplace column, only when the batch's
rows name a marketplace other than `--marketplace`; a batch of that one marketplace keeps
the counts of the batch rules, as before marketplaces were read.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass

from ..amazon import policy
from ..options import Options, WindowFigures
from ..validate.batch import COUNTING, BatchIndex


@dataclass(frozen=True)
class MarketCount:
    """The accepted rows of one marketplace, after the batch rules."""

    code: str
    number: int  # the marketplace's number in the batch index's `markets` column
    accepted: int
    orders: int
    counting_orders: int


@dataclass(frozen=True)
class MarketBatch:
    """One marketplace's part of a batch and the window figures it is projected with."""

    market: policy.Marketplace
    count: MarketCount
    figures: WindowFigures


def count_by_market(index: BatchIndex, patches: Container[int], default: str) -> list[MarketCount]:
    """The kept rows per marketplace, in code order; [] when every kept row is of the
    `default` marketplace (or none was kept): that batch is projected as it always was."""
    names = index.market_names
    if not names or list(names) == [default]:
        return []
    accepted: dict[int, int] = {}
    orders: dict[int, int] = {}
    counting: dict[int, int] = {}
    # Orders seen more than once (the index's candidates) are grouped exactly in sets; every
    # other order is one row, or a run of consecutive rows (its further items), counted at
    # its first row: no set of all the batch's orders is held.
    candidates = index.candidates
    repeated: dict[int, set[int]] = {}
    repeated_counting: dict[int, set[int]] = {}
    run_order, run_number, run_counting = None, 0, False
    rows = zip(index.orders, index.item_facts, index.markets)
    for seq, (order, value, number) in enumerate(rows):
        if seq in patches:
            continue
        accepted[number] = accepted.get(number, 0) + 1
        counts = bool(value & COUNTING)
        if order in candidates:
            repeated.setdefault(number, set()).add(order)
            if counts:
                repeated_counting.setdefault(number, set()).add(order)
        elif order == run_order:
            if counts and not run_counting:
                counting[run_number] = counting.get(run_number, 0) + 1
                run_counting = True
        else:
            run_order, run_number, run_counting = order, number, counts
            orders[number] = orders.get(number, 0) + 1
            if counts:
                counting[number] = counting.get(number, 0) + 1
    for number, found in repeated.items():
        orders[number] = orders.get(number, 0) + len(found)
    for number, found in repeated_counting.items():
        counting[number] = counting.get(number, 0) + len(found)
    code_of = {number: code for code, number in names.items()}
    if not accepted or [code_of[n] for n in accepted] == [default]:
        return []
    return sorted(
        (
            MarketCount(
                code_of[number],
                number,
                accepted[number],
                orders.get(number, 0),
                counting.get(number, 0),
            )
            for number in accepted
        ),
        key=lambda c: c.code,
    )


def market_policy(options: Options, code: str) -> policy.Marketplace:
    """A marketplace's target and window, with the config's [policy] overrides for it."""
    return policy.marketplace(code, options.policy_table.get(code))


def market_batches(
    counts: list[MarketCount],
    markets: list[policy.Marketplace],
    found: Mapping[str, tuple],
    options: Options,
) -> list[MarketBatch]:
    """Each marketplace with the figures `Options.window_figures` chooses for it (`found`:
    code -> what the order reports and the ledger found, see enrich.market_figures)."""
    single = len(counts) == 1
    return [
        MarketBatch(
            market,
            count,
            options.window_figures(
                found[count.code][0], found[count.code][1], marketplace=count.code, single=single
            ),
        )
        for count, market in zip(counts, markets)
    ]


def main_market(batches: list[MarketBatch]) -> MarketBatch:
    """The marketplace the JSON's `metrics` describes: most counting orders, then most rows,
    then the first code."""
    return max(
        batches, key=lambda b: (b.count.counting_orders, b.count.accepted, -batches.index(b))
    )
