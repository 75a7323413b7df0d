"""The result of one pipeline run and the writers that hang off it.

A `Result` owns a temporary folder with the spooled flat-file body, the rejected rows and
(optionally) every record; the writers copy from there into place atomically.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import weakref
from collections.abc import Callable, Iterator
from dataclasses import replace
from itertools import islice
from pathlib import Path

import orjson

from ..amazon import flatfile
from ..amazon.marketplaces import marketplace_code
from ..amazon.policy import Marketplace
from ..assess import budget as budgeting
from ..assess.impact import project_rate
from ..assess.market_shares import MarketBatch, main_market
from ..errors import OutputError
from ..ledger.store import Ledger, Row, batch_stamp
from ..options import Options, WindowFigures
from ..read import scratch
from ..read.tables import GUARDED_STARTS, Table
from ..validate.batch import Patches
from ..version import __version__
from . import split, spool
from .files import Staging, atomic_write, free_name, refuse_existing, remove_stale_temporaries
from .plan import OutputPlan, reserved_names, usable_path
from .report import render_report, report_format_for
from .verdict import over_target_reason, report_context
from .workbook import write_review

#: what `generate` says when no row was accepted (no upload file, no ledger batch)
NOTHING_TO_UPLOAD = (
    "nothing was left to upload: no row was accepted, so no upload file was written and no "
    "ledger batch was recorded"
)
#: counting rows beyond which no plan is listed (the JSON would hold a second copy of them)
PLAN_MAX_ROWS = 100_000
#: stands for the records in the JSON text until they are streamed in its place
_RECORDS_MARK = "\x00records\x00"
_NO_VALUES = object()
#: records joined into one write of the JSON report
_JSON_BLOCK = 2048
REJECTS_EXTRA = ("cancelkit-source", "cancelkit-row", "cancelkit-error-codes", "cancelkit-errors")


def guard(value: str) -> str:
    """Prefix a quote to a value a spreadsheet would run as a formula (OWASP CSV injection)."""
    return "'" + value if value[:1] in GUARDED_STARTS and value else value


def record_dict(record, seq: int | None, values: bool = False) -> dict:
    """A record as the JSON report's `records` entry (plus `seq` for internal patching)."""
    context = record.context
    entry = {
        "source": record.source,
        "row": record.row,
        "order_id": record.order_id,
        "amazon_order_item_code": record.amazon_order_item_code,
        "reason": record.reason,
        "status": record.status,
        "counts_against_rate": record.counts_against_rate,
        "risk": record.risk,
        "sku": context.get("sku") or None,
        "note": context.get("note") or None,
        "buyer_requested": context.get("buyer_requested") or None,
        "flags": [{"code": f.code, "message": f.message} for f in record.flags],
        "errors": [
            {"code": p.code, "column": p.column, "value": p.value, "message": p.message}
            for p in record.errors
        ],
        "seq": seq,
    }
    if values:
        entry["values"] = record.values
    state = {k: context[k] for k in ("order_status", "fulfillment_channel") if context.get(k)}
    if state:  # what the review seals of the order's state (read/review.py)
        entry["order_state"] = state
    return entry


def _json_bytes(entry: dict) -> bytes:
    """A record as compact JSON text in UTF-8 (orjson: about ten times the standard
    library's speed); a value orjson refuses (a lone surrogate) is escaped by the stdlib."""
    try:
        return orjson.dumps(entry)
    except orjson.JSONEncodeError:
        return json.dumps(entry).encode("ascii")


def keep_record(stream, entry: dict) -> tuple[bytes, bytes]:
    """Append a record to the records spool as it is made: its seq and its JSON text
    (orjson; `seq` and the rejected row's `values` are not part of it). Returns the text
    before and after the row number, for `keep_same_record`."""
    seq = entry.pop("seq")
    values = entry.pop("values", _NO_VALUES)
    text = _json_bytes(entry)
    entry["seq"] = seq
    if values is not _NO_VALUES:
        entry["values"] = values
    spool.append(stream, (seq, text))
    # the first `,"row":` is the key's: a quote inside a string value is escaped
    start = text.find(b',"row":') + 7
    return text[:start], text[start + len(str(entry["row"])) :]


