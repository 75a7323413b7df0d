"""The typed data of one run, as the pipeline hands it to `Result`: the summary, the
metrics of a rate projection, and the rest of what the run found (`RunData`).

Each `to_json()` gives exactly the dict the JSON report (schema_version 1) has always held,
key for key and in the same order, so the report's bytes do not change.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..amazon.policy import Marketplace
from ..assess.market_shares import MarketBatch
from ..ledger.blocks import Packed
from ..ledger.schema import Row
from ..options import Options, WindowFigures
from ..read.table import Table
from ..validate.batch import Patches


@dataclass
class Summary:
    """The counts of the JSON report's `summary`."""

    input_rows: int
    accepted: int
    rejected: int
    duplicates: int
    orders: int
    counts_against_rate: int
    counting_orders: int
    #: rows by risk level, highest first
    risk: dict[str, int]
    by_reason: dict[str, int]
    rejected_by_code: dict[str, int]
    #: rows of a review workbook that nobody approved: not input rows, not uploaded
    skipped_unapproved: int
    skipped_by_code: dict[str, int]
    #: personal-data columns of the inputs, dropped when read (amazon/personal_data.py)
    personal_columns_dropped: list[str]
    #: the estimated cancellation fees (India); None: no fee rule
    cancellation_fees: dict[str, Any] | None = None
    #: each order report's age and columns, and lines not read; None: no order report
    order_reports: list[dict[str, Any]] | None = None
    order_report_problems: list[Any] | None = None
    #: what is said of the batch's marketplaces (pipeline/run.py `marketplace_notes`)
    marketplace_notes: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The JSON report's `summary`."""
        found: dict[str, Any] = {
            "input_rows": self.input_rows,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "orders": self.orders,
            "counts_against_rate": self.counts_against_rate,
            "counting_orders": self.counting_orders,
            "risk": self.risk,
            "by_reason": self.by_reason,
            "rejected_by_code": self.rejected_by_code,
            "skipped_unapproved": self.skipped_unapproved,
            "skipped_by_code": self.skipped_by_code,
            "personal_columns_dropped": self.personal_columns_dropped,
        }
        if self.cancellation_fees is not None:
            found["cancellation_fees"] = self.cancellation_fees
        if self.order_reports is not None:
            found["order_reports"] = self.order_reports
            found["order_report_problems"] = self.order_report_problems
        found["marketplace_notes"] = self.marketplace_notes
        return found


@dataclass(frozen=True)
class Metrics:
    """A rate projection: the JSON report's `metrics` (and each entry of
    `metrics_by_marketplace`, and `long_window`); rates are fractions, None where unknown."""

    marketplace: str
    window_days: int
    threshold: float
    orders_in_window: int | None
    seller_cancels_in_window: int | None
    rate_before: float | None
    rate_after: float | None
    over_threshold: bool | None
    headroom_orders: int | None
    orders_source: str | None
    cancels_source: str | None
    #: India's 30-day window beside the 7-day one (of --marketplace only)
    long_window: Metrics | None = None

    @classmethod
    def of(cls, rate: dict[str, Any], figures: WindowFigures) -> Metrics:
        """From `assess.impact.project_rate`'s figures and where the window figures came from."""
        return cls(
            marketplace=rate["marketplace"],
            window_days=rate["window_days"],
            threshold=rate["threshold"],
            orders_in_window=rate["orders_in_window"],
            seller_cancels_in_window=rate["seller_cancels_in_window"],
            rate_before=rate["rate_before"],
            rate_after=rate["rate_after"],
            over_threshold=rate["over_threshold"],
            headroom_orders=rate["headroom_orders"],
            orders_source=figures.orders_source,
            cancels_source=figures.cancels_source,
        )

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "marketplace": self.marketplace,
            "window_days": self.window_days,
            "threshold": self.threshold,
            "orders_in_window": self.orders_in_window,
            "seller_cancels_in_window": self.seller_cancels_in_window,
            "rate_before": self.rate_before,
            "rate_after": self.rate_after,
            "over_threshold": self.over_threshold,
            "headroom_orders": self.headroom_orders,
            "orders_source": self.orders_source,
            "cancels_source": self.cancels_source,
        }
        if self.long_window is not None:
            found["long_window"] = self.long_window.to_json()
        return found


class BatchRows(Protocol):
    """The uploaded rows as the ledger records them, after the batch rules."""

    def ledger_rows(self, market: int | None = None) -> Iterator[Row]:
        """In file order; with `market`, those of that marketplace number only."""
        ...

    def ledger_packed(self, market: int | None = None) -> Packed:
        """The same rows packed for `Ledger.record_batch` (ledger/blocks.py)."""
        ...

    def kept_markets(self) -> Iterator[int]:
        """The marketplace number of each row of the flat-file body, in file order."""
        ...


@dataclass
class RunData:
    """Everything a run found, for `Result` (write/result.py)."""

    #: the temporary folder of the spooled flat-file body, rejects and records
    workdir: str
    #: each input's path, sha256 and row count
    inputs: list[dict[str, Any]]
    summary: Summary
    #: the figures of the metric window (`Options.window_figures`) and of the longer one
    figures: WindowFigures
    long_figures: WindowFigures | None
    listing_risks: list[dict[str, Any]]
    rows: BatchRows
    patches: Patches
    #: the first flagged records (at most REPORT_CAP) and how many more there are
    flagged: list[dict[str, Any]]
    flagged_more: int
    rejected_listed: list[dict[str, Any]]
    flag_codes: list[str]
    tables: list[Table]
    options: Options
    market: Marketplace
    #: the records' spool; None when the run kept no records
    records_path: str | None
    markets: list[MarketBatch] = field(default_factory=list)
    review_refused: list[dict[str, Any]] = field(default_factory=list)
    review_corrected: list[dict[str, Any]] = field(default_factory=list)
    #: sku -> seller cancellations of the ledger's last 30 days (the plan's listing rule)
    earlier_listings: dict[str, int] = field(default_factory=dict)
