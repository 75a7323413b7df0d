"""The marketplaces of a run's batch: counted, given their window figures and projected
when its rows name marketplaces other than `--marketplace` (assess.market_shares)."""

from __future__ import annotations

from ..assess.market_shares import MarketBatch, count_by_market, market_batches, market_policy
from ..enrich.market_figures import market_history
from ..options import Options
from ..validate.batch import Patch
from .collector import Collector


def split_markets(collector: Collector, patches: dict[int, Patch], options: Options) -> list:
    """The batch's marketplaces ([] for a batch of `--marketplace` only)."""
    counts = count_by_market(collector.index, patches, collector.default_market)
    if not counts:
        return []
    markets = [market_policy(options, count.code) for count in counts]
    found = market_history(options, collector.enricher.report, markets)
    batches: list[MarketBatch] = market_batches(counts, markets, found, options)
    return batches
