"""The window figures each marketplace of a batch finds for itself: its orders in the
all-orders reports (by `sales-channel`) and the seller cancellations of the ledger's batches
recorded for it (each per-marketplace upload file is a batch of its own marketplace).
assess/market_shares.py projects each marketplace's share of the batch with them."""

from __future__ import annotations

import datetime as dt
import os

from ..amazon import policy
from ..ledger.store import Ledger
from ..options import Options
from .context import report_window
from .report_index import OrdersReport

Found = tuple[int | None, str | None]


def market_figures(
    options: Options, report: OrdersReport | None, markets: list[policy.Marketplace]
) -> dict[str, tuple[Found, Found]]:
    """Per marketplace code: ((orders in the window, source), (seller cancels, source))."""
    found: dict[str, tuple[Found, Found]] = {}
    cancels: dict[str, Found] = {m.code: (None, None) for m in markets}
    if options.ledger and os.path.exists(options.ledger):
        now = dt.datetime.now(dt.timezone.utc)
        with Ledger.open(options.ledger, create=False) as ledger:
            for market in markets:
                count = ledger.seller_cancels_in_window(now, market.window_days, market.code)
                cancels[market.code] = (count, f"ledger (confirmed batches of {market.code})")
    elif options.ledger:
        cancels = {m.code: (0, "ledger (no batches yet)") for m in markets}
    for market in markets:
        orders = report_window(report, market, of_market=True) if report else (None, None)
        found[market.code] = (orders, cancels[market.code])
    return found
