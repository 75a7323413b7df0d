"""The collector: the read-validate-assess loop of one run and what it gathers.

Rows stream: accepted rows go straight into a spooled flat-file body, rejected rows into a
rejects spool, and only compact per-row facts stay in memory (the batch index) for the batch
rules. A parallel worker fills a collector of its own, which `merge` appends in file order.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterable
from itertools import compress, repeat

from ..amazon import flatfile, policy
from ..assess import impact
from ..assess.fees import Fees
from ..enrich.join import Enricher
from ..options import Options
from ..read.table import Table, is_blank
from ..read.words import is_yes
from ..validate import row_marketplace
from ..validate.batch import COUNTING, RISKY, BatchIndex, Patches, pack
from ..validate.cleaning import clean
from ..validate.rows import _FLAT_CODES, DASHES, Record, RowValidator
from ..write import spool
from ..write.json_report import keep_record, record_dict
from ..write.records import RecordSpool

#: how many flagged and rejected records the risk report lists before it only counts
REPORT_CAP = 500
#: accepted lines buffered before one write
WRITE_BLOCK = 4096
#: rows between two progress calls: a power of two multiple of WRITE_BLOCK
PROGRESS_ROWS = 1 << 16


def is_fast(table: Table) -> bool:
    """Whether a table's canonical rows may take the fast path."""
    fields = table.fields
    return not impact.needs_record_rules(fields) and None not in (
        fields.get("amazon_order_item_code"),
        fields.get("reason"),
    )


_DIGITS = re.compile(r"([0-9]+)(?:\.0+)?")


def _item_lister(report):
    """(order id cell, item cell) -> the item code when the order report lists it for that
    order (digits, a `.0` of a numeric cell dropped), else None."""

    def listed(order_cell: str, item_cell: str) -> str | None:
        found = _DIGITS.fullmatch(clean(item_cell))
        if found is None:
            return None
        item = found.group(1)
        order = report.get(clean(order_cell).translate(DASHES))
        return item if order is not None and order.item(item) is not None else None

    return listed