def keep_same_record(stream, seq: int, parts: tuple[bytes, bytes], row: int) -> None:
    """Append the record of a row whose cells repeat the row before (`parts`, from
    keep_record): the same text but its row number."""
    spool.append(stream, (seq, b"%b%d%b" % (parts[0], row, parts[1])))


def _numbered(path: Path, rows: int, max_rows: int | None) -> list[Path]:
    """`path`, or with `max_rows` the numbered parts `NAME-1.txt`, ... holding `rows` rows
    (at least one part)."""
    if max_rows is None:
        return [path]
    count = max(1, -(-rows // max_rows))
    return [path.with_name(f"{path.stem}-{n}{path.suffix}") for n in range(1, count + 1)]


def _write_body(body_path: Path, targets: list[Path], max_rows: int | None, force: bool) -> None:
    """Write a spooled flat-file body (template and header rows first) to its upload file,
    or with `max_rows` split in order into the `targets`, each a complete flat file."""
    if max_rows is None:
        with open(body_path, "rb") as body:
            atomic_write(
                targets[0],
                lambda out: shutil.copyfileobj(body, out, 1 << 20),
                force=force,
                mode="wb",
            )
        return
    if not force:
        for target in targets:
            refuse_existing(target)
    with open(body_path, encoding="ascii", newline="") as body:
        body.readline()  # the body's own template and header rows
        body.readline()

        def write_part(out: io.TextIOBase) -> None:
            out.write(flatfile.HEADER_LINES)
            out.writelines(islice(body, max_rows))

        for target in targets:
            atomic_write(target, write_part, force=force, encoding="ascii")


class Result:
    """What a run found: summary, metrics, listing risks, records; and the writers."""

    def __init__(
        self,
        *,
        workdir: str,
        inputs: list[dict],
        summary: dict,
        figures: WindowFigures,
        listing_risks: list[dict],
        long_figures: WindowFigures | None = None,
        ledger_rows: Callable[[], Iterator[Row]],
        patches: Patches,
        flagged: list[dict],
        flagged_more: int,
        rejected_listed: list[dict],
        flag_codes: list[str],
        tables: list[Table],
        options: Options,
        market: Marketplace,
        records_path: str | None,
        markets: list[MarketBatch] | None = None,
        kept_markets: Callable[[], Iterator[int]] | None = None,
        review_refused: list[dict] | None = None,
        review_corrected: list[dict] | None = None,
        earlier_listings: dict[str, int] | None = None,
    ) -> None:
        self._workdir = workdir
        #: each input's path, sha256 and row count
        self.inputs = inputs
        #: the counts of the JSON report's `summary`
        self.summary = summary
        #: the figures of the metric window, chosen by `Options.window_figures`
        self.figures = figures
        #: those of the marketplace's longer window (India's 30 days), when it has one
        self.long_figures = long_figures
        self.options = options
        self.market = market
        #: each marketplace's part of the batch, when its rows name marketplaces other than
        #: `--marketplace` (assess.market_shares); [] otherwise
        self.markets = list(markets or [])
        self._default_market = marketplace_code(options.marketplace) or options.marketplace
        self._kept_markets = kept_markets
        #: the orders `metrics` counts (of a batch spanning several: its marketplace's)
        self.rate_counting_orders = summary["counting_orders"]
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
        self.listing_risks = listing_risks
        #: the first flagged records (at most REPORT_CAP) and how many more there are
        self.flagged = flagged
        self.flagged_more = flagged_more
        #: the first rejected records with their original values (at most REPORT_CAP)
        self.rejected_listed = rejected_listed
        #: every flag code that occurs in the batch
        self.flag_codes = flag_codes
        #: rows of a review workbook refused as tampered with (row, order_id, code, why)
        self.review_refused = review_refused or []
        #: reasons and notes corrected in the review: row, order_id, column, before, after
        self.review_corrected = review_corrected or []
        #: sku -> seller cancellations of the ledger's last 30 days (the plan's listing rule)
        self.earlier_listings = dict(earlier_listings or {})
        self._plan_cache: dict | None = None
        self._patches = patches
        self._headers = [t.headers for t in tables]
        self._sources = [t.source for t in tables]
        # the column a batch-rule error names: each input's own order-id header
        self._order_id_columns = {t.source: t.column_of("order_id") for t in tables}
        self._records_path = records_path
        self._ledger_rows = ledger_rows
        #: the ledger batch id once `record_in_ledger` has run (the first part's, when split)
        self.batch_id: str | None = None
        #: one ledger batch id per written upload file
        self.batch_ids: list[str] = []
        #: the marketplace of each of `batch_ids`
        self.batch_marketplaces: list[str] = []
        self._max_rows: int | None = None
        #: the upload bodies written, (marketplace or None, file names), by write_flat_file
        self._plan: list[tuple] = []
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

    def __enter__(self) -> Result:
        return self

    def __exit__(self, *exc) -> None:
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
        figures = figures or self.figures
        market = market or self.market
        metrics = project_rate(
            counting_orders, figures.orders_in_window, figures.cancels_in_window, market
        )
        metrics["orders_source"] = figures.orders_source
        metrics["cancels_source"] = figures.cancels_source
        long = self.long_figures
        # the 30-day figures are those of --marketplace: only its metrics show them
        if long is not None and market.long_window_days and market.code == self._default_market:
            # India reports a 30-day rate beside the 7-day one (DOMAIN.md sections 3 and 7)
            window = replace(market, window_days=market.long_window_days)
            metrics["long_window"] = project_rate(
                counting_orders, long.orders_in_window, long.cancels_in_window, window
            )
            metrics["long_window"]["orders_source"] = long.orders_source
            metrics["long_window"]["cancels_source"] = long.cancels_source
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
                self.iter_records(), self.budget, self._default_market, self.earlier_listings
            )
            found["complete"] = True
        elif not self.flagged_more:
            # every counting row is flagged (risk medium or high); the rows left out of the
            # flagged list are of risk none: they do not count and always go
            found = budgeting.make_plan(
                self.flagged, self.budget, self._default_market, self.earlier_listings
            )
            listed = found["send_rows"] + found["hold_rows"]
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
        files = {b.market.code: [str(t) for t in group] for b, group in self._plan if b}
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
        if self._records_path is None:
            raise RuntimeError("records were not kept for this run (keep_records=False)")
        loads, finish = orjson.loads, self._finish
        for seq, text in spool.read(self._records_path):
            entry = loads(text)
            entry["seq"] = seq
            yield finish(entry)

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

    # -- writers --------------------------------------------------------------------------
    def flat_file_parts(self, path: str | Path, max_rows: int | None = None) -> list[Path]:
        """The upload file name(s): `path` itself, or with `max_rows` the numbered parts
        `NAME-1.txt`, `NAME-2.txt`, ... (at least one, even for no accepted rows). A batch
        spanning several marketplaces has one file per marketplace, `NAME-DE.txt`, ... (with
        `max_rows`: `NAME-DE-1.txt`, ...)."""
        return [target for _, targets in self._file_plan(path, max_rows) for target in targets]

    def _file_plan(self, path: str | Path, max_rows: int | None) -> list[tuple]:
        """(marketplace or None, its upload file names) for each upload body."""
        if max_rows is not None and max_rows < 1:
            raise ValueError(f"max_rows must be at least 1 (got {max_rows})")
        if len(self.markets) > 1:
            return [
                (b, _numbered(split.market_path(path, b.market.code), b.count.accepted, max_rows))
                for b in self.markets
            ]
        return [(None, _numbered(Path(path), self.accepted, max_rows))]

    def write_flat_file(
        self,
        path: str | Path,
        force: bool = False,
        max_rows: int | None = None,
        allow_over_target: bool = False,
    ) -> Path:
        """Write Amazon's Order Cancellation flat file of the accepted rows; returns its path.

        With `max_rows`, the rows are split in input order into numbered files of at most
        that many rows (see `flat_file_parts`), each with the template and header rows and
        each written atomically; the first part's path is returned and `outputs["flat_files"]`
        lists them all. Without `force` no part is written when any of them exists. A batch
        spanning several marketplaces is written as one file per marketplace (`NAME-DE.txt`,
        ..., each split by `max_rows` on its own), the first returned.

        A batch that puts a marketplace's rate over its target is refused with
        `OutputError` (code `over_target`) unless `allow_over_target` (here, or in `check`).
        """
        if self.over_target_blocked() and not allow_over_target:
            raise OutputError(
                f"{path}: {over_target_reason(self)} (Python: allow_over_target=True)",
                code="over_target",
            )
        plan = self._file_plan(usable_path(path, "upload file"), max_rows)
        targets = [target for _, group in plan for target in group]
        for target in targets:
            self._never_an_input("upload file", target)
        if len(plan) > 1:
            if not force:
                for target in targets:
                    refuse_existing(target)
            bodies = split.split_body(
                Path(self._workdir) / "flat.txt",
                self._kept_markets(),
                {b.count.number: b.market.code for b, _ in plan},
            )
            for batch, group in plan:
                _write_body(bodies[batch.count.number], group, max_rows, force)
        else:
            _write_body(Path(self._workdir) / "flat.txt", targets, max_rows, force)
        self._plan = plan
        self._max_rows = max_rows
        self.outputs["flat_file"] = str(targets[0])
        self.outputs["flat_files"] = [str(target) for target in targets]
        return targets[0]

    def iter_rejects(self) -> Iterator[tuple[int, int, list[str], list[tuple]]]:
        """The rejected rows: (source index, row, original cells, problems)."""
        return spool.read(str(Path(self._workdir) / "rejects.bin"))

    def _reject_columns(self) -> list[list[str]]:
        """Each source's column names for the rejects file: its headers (a repeated name
        gets its position), then `column N` for cells beyond the header."""
        widths = [len(h) for h in self._headers]
        for source, _, cells, _ in self.iter_rejects():
            widths[source] = max(widths[source], len(cells))
        names = []
        for headers, width in zip(self._headers, widths):
            seen: set[str] = set()
            columns = []
            for i in range(width):
                name = headers[i] if i < len(headers) and headers[i] else f"column {i + 1}"
                if name in seen:
                    name = f"{name} (column {i + 1})"
                seen.add(name)
                columns.append(name)
            names.append(columns)
        return names

    def write_rejects(self, path: str | Path, force: bool = False) -> Path:
        """Write the rejected rows (original values, source, row, codes and messages) as a
        CSV that Excel opens (UTF-8 with BOM); formula-like values are guarded. A rejects
        file fed back in does not repeat its own cancelkit-* columns."""
        self._never_an_input("rejects file", path)
        columns = self._reject_columns()
        header = [
            name
            for name in dict.fromkeys(n for names in columns for n in names)
            if name not in REJECTS_EXTRA
        ]
        header += REJECTS_EXTRA  # a tuple: extends the new list
        position = {name: i for i, name in enumerate(header)}

        def write(stream: io.TextIOBase) -> None:
            writer = csv.writer(stream, lineterminator="\r\n")
            writer.writerow([guard(name) for name in header])  # a header is text from a file
            for source, number, cells, problems in self.iter_rejects():
                out = [""] * len(header)
                for name, value in zip(columns[source], cells):
                    if name not in REJECTS_EXTRA:
                        out[position[name]] = guard(value)
                out[-4] = guard(self._sources[source])
                out[-3] = str(number)
                out[-2] = " ".join(dict.fromkeys(p[0] for p in problems))
                out[-1] = guard("; ".join(f"{p[1]}: {p[3]}" for p in problems))
                writer.writerow(out)

        written = atomic_write(path, write, force=force, encoding="utf-8-sig")
        self.outputs["rejects"] = str(path)
        return written

    def json_document(self, records: bool = True) -> dict:
        """The JSON report (schema_version 1) as a dict (`records` empty when not kept, or
        when `records` is False: `write_json` streams them)."""
        return {
            "schema_version": 1,
            "tool": {"name": "cancelkit", "version": __version__},
            "generated_at": self.generated_at.isoformat().replace("+00:00", "Z"),
            "inputs": self.inputs,
            "summary": self.summary,
            "metrics": self.metrics,
            **(
                {"metrics_by_marketplace": self.metrics_by_marketplace}
                if self.metrics_by_marketplace
                else {}
            ),
            "listing_risks": self.listing_risks,
            "records": self.records if self._records_path and records else [],
            # with --from-review: the review rows refused as tampered with
            **({"review_refused": self.review_refused} if self.options.from_review else {}),
            **({"review_corrected": self.review_corrected} if self.options.from_review else {}),
            "outputs": dict(self.outputs),
            # round 3 (DESIGN.md "The decision and the page"): added keys, schema_version 1
            "states_checked": self.states_checked,
            "budget": self.budget,
            "plan": self.plan(),
            **(
                {
                    "review_figures": {
                        "kept": self.options.review_kept,
                        "changed": self.options.review_changes,
                        "order_reports": self.options.review_order_reports,
                    }
                }
                if self.options.from_review
                else {}
            ),
        }

    def write_json(self, stream: io.TextIOBase) -> None:
        """Write the JSON report to a text stream, the records one at a time as they are
        read back from the spool (memory bounded by one record). The document is indented
        as `json.dumps(..., indent=2)` would; each record is one line (the C encoder: an
        indented record costs five times as much to write)."""
        document = self.json_document(records=False)
        document["records"] = _RECORDS_MARK
        text = json.dumps(document, indent=2, ensure_ascii=False)
        head, tail = text.split(json.dumps(_RECORDS_MARK), 1)
        stream.write(head)
        if self._records_path is None:
            stream.write("[]")
        else:
            opened = False
            for block in self._record_texts(b",\n    "):
                stream.write(("[\n    " if not opened else ",\n    ") + block)
                opened = True
            stream.write("\n  ]" if opened else "[]")
        stream.write(tail + "\n")

    def _record_texts(self, separator: bytes) -> Iterator[str]:
        """The records' JSON texts as the spool kept them, joined by `separator` in blocks
        of _JSON_BLOCK; a record a batch rule patched (or one to be told its marketplace)
        is decoded, finished and encoded again."""
        patches, finish = self._patches, self._finish
        every = bool(self.markets)  # accepted records name their marketplace
        loads = orjson.loads
        block: list[bytes] = []
        for seq, text in spool.read(self._records_path):
            if every or (seq is not None and patches and seq in patches):
                entry = loads(text)
                entry["seq"] = seq
                text = _json_bytes(finish(entry))
            block.append(text)
            if len(block) >= _JSON_BLOCK:
                yield separator.join(block).decode("utf-8")
                block.clear()
        if block:
            yield separator.join(block).decode("utf-8")

    def write_jsonl(self, stream: io.TextIOBase) -> None:
        """Write the report as JSON Lines: the first line the JSON report without `records`
        (schema_version 1), then each record on a line of its own, in input order, as it
        is read back from the spool (for `jq -c`, DuckDB's read_json, line-by-line tools)."""
        document = self.json_document(records=False)
        del document["records"]
        stream.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n")
        if self._records_path is not None:
            for block in self._record_texts(b"\n"):
                stream.write(block + "\n")

    def write_jsonl_file(self, path: str | Path, force: bool = False) -> Path:
        """Write the JSON Lines report to `path` atomically (what `--jsonl PATH` does)."""
        self._never_an_input("JSON Lines report", path)
        return atomic_write(path, self.write_jsonl, force=force, newline="\n")

    def to_json(self, path: str | Path | None = None, force: bool = False) -> str:
        """The JSON report as text; also written atomically to `path` when given. For a
        huge batch use `write_json_file`, which never holds the whole text."""
        if path is not None:
            self._never_an_input("JSON report", path)
        out = io.StringIO()
        self.write_json(out)
        text = out.getvalue()
        if path is not None:
            atomic_write(path, lambda stream: stream.write(text), force=force, newline="\n")
        return text

    def write_json_file(self, path: str | Path, force: bool = False) -> Path:
        """Write the JSON report to `path` atomically, streaming the records (what
        `--json PATH` does)."""
        self._never_an_input("JSON report", path)
        return atomic_write(path, self.write_json, force=force, newline="\n")

    def report_context(self) -> dict:
        """Everything the risk report templates show."""
        return report_context(self)

    def _never_an_input(self, role: str, path: str | Path) -> None:
        """The library's writers refuse a path that is one of the run's inputs, under any
        spelling (the CLI's output plan checks this before reading; this is for the API)."""
        inputs = [i["path"] for i in self.inputs]
        read = [*inputs, *self.options.orders_reports, self.options.from_review]
        plan = OutputPlan([*read, self.options.config_path], True)
        plan.read_only("ledger", self.options.ledger)
        plan.output(role, usable_path(path, role))  # None, bytes, 5: `path_type`

    def write_outputs(
        self,
        out_dir: str | Path = "cancelkit-out",
        *,
        flat_file: str | Path | None = None,
        report: str | Path | None = None,
        json_path: str | Path | None = None,
        rejects: str | Path | None = None,
        jsonl_path: str | Path | None = None,
        force: bool = False,
        default_report: bool = True,
        max_rows_per_file: int | None = None,
        record: bool = False,
    ) -> dict:
        """Write what `cancelkit generate` writes.

        Files not named go into `out_dir` under names carrying the batch time. The upload
        file is not written when the risk gate trips or no row was accepted (nothing to
        upload: `nothing_to_upload` is set); the rejects file only when rows were
        rejected (or it is named). Every target is checked before anything is written, so
        a refused overwrite leaves nothing half done. `json_path` "-" means "return it";
        `jsonl_path` (JSON Lines, see `write_jsonl`) likewise.
        `max_rows_per_file` splits the upload file into numbered parts (`write_flat_file`).
        With `record`, the batch is then recorded in the ledger (`record_in_ledger`), only
        once every file is in place: what `cancelkit generate` does.
        """
        folder = usable_path(out_dir, "out-dir")
        for role, given in (
            ("upload file", flat_file),
            ("report", report),
            ("JSON report", json_path),
            ("rejects file", rejects),
        ):
            if given is not None:
                usable_path(given, role)  # bytes, 5: `path_type` before anything is written
        inputs = [i["path"] for i in self.inputs]
        inputs += [*self.options.orders_reports, self.options.from_review]
        check = OutputPlan([*inputs, self.options.config_path], force)
        # concurrent runs into one out-dir choose and write their names one at a time
        with reserved_names(folder), Staging() as staging:
            remove_stale_temporaries(folder)  # what a killed earlier run left behind
            stem = self._free_stem(folder, max_rows_per_file)
            # no row left to upload (every row rejected, e.g. an all-orders report whose
            # orders are all shipped): no upload file, so no 0-row ledger batch either
            self.nothing_to_upload = not self.accepted and not self.gate_tripped()
            plan: dict[str, Path | None] = {
                "flat_file": None
                if self.gate_tripped() or self.nothing_to_upload
                else Path(flat_file or folder / f"{stem}.txt"),
                "rejects": Path(rejects)
                if rejects
                else (folder / f"{stem}-rejects.csv" if self.rejected else None),
                "report": Path(report)
                if report
                else (folder / f"{stem}-report.html" if default_report else None),
            }
            json_target = Path(json_path) if json_path and str(json_path) != "-" else None
            jsonl_target = Path(jsonl_path) if jsonl_path and str(jsonl_path) != "-" else None
            flat_parts = []
            if plan["flat_file"] is not None:
                flat_parts = self.flat_file_parts(plan["flat_file"], max_rows_per_file)
            for number, part in enumerate(flat_parts, start=1):
                check.output(
                    "upload file" if len(flat_parts) == 1 else f"upload part {number}", part
                )
            check.output("rejects file", plan["rejects"])
            check.output("report", plan["report"])
            check.output("JSON report", json_target)
            check.output("JSON Lines report", jsonl_target)
            if record:
                check.ledger(self.options.ledger)
            if plan["report"] is not None:
                report_format_for(plan["report"])  # an unknown suffix fails before any write
            if plan["flat_file"] is not None:
                self.write_flat_file(plan["flat_file"], force=force, max_rows=max_rows_per_file)
            if plan["rejects"] is not None:
                self.write_rejects(plan["rejects"], force=force)
            if plan["report"] is not None:
                self.outputs["report"] = str(plan["report"])
            if json_target is not None:
                self.write_json_file(json_target, force=force)
            if jsonl_target is not None:
                self.write_jsonl_file(jsonl_target, force=force)
            if plan["report"] is not None:
                self.write_report(plan["report"], force=force)
            # every file in place, then the ledger batch; a failure takes the files back
            staging.commit(self.record_in_ledger if record else None)
        return dict(self.outputs)

    def _free_stem(self, folder: Path, max_rows_per_file: int | None) -> str:
        stamp = batch_stamp(self.generated_at.astimezone())
        suffixes = [".txt", "-report.html", "-rejects.csv"]
        if max_rows_per_file is not None or len(self.markets) > 1:
            parts = self.flat_file_parts("x.txt", max_rows_per_file)
            suffixes += [part.name[1:] for part in parts]  # "-1.txt", "-DE.txt", ...
        return free_name(folder, f"cancellations-{stamp}", suffixes)

    def record_in_ledger(self) -> str | None:
        """Record the written upload file and its rows as a new batch in the ledger (one
        transaction); returns the batch id, or None without a ledger or upload file.

        An upload split into parts is recorded as one batch per part (Amazon's processing
        report numbers records per uploaded file), in part order; `batch_ids` lists them
        and the first part's id is returned."""
        path, flat_file = self.options.ledger, self.outputs["flat_file"]
        if path is None or flat_file is None:
            return None
        parts = self.outputs["flat_files"] or [flat_file]
        meta = {
            "created_at": self.generated_at,
            "marketplace": self.market.code,
            "options": {
                "orders_in_window": self.metrics["orders_in_window"],
                "cancels_in_window": self.metrics["seller_cancels_in_window"],
                "fail_on": self.options.fail_on,
                "orders_reports": self.options.orders_reports,
            },
            "inputs": self.inputs,
            "flat_file": flat_file,
        }
        if self.over_target() and self.options.allow_over_target:
            # the upload file of a batch over the target was asked for (`--allow-over-target`)
            meta["options"]["allow_over_target"] = self.over_target()
        rows = self._ledger_rows()
        self.batch_ids = []
        self.batch_marketplaces = []
        with Ledger.open(path) as ledger:
            if len(self._plan) > 1:
                self._record_markets(ledger, meta)
            elif len(parts) == 1:
                self.batch_ids.append(ledger.record_batch(meta, rows))
            else:
                for number, part in enumerate(parts, start=1):
                    options = {
                        **meta["options"],
                        "max_rows_per_file": self._max_rows,
                        "part": f"{number}/{len(parts)}",
                    }
                    part_meta = {**meta, "options": options, "flat_file": part}
                    self.batch_ids.append(
                        ledger.record_batch(part_meta, islice(rows, self._max_rows))
                    )
        self.batch_id = self.batch_ids[0]
        return self.batch_id

    def _record_markets(self, ledger: Ledger, meta: dict) -> None:
        """One batch per upload file of a batch spanning several marketplaces, each with
        its marketplace and that marketplace's window figures."""
        total = sum(len(group) for _, group in self._plan)
        number = 0
        for batch, group in self._plan:
            metrics = self.metrics_by_marketplace[batch.market.code]
            rows = self._ledger_rows(batch.count.number)
            for part in group:
                number += 1
                options = {
                    **meta["options"],
                    "orders_in_window": metrics["orders_in_window"],
                    "cancels_in_window": metrics["seller_cancels_in_window"],
                    "part": f"{number}/{total}",
                }
                if self._max_rows is not None:
                    options["max_rows_per_file"] = self._max_rows
                part_meta = {
                    **meta,
                    "marketplace": batch.market.code,
                    "options": options,
                    "flat_file": part,
                }
                part_rows = rows if self._max_rows is None else islice(rows, self._max_rows)
                self.batch_ids.append(ledger.record_batch(part_meta, part_rows))
                self.batch_marketplaces.append(batch.market.code)

    def write_review(self, path: str | Path, force: bool = False) -> Path:
        """Write the review workbook in which a person approves rows before upload."""
        self._never_an_input("review", path)
        written = write_review(self, path, force=force)
        self.outputs["review"] = str(path)
        return written

    def write_report(self, path: str | Path, force: bool = False) -> Path:
        """Write the risk summary report; HTML or Markdown by the file suffix."""
        self._never_an_input("report", path)
        fmt = report_format_for(path)
        self.outputs["report"] = str(path)
        text = render_report(self.report_context(), fmt)
        return atomic_write(path, lambda out: out.write(text), force=force, newline="\n")
