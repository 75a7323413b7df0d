"""The data of one pipeline run: summary, metrics, the risk gate, the plan, records.

`RunResult` owns a temporary folder with the spooled flat-file body, the rejected rows and
(optionally) every record; the writers (write/result.py `Result` and the modules it calls)
copy from there into place atomically.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TypeVar, cast

from ..amazon.marketplaces import marketplace_code
from ..amazon.policy import Marketplace
from ..assess import budget as budgeting
from ..assess.impact import project_rate
from ..assess.market_shares import main_market
from ..options import WindowFigures
from ..read import scratch
from . import json_report, spool
from .plan import OutputPlan, usable_path
from .run_data import Metrics, RunData, Summary

#: counting rows beyond which no plan is listed (the JSON would hold a second copy of them)
PLAN_MAX_ROWS = 100_000

_Self = TypeVar("_Self", bound="RunResult")


class RunResult:
    """What a run found: summary, metrics, listing risks, records (the writers: `Result`)."""

    def __init__(self, data: RunData) -> None:
        self._workdir = data.workdir
        #: each input's path, sha256 and row count
        self.inputs = data.inputs
        #: the typed summary; `summary` is its JSON (the report's `summary`)
        self.counts: Summary = data.summary
        #: the counts of the JSON report's `summary`
        self.summary = data.summary.to_json()
        #: the figures of the metric window, chosen by `Options.window_figures`
        self.figures = data.figures
        #: those of the marketplace's longer window (India's 30 days), when it has one
        self.long_figures = data.long_figures
        self.options = options = data.options
        self.market = data.market
        #: each marketplace's part of the batch, when its rows name marketplaces other than
        #: `--marketplace` (assess.market_shares); [] otherwise
        self.markets = list(data.markets)
        self._default_market = marketplace_code(options.marketplace) or options.marketplace
        #: the uploaded rows as the ledger records them (write/ledger_batch.py)
        self.batch_rows = data.rows
        #: the orders `metrics` counts (of a batch spanning several: its marketplace's)
        self.rate_counting_orders = data.summary.counting_orders
        if self.markets:
            self.rate_counting_orders = main_market(self.markets).count.counting_orders
        #: the JSON report's `metrics`: the batch projected against the marketplace target
        #: (of a batch spanning several: the marketplace with most counting orders)
        self.metrics = self.project(self.rate_counting_orders)
        #: the JSON report's `metrics_by_marketplace` (None unless the batch spans several)
        self.metrics_by_marketplace: dict[str, dict] | None = None
        if len(self.markets) > 1:
            self.metrics_by_marketplace = {
                b.market.code: self.project(b.count.counting_orders, b.market, b.figures)
                for b in self.markets
            }
        self.listing_risks = data.listing_risks
        #: the first flagged records (at most REPORT_CAP) and how many more there are
        self.flagged = data.flagged
        self.flagged_more = data.flagged_more
        #: the first rejected records with their original values (at most REPORT_CAP)
        self.rejected_listed = data.rejected_listed
        #: every flag code that occurs in the batch
        self.flag_codes = data.flag_codes
        #: rows of a review workbook refused as tampered with (row, order_id, code, why)
        self.review_refused = data.review_refused
        #: reasons and notes corrected in the review: row, order_id, column, before, after
        self.review_corrected = data.review_corrected
        #: sku -> seller cancellations of the ledger's last 30 days (the plan's listing rule)
        self.earlier_listings = dict(data.earlier_listings)
        self._plan_cache: dict | None = None
        self._patches = data.patches
        tables = data.tables
        self._headers = [t.headers for t in tables]
        self._sources = [t.source for t in tables]
        # the column a batch-rule error names: each input's own order-id header
        self._order_id_columns = {t.source: t.column_of("order_id") for t in tables}
        self._records_path = data.records_path
        #: the ledger batch id once `record_in_ledger` has run (the first part's, when split)
        self.batch_id: str | None = None
        #: one ledger batch id per written upload file
        self.batch_ids: list[str] = []
        #: the marketplace of each of `batch_ids`
        self.batch_marketplaces: list[str] = []
        #: the rows per upload file part, once write_flat_file has split the upload
        self.max_rows_per_file: int | None = None
        #: the upload bodies written, (marketplace or None, file names), by write_flat_file
        self.upload_bodies: list[tuple] = []
        #: the SHA-256 of an upload file written in one piece, by its path (the ledger's
        #: `flat_file_sha256`, hashed as it was written instead of read back)
        self.flat_file_sha256: dict[str, str] = {}
        self.generated_at = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        self.outputs: dict = {
            "flat_file": None,
            "flat_files": None,
            "rejects": None,
            "report": None,
            "review": None,
        }
        self._finalizer = weakref.finalize(self, scratch.remove_workdir, self._workdir)
        #: set by write_outputs: no row was accepted, so no upload file was written
        self.nothing_to_upload = False

    # -- lifetime -------------------------------------------------------------------------
    def close(self) -> None:
        """Remove the temporary files (also done when the result is garbage-collected)."""
        self._finalizer()

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- figures --------------------------------------------------------------------------
    @property
    def keeps_records(self) -> bool:
        """Whether every record was kept (`keep_records=True`), so `records` can be read."""
        return self._records_path is not None

    def project(
        self,
        counting_orders: int,
        market: Marketplace | None = None,
        figures: WindowFigures | None = None,
    ) -> dict:
        """The metrics if `counting_orders` orders of the batch counted against the rate, with
        the run's window figures (the review's "pre-approved rows only" line uses this), or
        with those of another marketplace of the batch."""
        return self.projection(counting_orders, market, figures).to_json()

    def projection(
        self,
        counting_orders: int,
        market: Marketplace | None = None,
        figures: WindowFigures | None = None,
    ) -> Metrics:
        """`project`, typed."""
        figures = figures or self.figures
        market = market or self.market
        rate = project_rate(
            counting_orders, figures.orders_in_window, figures.cancels_in_window, market
        )
        metrics = Metrics.of(rate, figures)
        long = self.long_figures
        # the 30-day figures are those of --marketplace: only its metrics show them
        if long is not None and market.long_window_days and market.code == self._default_market:
            # India reports a 30-day rate beside the 7-day one (DOMAIN.md sections 3 and 7)
            window = replace(market, window_days=market.long_window_days)
            rate = project_rate(
                counting_orders, long.orders_in_window, long.cancels_in_window, window
            )
            metrics = replace(metrics, long_window=Metrics.of(rate, long))
        return metrics

    @property
    def accepted(self) -> int:
        return self.summary["accepted"]

    @property
    def rejected(self) -> int:
        return self.summary["rejected"]

    def gate_tripped(self, fail_on: str | None = None) -> bool:
        """Whether the risk gate stops the upload file: the batch puts a marketplace's rate
        over its target (unless `allow_over_target`), or `--fail-on` trips."""
        if self.over_target_blocked():
            return True
        level = fail_on or self.options.fail_on
        if level == "none":
            return False
        risk = self.summary["risk"]
        levels = ("high",) if level == "high" else ("high", "medium")
        return any(risk.get(lv) for lv in levels) or bool(self.over_threshold())

    def over_target(self) -> list[str]:
        """The marketplaces whose rate this batch's counting orders put (or keep) over the
        target: the default gate's business (a batch without counting orders there does not
        move the rate and is not stopped)."""
        counting = {b["marketplace"]: b["counting_orders"] for b in self.budget.values()}
        return [code for code in self.over_threshold() if counting.get(code)]

    def over_target_blocked(self) -> list[str]:
        """`over_target`, unless `--allow-over-target` lets the upload file be written."""
        return [] if self.options.allow_over_target else self.over_target()

    @property
    def states_checked(self) -> bool:
        """Whether the order states were checked against current order data (an order
        report or a `fetch-orders` file); without, shipped, cancelled and pending orders
        cannot be told apart from cancellable ones."""
        return bool(self.options.orders_reports)

    @property
    def budget(self) -> dict[str, dict]:
        """The JSON's `budget`: per marketplace, how many of the batch's counting orders fit
        under the target with the figures before the batch (assess/budget.py)."""
        if self.metrics_by_marketplace:
            return {
                b.market.code: budgeting.budget_of(
                    self.metrics_by_marketplace[b.market.code], b.count.counting_orders, b.market
                )
                for b in self.markets
            }
        code = self.metrics["marketplace"]
        return {code: budgeting.budget_of(self.metrics, self.rate_counting_orders, self.market)}

    def plan(self) -> dict:
        """The JSON's `plan`: advice on which rows to approve now (`send`, in that order) and
        which to hold, each with its reason (assess/budget.py). Made from every record when
        they were kept, else from the flagged records when those are all of the rows that
        count; `complete` is False (with `why`) when neither is possible."""
        if self._plan_cache is not None:
            return self._plan_cache
        counting_rows = self.summary["counts_against_rate"]
        if counting_rows > PLAN_MAX_ROWS:
            found = {
                "complete": False,
                "why": f"{counting_rows:,} rows count against the rate, more than the "
                f"{PLAN_MAX_ROWS:,} a plan lists; split the batch",
            }
        elif self.keeps_records:
            found = budgeting.make_plan(
                json_report.plan_entries(self),
                self.budget,
                self._default_market,
                self.earlier_listings,
            )
            found["complete"] = True
        elif not self.flagged_more:
            # every counting row is flagged (risk medium or high); the rows left out of the
            # flagged list are of risk none: they do not count and always go
            found = budgeting.make_plan(
                self.flagged, self.budget, self._default_market, self.earlier_listings
            )
            listed = cast(int, found["send_rows"]) + cast(int, found["hold_rows"])
            found["complete"] = True
            found["other_rows_send"] = max(0, self.accepted - listed)
        else:
            found = {
                "complete": False,
                "why": "this run did not keep every record: `cancelkit check INPUT --plan` "
                "(or --json) lists the plan",
            }
        found.setdefault("other_rows_send", 0)
        self._plan_cache = found
        return found

    def over_threshold(self) -> list[str]:
        """The marketplaces this batch puts over their target (the gate trips for any)."""
        by_market = self.metrics_by_marketplace or {self.metrics["marketplace"]: self.metrics}
        return [code for code, metrics in by_market.items() if metrics.get("over_threshold")]

    def market_rows(self) -> list[dict]:
        """A batch spanning several marketplaces, one row per marketplace (code order): its
        accepted rows, orders, counting orders, metrics and upload files; [] otherwise."""
        if not self.metrics_by_marketplace:
            return []
        files = {b.market.code: [str(t) for t in group] for b, group in self.upload_bodies if b}
        return [
            {
                "marketplace": b.market.code,
                "name": b.market.name,
                "accepted": b.count.accepted,
                "orders": b.count.orders,
                "counting_orders": b.count.counting_orders,
                "metrics": self.metrics_by_marketplace[b.market.code],
                "flat_files": files.get(b.market.code, []),
                "flat_file_names": [Path(f).name for f in files.get(b.market.code, [])],
            }
            for b in self.markets
        ]

    # -- records --------------------------------------------------------------------------
    def iter_records(self) -> Iterator[dict]:
        """Every input row's record in input order, with its final status."""
        return json_report.iter_records(self)

    @property
    def records(self) -> list[dict]:
        """Every input row's record as a list (see `iter_records` for huge batches)."""
        return list(self.iter_records())

    def _finish(self, entry: dict) -> dict:
        seq = entry.pop("seq")
        entry.pop("values", None)
        if self.markets and entry["status"] == "accepted":
            # a batch whose rows name marketplaces: each accepted record says its own
            entry.setdefault("marketplace", self._default_market)
        patch = self._patches.get(seq) if seq is not None else None
        if patch is not None:
            entry["status"] = patch.status
            entry["counts_against_rate"] = None
            entry["risk"] = None
            if patch.status == "duplicate":
                entry["flags"].append({"code": patch.code, "message": patch.message})
            else:
                entry["errors"].append(
                    {
                        "code": patch.code,
                        "column": self._order_id_columns[entry["source"]],
                        "value": entry["order_id"],
                        "message": patch.message,
                    }
                )
        return entry

    def iter_rejects(self) -> Iterator[tuple[int, int, list[str], list[tuple]]]:
        """The rejected rows: (source index, row, original cells, problems)."""
        return spool.read(str(Path(self._workdir) / "rejects.bin"))

    def _never_an_input(self, role: str, path: str | Path) -> None:
        """The library's writers refuse a path that is one of the run's inputs, under any
        spelling (the CLI's output plan checks this before reading; this is for the API)."""
        inputs = [i["path"] for i in self.inputs]
        read = [*inputs, *self.options.orders_reports, self.options.from_review]
        plan = OutputPlan([*read, self.options.config_path], True)
        plan.read_only("ledger", self.options.ledger)
        plan.output(role, usable_path(path, role))  # None, bytes, 5: `path_type`