class Collector:
    """Per-run state of the read-validate-assess loop: the batch index, the spooled flat
    body, rejects and records, and the counters."""

    def __init__(self, options: Options, workdir: str, enricher: Enricher | None = None) -> None:
        self.options = options
        self.workdir = workdir
        self.body_path = os.path.join(workdir, "flat.txt")
        self.rejects_path = os.path.join(workdir, "rejects.bin")
        self.records_path = os.path.join(workdir, "records.bin") if options.keep_records else None
        self.today = options.today or dt.date.today()
        self.enricher = enricher or Enricher()
        #: the cancellation-fee rules (India's), per marketplace
        self.fee_rules = Fees(options)
        #: sequence number -> estimated cancellation fee of that accepted row
        self.fees: dict[int, float] = {}
        self.index = BatchIndex(workdir)
        #: the marketplace of rows that name none (`--marketplace`)
        self.default_market = policy.marketplace(options.marketplace).code
        self.rejected_by_code: Counter = Counter()
        #: accepted rows (record path) whose marketplace a column, an option or an order
        #: report named; the others took the default marketplace (the summary says so)
        self.market_named = 0
        self.flagged: list[dict] = []
        self.rejected_listed: list[dict] = []
        # (reason, buyer requested) -> (facts byte, assessment): reasons are few
        self.known_facts: dict[tuple[str, bool], tuple[int, impact.Assessment]] = {}
        self.body = open(self.body_path, "w", encoding="ascii", newline="")  # noqa: SIM115
        self.rejects_spool = open(self.rejects_path, "wb")  # noqa: SIM115
        self.records_spool = RecordSpool(open(self.records_path or os.devnull, "wb"))  # noqa: SIM115

    def close(self) -> None:
        for stream in (self.body, self.rejects_spool, self.records_spool):
            stream.close()

    def facts_of(self, reason: str, requested: bool) -> tuple[int, impact.Assessment]:
        found = self.known_facts.get((reason, requested))
        if found is None:
            assessment = impact.assessment_for(reason or None, requested)
            facts = pack(reason or None, assessment.risk, assessment.counts_against_rate, requested)
            found = self.known_facts[(reason, requested)] = (facts, assessment)
        return found

    def read(
        self,
        table: Table,
        source_index: int,
        rows: Iterable[tuple[int, list[str]]] | None = None,
        number: int | None = None,
    ) -> int:
        """Validate, assess and collect a table's rows (or the given slice of them); returns
        how many rows were read."""
        loop = _Loop(self, table, source_index)
        rows = table.rows if rows is None else rows
        enricher = self.enricher
        if enricher.ledger is not None:
            # the ledger is asked about a block of rows ahead; `orders` is updated in place
            rows = enricher.ledger.prefetch(rows, loop.validate.i_order)
            loop.ledger_orders = enricher.ledger.orders
        start = len(self.index)
        loop.number = table.header_row if number is None else number
        try:
            if loop.fast:
                loop.fast_rows(rows)
            else:
                loop.record_rows(rows)
        except table.read_errors as exc:
            if table.explain is None:
                raise
            raise table.explain(exc, loop.number + 1) from exc
        loop.flush()
        return len(self.index) - start + loop.rejected

    # -- a parallel worker's half ---------------------------------------------------------
    def export(self) -> dict:
        """What `merge` needs of this (worker's) collector, to send to the main process; its
        files stay in its own folder."""
        index = self.index
        names = sorted(index.sku_names, key=index.sku_names.__getitem__)
        return {
            "workdir": self.workdir,
            "index": {
                "orders": index.orders,
                "item_facts": index.item_facts,
                "rows": index.rows,
                "skus": index.skus,
                "sku_names": names,
                "candidates": index.candidates,
                "adjacent": index.adjacent,
                "adjacent_counting": index.adjacent_counting,
                "markets": index.markets,
                "market_names": sorted(index.market_names, key=index.market_names.__getitem__),
            },
            "rejected_by_code": self.rejected_by_code,
            "flagged": self.flagged,
            "rejected_listed": self.rejected_listed,
            "market_named": self.market_named,
            "fees": self.fees,
        }

    def merge(self, half: dict) -> None:
        """Append an exported collector that read a later part of the same source."""
        self.body.flush()
        with open(os.path.join(half["workdir"], "flat.txt"), encoding="ascii", newline="") as body:
            shutil.copyfileobj(body, self.body, 1 << 20)
        with open(os.path.join(half["workdir"], "rejects.bin"), "rb") as rejects:
            shutil.copyfileobj(rejects, self.rejects_spool, 1 << 20)
        if self.records_path is not None:  # the records number on (write/records.py)
            self.records_spool.append_spool(os.path.join(half["workdir"], "records.bin"))
        offset = len(self.index)
        self.index.extend(**half["index"])
        self.fees.update({seq + offset: fee for seq, fee in half["fees"].items()})
        self.rejected_by_code.update(half["rejected_by_code"])
        self.market_named += half["market_named"]
        for entry in half["flagged"]:
            if len(self.flagged) < REPORT_CAP:
                entry["seq"] += offset
                self.flagged.append(entry)
        room = REPORT_CAP - len(self.rejected_listed)
        self.rejected_listed.extend(half["rejected_listed"][: max(0, room)])

    # -- after the batch rules ------------------------------------------------------------
    def apply_patches(self, patches: Patches, tables: list[Table]) -> None:
        """Drop duplicate and conflicting rows from the flat-file body; add the conflicting ones
        (with their original values, read again from the input) to the rejects spool."""
        index, body_path = self.index, self.body_path
        temp = body_path + ".new"
        with (
            open(body_path, encoding="ascii", newline="") as old,
            open(temp, "w", encoding="ascii", newline="") as new,
        ):
            new.write(flatfile.line_format().skip_header(old))
            new.writelines(compress(old, patches.keep_mask()))
        os.replace(temp, body_path)
        wanted: dict[int, dict[int, list[int]]] = {}
        for seq in patches.rejected():
            source = index.source_of(seq)
            wanted.setdefault(source, {}).setdefault(index.rows[seq], []).append(seq)
        rejected_listed = self.rejected_listed
        with open(self.rejects_path, "ab") as rejects:
            for source, by_row in wanted.items():
                reopen = tables[source].reopen
                assert reopen is not None, "every reader's table can be opened again"
                table = reopen()
                column = table.column_of("order_id")
                try:
                    for number, cells in table.rows:
                        for seq in by_row.get(number, ()):
                            patch = patches[seq]
                            cells = cells + [""] * (len(table.headers) - len(cells))
                            order_value = cells[table.fields["order_id"]]
                            problem = (patch.code, column, order_value, patch.message)
                            spool.append(rejects, (source, number, cells, [problem]))
                            if len(rejected_listed) < REPORT_CAP:
                                rejected_listed.append(
                                    {
                                        "source": table.source,
                                        "row": number,
                                        "values": dict(zip(table.headers, cells)),
                                        "errors": [
                                            dict(
                                                zip(("code", "column", "value", "message"), problem)
                                            )
                                        ],
                                    }
                                )
                finally:
                    table.close()

    def ledger_rows(self, patches: Patches, market: int | None = None):
        """The uploaded rows in file order, as the ledger records them: (order id, item code,
        reason, SKU, ASIN, counts against the rate); with `market`, only the rows of that
        marketplace number (see BatchIndex.market_id)."""
        index = self.index
        names = sorted(index.sku_names, key=index.sku_names.__getitem__)
        # the body holds the rows that were not patched away, in order: walk the columns
        # alongside
        markets = repeat(None) if market is None else index.markets
        kept: Iterable[tuple[int, int, int | None]] = zip(index.skus, index.item_facts, markets)
        if patches:
            kept = compress(kept, patches.keep_mask())
        fmt = flatfile.line_format()
        with open(self.body_path, encoding="ascii", newline="") as body:
            fmt.skip_header(body)
            for (sku, facts, number), line in zip(kept, body):
                if number != market:
                    continue
                order_id, reason, item = fmt.fields(line)
                yield (
                    order_id,
                    item or None,
                    reason or None,
                    names[sku] if sku >= 0 else None,
                    None,
                    bool(facts & COUNTING),
                )

    def kept_markets(self, patches: Patches):
        """The marketplace number of each row of the flat-file body, in file order."""
        if not patches:
            return iter(self.index.markets)
        return compress(self.index.markets, patches.keep_mask())


