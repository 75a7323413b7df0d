"""The run's step that splits a batch by marketplace, when its rows name marketplaces other
than `--marketplace`: each marketplace's share counted (assess.market_shares), given its
window figures (enrich.market_figures) and its policy; the computing is theirs, this module
only joins them to the collector."""

from __future__ import annotations

from collections.abc import Container

from ..assess.market_shares import MarketBatch, count_by_market, market_batches, market_policy
from ..enrich.market_figures import market_figures
from ..options import Options
from .collector import Collector


def split_markets(
    collector: Collector, patches: Container[int], options: Options
) -> list[MarketBatch]:
    """The batch's marketplaces ([] for a batch of `--marketplace` only); `patches`: the
    sequence numbers the batch rules changed (validate.batch.Patches)."""
    counts = count_by_market(collector.index, patches, collector.default_market)
    if not counts:
        return []
    markets = [market_policy(options, count.code) for count in counts]
    found = market_figures(options, collector.enricher.report, markets)
    return market_batches(counts, markets, found, options)
