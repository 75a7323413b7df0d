"""The pipeline: read, validate, assess and collect, producing one `Result`.

Every entry point (CLI commands, the Python API) runs this one function. Rows stream: the
accepted rows go straight into a spooled flat-file body, rejected rows into a rejects
spool, and only compact per-row facts stay in memory for the batch rules.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import compress
from itertools import count as numbers

from ..amazon import flatfile, policy
from ..assess import impact
from ..codes import Flag
from ..enrich.join import Enricher
from ..errors import InputError
from ..read.tables import Limits, Table, is_blank, open_input, read_rows, remove_spool
from ..read.words import is_yes
from ..validate.rows import (
    _FLAT_CODES,
    COUNTING,
    RISKY,
    SLOT_PRIME,
    BatchIndex,
    Patch,
    RowValidator,
    pack,
    unpack,
)
from ..validate.rows import canonical_line_ok as _line_ok
from ..validate.spill import SPILL_ROWS
from ..write import spool
from ..write.result import Result, record_dict
from . import parallel

#: how many flagged and rejected records the risk report lists before it only counts
REPORT_CAP = 500


@dataclass
class Options:
    """Everything a run can be told; the CLI and the API fill it the same way."""

    sheet: str | None = None
    marketplace: str = "US"
    orders_in_window: int | None = None
    cancels_in_window: int | None = None
    fail_on: str = "none"
    keep_records: bool = True
    today: dt.date | None = None
    policy_overrides: dict = field(default_factory=dict)
    orders_source: str | None = None
    cancels_source: str | None = None
    #: a review workbook whose approved rows are the input (see workbook.read_review)
    from_review: str | None = None
    #: Amazon order reports joined by order id
    orders_reports: list[str] = field(default_factory=list)
    #: the ledger file (None: no ledger); read here, written by `generate` only
    ledger: str | None = None
    #: size limits for reading inputs (None: the defaults of sources.py)
    limits: Limits | None = None
    #: called as `progress(source, row_number)` about every PROGRESS_ROWS rows (the CLI's
    #: progress line); a large file's second half calls it from the parallel reader's worker
    progress: Callable[[str, int], None] | None = None


@dataclass
class History:
    """What the order reports and the ledger add to the batch metrics."""

    orders_in_window: int | None = None
    orders_source: str | None = None
    cancels_in_window: int | None = None
    cancels_source: str | None = None
    listings: dict = field(default_factory=dict)  # sku -> (count, [order ids]) of 30 days


def load_context(options: Options, market) -> tuple[Enricher, History]:
    """Load the order reports and the ledger history a run joins onto its records."""
    history = History()
    report = None
    if options.orders_reports:
        from ..enrich import orders_report

        report = orders_report.load(options.orders_reports)
        window = report.orders_in_window(market.window_days)
        if window is not None:
            count, start, end = window
            history.orders_in_window = count
            history.orders_source = (
                f"order report: {count} orders purchased {start:%Y-%m-%d %H:%M} to "
                f"{end:%Y-%m-%d %H:%M} UTC"
            )
    known = None
    if options.ledger and os.path.exists(options.ledger):
        from ..ledger.store import Ledger

        now = dt.datetime.now(dt.timezone.utc)
        with Ledger.open(options.ledger, create=False) as ledger:
            known = ledger.known()
            history.cancels_in_window = ledger.seller_cancels_in_window(now, market.window_days)
            history.cancels_source = "ledger (confirmed batches)"
            history.listings = ledger.listing_cancellations(now, policy.LISTING_WINDOW_DAYS)
    elif options.ledger:
        history.cancels_in_window, history.cancels_source = 0, "ledger (no batches yet)"
    return Enricher(report, known), history


def open_tables(
    paths: Sequence[str],
    rows: Iterable | None,
    sheet: str | None,
    review: str | None = None,
    limits: Limits | None = None,
) -> list[Table]:
    tables = []
    try:
        tables.extend(open_input(str(p), sheet, limits=limits) for p in paths)
        if rows is not None:
            tables.append(read_rows(rows))
        if review is not None:
            from ..write.workbook import read_review

            tables.append(read_review(review))
    except BaseException:
        for table in tables:
            remove_spool(table)
        raise
    if not tables:
        raise InputError(
            "no input given: name a CSV/TSV/xlsx file, '-' for stdin, or rows", code="no_input"
        )
    if len({t.source for t in tables}) < len(tables):
        raise InputError("the same input is named twice", code="input_twice")
    return tables


def run(paths: Sequence[str] = (), rows: Iterable | None = None, options: Options | None = None):
    """Run the whole pipeline on files and/or in-memory rows; returns a `Result`."""
    options = options or Options()
    market = policy.marketplace(options.marketplace, options.policy_overrides)
    enricher, history = load_context(options, market)
    tables = open_tables(paths, rows, options.sheet, options.from_review, options.limits)
    workdir = tempfile.mkdtemp(prefix="cancelkit-")
    try:
        return _run(tables, options, market, workdir, enricher, history)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    finally:
        for table in tables:
            table.close()
            remove_spool(table)


#: accepted lines buffered before one write
_WRITE_BLOCK = 4096
#: rows between two progress calls: a power of two multiple of _WRITE_BLOCK
PROGRESS_ROWS = 1 << 16
_PROGRESS_BLOCKS = PROGRESS_ROWS // _WRITE_BLOCK


class _Collector:
    """Per-run state of the read-validate-assess loop: the batch index, the spooled flat
    body, rejects and records, and the counters. A parallel worker fills its own and the
    main process merges it (see `_parallel`)."""

    def __init__(self, options: Options, workdir: str, enricher: Enricher | None = None) -> None:
        self.options = options
        self.workdir = workdir
        self.body_path = os.path.join(workdir, "flat.txt")
        self.rejects_path = os.path.join(workdir, "rejects.bin")
        self.records_path = os.path.join(workdir, "records.bin") if options.keep_records else None
        self.today = options.today or dt.date.today()
        self.enricher = enricher or Enricher()
        self.index = BatchIndex(workdir)
        self.rejected_by_code: Counter = Counter()
        self.flagged: list[dict] = []
        self.rejected_listed: list[dict] = []
        # (reason, buyer requested) -> (facts byte, assessment): reasons are few
        self.known_facts: dict[tuple[str, bool], tuple[int, impact.Assessment]] = {}
        self.body = open(self.body_path, "w", encoding="ascii", newline="")  # noqa: SIM115
        self.rejects_spool = open(self.rejects_path, "wb")  # noqa: SIM115
        self.records_spool = open(self.records_path or os.devnull, "wb")  # noqa: SIM115

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

    def read(self, table: Table, source_index: int, rows=None, number: int | None = None) -> int:
        """Validate, assess and collect a table's rows (or the given slice of them); returns
        how many rows were read."""
        rows = table.rows if rows is None else rows
        keep = self.records_path is not None
        dump = spool.append
        flagged, rejected_listed = self.flagged, self.rejected_listed
        rejected_by_code = self.rejected_by_code
        facts_of, today = self.facts_of, self.today
        rejects_spool, records_spool = self.rejects_spool, self.records_spool
        index = self.index
        validate = RowValidator(table)
        fields = table.fields
        i_order = validate.i_order
        i_item, i_reason = validate.i_item, validate.i_reason
        i_requested = fields.get("buyer_requested")
        i_sku = fields.get("sku", fields.get("asin"))
        width = validate.width
        # Rows already in canonical form skip the model: one precompiled pattern (built from
        # the model's own patterns) checks the whole output line. A table with order-state
        # columns sends every row through the per-record rules.
        enricher = self.enricher
        # rows with formula cells are noted on the record path; such workbooks are small
        formula_rows = table.formula_rows
        fast = is_fast(table) and enricher.report is None and not formula_rows
        ledger_orders = enricher.ledger_orders  # rows of these orders take the record path
        if enricher.report is not None:
            validate.resolver = enricher.resolve_item
        plain = {reason: facts_of(reason, False) for reason in (*_FLAT_CODES, "")}
        # the columns' in-memory buffers; `base` rows of them are already on disk
        orders, item_facts = index.orders.buffer, index.item_facts.buffer
        row_numbers, sku_ids, sku_names = index.rows.buffer, index.skus.buffer, index.sku_names
        base = index.orders.spilled
        bitmap, add_candidate = index.bitmap, index.candidates.add
        adjacent_append = index.adjacent.append
        adjacent_counting_append = index.adjacent_counting.append
        run_order, run_items, run_counting = None, set(), False
        lines: list[str] = []
        flush = self.body.write
        # progress is reported at block flushes (fast path) or per PROGRESS_ROWS rows (record
        # path), so the hot loop gains no per-row work
        progress = self.options.progress
        blocks, reported = 0, 0
        start = len(index)
        rejected = 0
        number = table.header_row if number is None else number
        try:
            for number, cells in rows:
                if len(cells) < width:
                    cells.extend([""] * (width - len(cells)))
                order_id = cells[i_order]
                if not order_id and is_blank(cells):
                    continue  # the usual blank row; one of spaces is caught below
                if fast:
                    reason = cells[i_reason]
                    item = cells[i_item]
                    line = f"{order_id}\t{reason}\t{item}\r\n"
                    if _line_ok(line) and not (ledger_orders and order_id in ledger_orders):
                        if i_requested is None:
                            known = plain[reason]
                        else:
                            known = facts_of(reason, is_yes(cells[i_requested]))
                        facts = known[0]
                        # BatchIndex.add, inlined: this loop runs once per row of the batch
                        order = int(order_id.replace("-", ""))
                        item_code = int(item) if item else 0
                        seq = base + len(orders)
                        if order == run_order:
                            # another item of the order on the row before: a multi-item
                            # order needs no grouping at the end unless it repeats an item
                            if item_code and item_code not in run_items and 0 not in run_items:
                                run_items.add(item_code)
                                adjacent_append(seq)
                                if facts & COUNTING:
                                    if run_counting:
                                        adjacent_counting_append(seq)
                                    run_counting = True
                            else:
                                add_candidate(order)
                        else:
                            run_order, run_items = order, {item_code}
                            run_counting = bool(facts & COUNTING)
                            slot = order % SLOT_PRIME
                            bit = 1 << (slot & 7)
                            slot >>= 3
                            if bitmap[slot] & bit:
                                add_candidate(order)
                            else:
                                bitmap[slot] |= bit
                        orders.append(order)
                        item_facts.append(item_code << 8 | facts)
                        row_numbers.append(number)
                        if i_sku is not None:
                            sku = cells[i_sku].strip()
                            sku_ids.append(sku_names.setdefault(sku, len(sku_names)) if sku else -1)
                        else:
                            sku_ids.append(-1)
                        lines.append(line)
                        if len(lines) >= _WRITE_BLOCK:
                            flush("".join(lines))
                            lines.clear()
                            if len(orders) >= SPILL_ROWS:
                                index.spill()  # memory stays flat for any batch size
                                base = index.orders.spilled
                            blocks += 1
                            if progress is not None and not blocks % _PROGRESS_BLOCKS:
                                progress(table.source, number)
                        if keep or facts & RISKY and len(flagged) < REPORT_CAP:
                            entry = record_dict(validate.fast_record(number, cells, known[1]), seq)
                            if facts & RISKY and len(flagged) < REPORT_CAP:
                                flagged.append(entry)
                            if keep:
                                dump(records_spool, entry)
                        continue
                if is_blank(cells):
                    continue
                if progress is not None and number - reported >= PROGRESS_ROWS:
                    reported = number
                    progress(table.source, number)
                record = validate(number, cells)
                if formula_rows and number in formula_rows:
                    columns = ", ".join(f"{letter}{number}" for letter in formula_rows[number])
                    record.flags.append(
                        Flag(
                            "formula_cell",
                            f"cell(s) {columns} held a formula: its last calculated value was "
                            "used, never evaluated",
                        )
                    )
                if record.status == "accepted" and enricher:
                    enricher.apply(record)
                if record.status == "accepted":
                    impact.assess(record, today)
                if record.status == "accepted":
                    requested = is_yes(record.context.get("buyer_requested"))
                    facts = pack(record.reason, record.risk, record.counts_against_rate, requested)
                    sku = (record.context.get("sku") or record.context.get("asin") or "").strip()
                    seq = index.add(
                        record.order_id,
                        record.amazon_order_item_code,
                        facts,
                        number,
                        index.sku_id(sku),
                    )
                    item = record.amazon_order_item_code
                    lines.append(flatfile.data_line(record.order_id, record.reason, item))
                    if len(lines) >= _WRITE_BLOCK:
                        flush("".join(lines))
                        lines.clear()
                        if len(orders) >= SPILL_ROWS:
                            index.spill()
                            base = index.orders.spilled
                    entry = record_dict(record, seq)
                    if record.risk != "none" and len(flagged) < REPORT_CAP:
                        flagged.append(entry)
                else:
                    rejected += 1
                    for problem in record.errors:
                        rejected_by_code[problem.code] += 1
                    errors = [(p.code, p.column, p.value, p.message) for p in record.errors]
                    dump(rejects_spool, (source_index, number, record.cells, errors))
                    entry = record_dict(record, None, values=True)
                    if len(rejected_listed) < REPORT_CAP:
                        rejected_listed.append(entry)
                if keep:
                    dump(records_spool, entry)
        except table.read_errors as exc:
            raise table.explain(exc, number + 1) from exc
        flush("".join(lines))
        return len(index) - start + rejected


def is_fast(table: Table) -> bool:
    """Whether a table's canonical rows may take the fast path."""
    fields = table.fields
    return not impact.needs_record_rules(fields) and None not in (
        fields.get("amazon_order_item_code"),
        fields.get("reason"),
    )