class _Loop:
    """One `Collector.read`: the row loop of one table (or slice). Rows already in
    canonical form take the fast path: the flat-file line format (amazon/flatfile.py)
    checks the whole output line with one pattern built from the model's own patterns.
    Every other row becomes a record (validate), is joined (enrich), placed in its
    marketplace (validate.market_column), assessed (assess) and its fee estimated
    (assess.fees); the rules are the stages', the loop only routes and collects."""

    def __init__(self, collector: Collector, table: Table, source_index: int) -> None:
        self.collector = collector
        self.table = table
        self.source_index = source_index
        self.validate = validate = RowValidator(table)
        enricher = collector.enricher
        if enricher.report is not None:
            # (RowValidator's two hooks are typed None until validate/rows.py annotates them)
            validate.resolver = enricher.resolve_item  # type: ignore[assignment]
            validate.item_lister = _item_lister(enricher.report)
        fields = table.fields
        self.i_requested = fields.get("buyer_requested")
        self.i_sku = fields.get("sku", fields.get("asin"))
        self.i_market = fields.get("marketplace")
        self.keep = collector.records_path is not None
        self.add = collector.index.adder()  # the one way a row is accepted, on both paths
        self.format = flatfile.line_format()
        self.lines: list[str] = []
        self.ledger_orders: set[str] = set()  # rows of these orders take the record path
        self.rejected = 0
        self.number = 0
        # progress is reported every PROGRESS_ROWS accepted rows on the fast path, or per
        # PROGRESS_ROWS rows on the record path, so the hot loop gains no per-row work
        self.reported = 0
        self.blocks = 0
        self.fast = is_fast(table) and enricher.report is None and not table.row_flags
        # the order-state risk a review recorded, per row; and a row with a price may owe
        # a cancellation fee (India): both take the record path
        self.fast = self.fast and not table.row_risk
        fees = collector.fee_rules.default
        self.fast = self.fast and not (fees is not None and "item_price" in fields)

    def flush(self) -> None:
        collector = self.collector
        collector.body.write("".join(self.lines))
        self.lines.clear()
        collector.index.spill_if_full()  # memory stays flat for any batch size

    # -- the fast path --------------------------------------------------------------------
    def fast_rows(self, rows: Iterable[tuple[int, list[str]]]) -> None:
        collector, validate = self.collector, self.validate
        index = collector.index
        add = self.add
        facts_of = collector.facts_of
        i_order, i_item, i_reason = validate.i_order, validate.i_item, validate.i_reason
        i_requested, i_sku, width = self.i_requested, self.i_sku, validate.width
        plain_market = index.market_id(collector.default_market)  # no marketplace named
        plain = {reason: facts_of(reason, False) for reason in (*_FLAT_CODES, "")}
        make_line, line_ok = self.format.make, self.format.canonical
        lines, ledger_orders, progress = self.lines, self.ledger_orders, self.progress_every
        keeper = _FastKeeper(self) if self.keep else None
        flagged, cap = collector.flagged, REPORT_CAP
        number = self.number
        try:
            for number, cells in rows:
                if len(cells) < width:
                    cells.extend([""] * (width - len(cells)))
                order_id = cells[i_order]
                if not order_id and is_blank(cells):
                    continue  # the usual blank row; one of spaces is caught below
                reason, item = cells[i_reason], cells[i_item]  # type: ignore[index]
                line = make_line(order_id, reason, item)
                if not line_ok(line) or (ledger_orders and order_id in ledger_orders):
                    self.number = number
                    self.record_row(number, cells)
                    continue
                if i_requested is None:
                    known = plain[reason]
                else:
                    known = facts_of(reason, is_yes(cells[i_requested]))
                sku = cells[i_sku].strip() if i_sku is not None else ""
                seq = add(order_id, item, known[0], number, sku, plain_market)
                lines.append(line)
                if len(lines) >= WRITE_BLOCK:
                    self.flush()
                    progress(number)
                if keeper is not None:
                    keeper.keep(seq, number, cells, known)
                elif known[0] & RISKY and len(flagged) < cap:
                    flagged.append(record_dict(validate.fast_record(number, cells, known[1]), seq))
        finally:
            self.number = number  # a read error names the row it reached

    def progress_every(self, number: int) -> None:
        """After a written block of the fast path: progress every PROGRESS_ROWS rows."""
        progress = self.collector.options.progress
        self.blocks += 1
        if progress is not None and not self.blocks % (PROGRESS_ROWS // WRITE_BLOCK):
            progress(self.table.source, number)

    # -- the record path ------------------------------------------------------------------
    def record_rows(self, rows: Iterable[tuple[int, list[str]]]) -> None:
        width = self.validate.width
        for number, cells in rows:
            self.number = number
            if len(cells) < width:
                cells.extend([""] * (width - len(cells)))
            self.record_row(number, cells)

    def record_row(self, number: int, cells: list[str]) -> None:
        """A row that is not canonical (or not on the fast path): the stages' rules."""
        if is_blank(cells):
            return
        collector = self.collector
        progress = collector.options.progress
        if progress is not None and number - self.reported >= PROGRESS_ROWS:
            self.reported = number
            progress(self.table.source, number)
        record = self.validate(number, cells)
        if self.i_market is not None:
            row_marketplace.check(record, self.i_market)
        row_flags = self.table.row_flags
        if row_flags and number in row_flags:
            record.flags.extend(row_flags[number])  # formula cells, review corrections
        if record.status == "accepted" and collector.enricher:
            collector.enricher.apply(record)
        if record.status == "accepted":
            entry = self._accept(number, record)
        else:
            entry = self._reject(number, record)
        if self.keep:
            keep_record(collector.records_spool, entry)

    def _market(self, record: Record) -> str | None:
        """The row's marketplace (validate.market_column), noted in its context."""
        collector = self.collector
        code, named = row_marketplace.resolve(
            record,
            self.i_market,
            collector.enricher.report,
            collector.default_market,
            collector.options.marketplace_given,
        )
        if code is not None:
            record.context["marketplace"] = code
            collector.market_named += named
        return code

    def _accept(self, number: int, record: Record) -> dict:
        collector = self.collector
        code = self._market(record)
        if record.status != "accepted":
            return self._reject(number, record)
        impact.assess(record, collector.today)
        row_risk = self.table.row_risk
        if row_risk and number in row_risk:
            record.risk = max(record.risk, row_risk[number], key=impact.RISK_ORDER.__getitem__)  # type: ignore[arg-type]
        if record.status != "accepted":  # an order state the checker refuses
            return self._reject(number, record)
        assert code is not None, "an accepted record has its marketplace"
        assert record.risk is not None and record.counts_against_rate is not None
        fee = collector.fee_rules.fee(record, code, collector.today)
        requested = is_yes(record.context.get("buyer_requested"))
        facts = pack(record.reason, record.risk, record.counts_against_rate, requested)
        sku = (record.context.get("sku") or record.context.get("asin") or "").strip()
        item = record.amazon_order_item_code
        index = collector.index
        seq = self.add(record.order_id, item, facts, number, sku, index.market_id(code))
        if fee is not None:
            collector.fees[seq] = fee
        self.lines.append(self.format.line(record.order_id, record.reason, item))
        if len(self.lines) >= WRITE_BLOCK:
            self.flush()
        entry = record_dict(record, seq)
        if code != collector.default_market:  # see Result.iter_records
            entry["marketplace"] = code
        if record.risk != "none" and len(collector.flagged) < REPORT_CAP:
            collector.flagged.append(entry)
        return entry

    def _reject(self, number: int, record: Record) -> dict:
        collector = self.collector
        self.rejected += 1
        for problem in record.errors:
            collector.rejected_by_code[problem.code] += 1
        errors = [(p.code, p.column, p.value, p.message) for p in record.errors]
        spool.append(collector.rejects_spool, (self.source_index, number, record.cells, errors))
        entry = record_dict(record, None, values=True)
        if len(collector.rejected_listed) < REPORT_CAP:
            collector.rejected_listed.append(entry)
        return entry


class _FastKeeper:
    """The records a fast-path run keeps (`--json`): a row with the same cells as the row
    before is the same record but its row, written without building it again."""

    def __init__(self, loop: _Loop) -> None:
        self.loop = loop
        self.spool = loop.collector.records_spool
        self.flagged = loop.collector.flagged
        self.last_cells: list[str] | None = None
        self.last_parts = (b"", b"")

    def keep(self, seq: int, number: int, cells: list[str], known: tuple) -> None:
        listed = known[0] & RISKY and len(self.flagged) < REPORT_CAP
        if not listed and cells == self.last_cells:
            self.spool.keep_same(self.last_parts, number)
            return
        record = self.loop.validate.fast_record(number, cells, known[1])
        entry = record_dict(record, seq)
        if listed:
            self.flagged.append(entry)
        self.last_parts = keep_record(self.spool, entry)
        self.last_cells = list(cells)