def _run(tables: list[Table], options: Options, market, workdir: str, enricher, history) -> Result:
    collector = _Collector(options, workdir, enricher)
    inputs = []
    try:
        collector.body.write(flatfile.HEADER_LINES)
        for source_index, table in enumerate(tables):
            collector.index.start_source()
            try:
                split = parallel.plan(table, options)
                if split is not None:
                    input_rows = parallel.read(collector, table, source_index, split)
                else:
                    input_rows = collector.read(table, source_index)
            finally:
                table.close()
            if input_rows == 0:
                raise InputError(
                    f"{table.source}: no data rows below the header row", code="no_data_rows"
                )
            inputs.append({"path": table.source, "sha256": table.digest(), "rows": input_rows})
    finally:
        collector.close()
    return _finish(tables, options, market, collector, inputs, history)


def _finish(tables, options, market, collector: _Collector, inputs, history: History) -> Result:
    """Apply the batch rules and count everything up."""
    index, workdir = collector.index, collector.workdir
    body_path, rejects_path = collector.body_path, collector.rejects_path
    rejected_by_code, flagged = collector.rejected_by_code, collector.flagged
    rejected_listed, records_path = collector.rejected_listed, collector.records_path
    input_rows = sum(i["rows"] for i in inputs)
    rejected = input_rows - len(index)

    def where(seq: int) -> str:
        return f"{tables[index.source_of(seq)].source} row {index.rows[seq]}"

    facts_of = index.facts
    # facts byte -> rows (before the batch rules), counted at C speed
    raw_facts = Counter(map((255).__and__, index.item_facts))
    counting_rows = sum(n for f, n in raw_facts.items() if f & COUNTING)
    patches, orders, counting_orders = index.resolve(where, counting_rows)
    facts_count = raw_facts.copy()
    duplicates = 0
    for seq, patch in patches.items():
        facts_count[facts_of(seq)] -= 1
        if patch.status == "duplicate":
            duplicates += 1
        else:
            rejected += 1
            rejected_by_code[patch.code] += 1
    accepted = len(index) - len(patches)
    by_reason: Counter = Counter()
    risk_counts: Counter = Counter()
    flag_codes: set[str] = set()
    counting_rows = 0
    for facts, count in facts_count.items():
        if count <= 0:
            continue
        reason, risk, counting, requested = unpack(facts)
        by_reason[reason or "(whole order)"] += count
        risk_counts[risk] += count
        counting_rows += count if counting else 0
        flag_codes.update(f.code for f in impact.assessment_for(reason, requested).flags)
    for entry in flagged:
        flag_codes.update(f["code"] for f in entry["flags"])
    if patches:
        _apply_patches(body_path, patches, tables, index, rejects_path, rejected_listed)
        flagged = [r for r in flagged if r["seq"] not in patches]
    # an explicit figure (option or config) wins over the order report and the ledger
    orders_in_window, orders_source = options.orders_in_window, options.orders_source
    if orders_in_window is None:
        orders_in_window, orders_source = history.orders_in_window, history.orders_source
    cancels_in_window, cancels_source = options.cancels_in_window, options.cancels_source
    if cancels_in_window is None:
        cancels_in_window, cancels_source = history.cancels_in_window, history.cancels_source
    metrics = impact.project_rate(counting_orders, orders_in_window, cancels_in_window, market)
    metrics["orders_source"] = orders_source if orders_in_window else None
    metrics["cancels_source"] = cancels_source if cancels_in_window is not None else None
    flagged_total = sum(risk_counts[level] for level in ("high", "medium", "low"))
    summary = {
        "input_rows": input_rows,
        "accepted": accepted,
        "rejected": rejected,
        "duplicates": duplicates,
        "orders": orders,
        "counts_against_rate": counting_rows,
        "counting_orders": counting_orders,
        "risk": {level: risk_counts.get(level, 0) for level in reversed(policy.RISK_LEVELS)},
        "by_reason": dict(by_reason.most_common()),
        "rejected_by_code": dict(rejected_by_code.most_common()),
        # rows of a review workbook that nobody approved: not input rows, not uploaded
        "skipped_unapproved": sum(len(getattr(t, "skipped", ())) for t in tables),
    }
    if input_rows != accepted + rejected + duplicates:
        raise AssertionError(f"row accounting is off: {summary}")
    listing_risks = _listing_risks(index, patches, history.listings)
    index.close()  # the files the random look-ups opened
    return Result(
        workdir=workdir,
        inputs=inputs,
        summary=summary,
        metrics=metrics,
        listing_risks=listing_risks,
        ledger_rows=lambda: _ledger_rows(body_path, index, patches),
        patches=patches,
        flagged=flagged,
        flagged_more=max(0, flagged_total - len(flagged)),
        rejected_listed=rejected_listed,
        flag_codes=sorted(flag_codes),
        headers=[t.headers for t in tables],
        sources=[t.source for t in tables],
        options=options,
        market=market,
        records_path=records_path,
    )


#: order ids listed per listing at risk (the count is always complete)
LISTED_ORDERS = 20


def _listing_risks(index: BatchIndex, patches: dict, earlier: dict) -> list[dict]:
    """Listings (SKU, or ASIN) with enough counting cancellations, in this batch and in the
    ledger's confirmed batches of the last 30 days, to risk deactivation."""
    counts: Counter = Counter()
    if index.sku_names:
        counting = map(COUNTING.__and__, index.item_facts)
        counts.update(compress(index.skus, counting))
        for seq in patches:
            if index.facts(seq) & COUNTING:
                counts[index.skus[seq]] -= 1
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
    wanted = {index.sku_names[sku]: sku for sku in risky if sku in index.sku_names}
    # a listing is complete with LISTED_ORDERS ids, or all of its orders: stop scanning
    # once every listing is
    target = {sku: min(LISTED_ORDERS, totals[sku]) for sku in risky}
    open_slots = sum(1 for sku in wanted.values() if len(orders[sku]) < target[sku])
    skus = index.skus
    for seq in compress(numbers(), map(wanted.__contains__, skus)):
        if not open_slots:
            break
        if seq not in patches and index.item_facts[seq] & COUNTING:
            sku = wanted[skus[seq]]
            listed = orders[sku]
            if len(listed) < target[sku]:
                listed[_order_text(index.orders[seq])] = None
                if len(listed) == target[sku]:
                    open_slots -= 1
    found = [
        {"sku": sku, "seller_cancellations_30d": totals[sku], "order_ids": list(orders[sku])}
        for sku in risky
    ]
    found.sort(key=lambda r: (-r["seller_cancellations_30d"], r["sku"]))
    return found


def _ledger_rows(body_path: str, index: BatchIndex, patches: dict):
    """The uploaded rows in file order, as the ledger records them."""
    names = sorted(index.sku_names, key=index.sku_names.__getitem__)
    # the body holds the rows that were not patched away, in order: walk the columns alongside
    kept = (
        (sku, facts)
        for seq, (sku, facts) in enumerate(zip(index.skus, index.item_facts))
        if seq not in patches
    )
    with open(body_path, encoding="ascii", newline="") as body:
        body.readline()
        body.readline()
        for (sku, facts), line in zip(kept, body):
            order_id, reason, item = line[:-2].split("\t")
            yield (
                order_id,
                item or None,
                reason or None,
                names[sku] if sku >= 0 else None,
                None,
                bool(facts & COUNTING),
            )


def _order_text(order: int) -> str:
    digits = f"{order:017d}"
    return f"{digits[:3]}-{digits[3:10]}-{digits[10:]}"


def _apply_patches(
    body_path: str,
    patches: dict[int, Patch],
    tables: list[Table],
    index: BatchIndex,
    rejects_path: str,
    rejected_listed: list[dict],
) -> None:
    """Drop duplicate and conflicting rows from the flat-file body; add the conflicting ones
    (with their original values, read again from the input) to the rejects spool."""
    temp = body_path + ".new"
    with (
        open(body_path, encoding="ascii", newline="") as old,
        open(temp, "w", encoding="ascii", newline="") as new,
    ):
        new.write(old.readline())
        new.write(old.readline())
        for seq, line in enumerate(old):
            if seq not in patches:
                new.write(line)
    os.replace(temp, body_path)
    wanted: dict[int, dict[int, list[int]]] = {}
    for seq, patch in patches.items():
        if patch.status == "rejected":
            source = index.source_of(seq)
            wanted.setdefault(source, {}).setdefault(index.rows[seq], []).append(seq)
    with open(rejects_path, "ab") as rejects:
        for source, by_row in wanted.items():
            table = tables[source].reopen()
            try:
                for number, cells in table.rows:
                    for seq in by_row.get(number, ()):
                        patch = patches[seq]
                        cells = cells + [""] * (len(table.headers) - len(cells))
                        order_value = cells[table.fields["order_id"]]
                        column = table.headers[table.fields["order_id"]]
                        problem = (patch.code, column, order_value, patch.message)
                        spool.append(rejects, (source, number, cells, [problem]))
                        if len(rejected_listed) < REPORT_CAP:
                            rejected_listed.append(
                                {
                                    "source": table.source,
                                    "row": number,
                                    "values": dict(zip(table.headers, cells)),
                                    "errors": [
                                        dict(zip(("code", "column", "value", "message"), problem))
                                    ],
                                }
                            )
            finally:
                table.close()
