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
from itertools import compress, repeat

from ..amazon import flatfile, policy
from ..assess import impact
from ..codes import Flag
from ..enrich.join import Enricher
from ..options import Options
from ..read.table import Table, is_blank
from ..read.words import is_yes
from ..validate import row_marketplace
from ..validate.batch import COUNTING, RISKY, BatchIndex, Patches, pack
from ..validate.cleaning import clean
from ..validate.rows import _FLAT_CODES, DASHES, RowValidator
from ..validate.rows import canonical_line_ok as _line_ok
from ..write import spool
from ..write.json_report import keep_record, keep_same_record, record_dict

#: how many flagged and rejected records the risk report lists before it only counts
REPORT_CAP = 500
#: accepted lines buffered before one write
_WRITE_BLOCK = 4096
#: rows between two progress calls: a power of two multiple of _WRITE_BLOCK
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
        market = policy.marketplace(options.marketplace, options.policy_overrides)
        #: India's cancellation fee, when the seller's referral-fee rate is known
        self.fee_rule = impact.fee_rule(market, options.referral_fee_rate)
        #: sequence number -> estimated cancellation fee of that accepted row
        self.fees: dict[int, float] = {}
        self.fee_rules: dict[str, impact.FeeRule | None] = {}
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
        self.records_spool = open(self.records_path or os.devnull, "wb")  # noqa: SIM115

    def close(self) -> None:
        for stream in (self.body, self.rejects_spool, self.records_spool):
            stream.close()

    def fee_rule_of(self, code: str) -> impact.FeeRule | None:
        """The cancellation-fee rule of a row's marketplace other than `--marketplace`."""
        if code not in self.fee_rules:
            market = policy.marketplace(code, self.options.policy_table.get(code))
            self.fee_rules[code] = impact.fee_rule(market, self.options.referral_fee_rate)
        return self.fee_rules[code]

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
        add = index.adder()  # the one way a row is accepted, on both paths below
        validate = RowValidator(table)
        fields = table.fields
        i_order = validate.i_order
        i_item, i_reason = validate.i_item, validate.i_reason
        i_requested = fields.get("buyer_requested")
        i_sku = fields.get("sku", fields.get("asin"))
        i_market = fields.get("marketplace")
        market_id, default_market = index.market_id, self.default_market
        report, market_given = self.enricher.report, self.options.marketplace_given
        plain_market = market_id(default_market)  # fast-path rows name no marketplace
        width = validate.width
        # Rows already in canonical form skip the model: one precompiled pattern (built from
        # the model's own patterns) checks the whole output line. A table with order-state
        # columns sends every row through the per-record rules.
        enricher, fee_rule = self.enricher, self.fee_rule
        # rows with formula cells are noted on the record path; such workbooks are small
        formula_rows, row_flags = table.formula_rows, table.row_flags
        row_risk = table.row_risk  # the order-state risk a review recorded, per row
        fast = is_fast(table) and enricher.report is None and not formula_rows and not row_flags
        fast = fast and not row_risk
        # a row with a price may owe a cancellation fee (India): the record path says so
        fast = fast and not (fee_rule is not None and "item_price" in table.fields)
        ledger_orders: set[str] = set()  # rows of these orders take the record path
        if enricher.ledger is not None:
            # the ledger is asked about a block of rows ahead; `orders` is updated in place
            rows = enricher.ledger.prefetch(rows, i_order)
            ledger_orders = enricher.ledger.orders
        if enricher.report is not None:
            validate.resolver = enricher.resolve_item
            validate.item_lister = _item_lister(enricher.report)
        plain = {reason: facts_of(reason, False) for reason in (*_FLAT_CODES, "")}
        lines: list[str] = []
        write_body = self.body.write
        # the cells of the last record kept on the fast path, and its JSON around the row
        last_cells: list[str] | None = None
        last_parts = (b"", b"")

        def flush() -> None:
            write_body("".join(lines))
            lines.clear()
            index.spill_if_full()  # memory stays flat for any batch size

        # progress is reported every PROGRESS_ROWS accepted rows on the fast path, or per
        # PROGRESS_ROWS rows on the record path, so the hot loop gains no per-row work
        progress = self.options.progress
        progress_lines = PROGRESS_ROWS // _WRITE_BLOCK
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
                        sku = cells[i_sku].strip() if i_sku is not None else ""
                        seq = add(order_id, item, facts, number, sku, plain_market)
                        lines.append(line)
                        if len(lines) >= _WRITE_BLOCK:
                            flush()
                            blocks += 1
                            if progress is not None and not blocks % progress_lines:
                                progress(table.source, number)
                        listed = facts & RISKY and len(flagged) < REPORT_CAP
                        if keep and not listed and cells == last_cells:
                            # the same cells as the row before: the same record but its row
                            keep_same_record(records_spool, seq, last_parts, number)
                        elif keep or listed:
                            entry = record_dict(validate.fast_record(number, cells, known[1]), seq)
                            if listed:
                                flagged.append(entry)
                            if keep:
                                last_parts = keep_record(records_spool, entry)
                                last_cells = list(cells)
                        continue
                if is_blank(cells):
                    continue
                if progress is not None and number - reported >= PROGRESS_ROWS:
                    reported = number
                    progress(table.source, number)
                record = validate(number, cells)
                if i_market is not None:
                    row_marketplace.check(record, i_market)
                if formula_rows and number in formula_rows:
                    columns = ", ".join(f"{letter}{number}" for letter in formula_rows[number])
                    record.flags.append(
                        Flag(
                            "formula_cell",
                            f"cell(s) {columns} held a formula: its last calculated value was "
                            "used, never evaluated",
                        )
                    )
                if row_flags and number in row_flags:
                    record.flags.extend(row_flags[number])
                if record.status == "accepted" and enricher:
                    enricher.apply(record)
                if record.status == "accepted":
                    code, named = row_marketplace.resolve(
                        record, i_market, report, default_market, market_given
                    )
                    if code is not None:
                        record.context["marketplace"] = code
                        self.market_named += named
                if record.status == "accepted":
                    impact.assess(record, today)
                    if row_risk and number in row_risk:
                        record.risk = max(
                            record.risk, row_risk[number], key=impact.RISK_ORDER.__getitem__
                        )
                if record.status == "accepted":
                    # the fee is the row's own marketplace's (India's), whatever --marketplace says
                    rule = fee_rule if code == default_market else self.fee_rule_of(code)
                    fee = rule.apply(record, today) if rule is not None else None
                    requested = is_yes(record.context.get("buyer_requested"))
                    facts = pack(record.reason, record.risk, record.counts_against_rate, requested)
                    sku = (record.context.get("sku") or record.context.get("asin") or "").strip()
                    item = record.amazon_order_item_code
                    seq = add(record.order_id, item, facts, number, sku, market_id(code))
                    if fee is not None:
                        self.fees[seq] = fee
                    lines.append(flatfile.data_line(record.order_id, record.reason, item))
                    if len(lines) >= _WRITE_BLOCK:
                        flush()
                    entry = record_dict(record, seq)
                    if code != default_market:  # see Result.iter_records
                        entry["marketplace"] = code
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
                    keep_record(records_spool, entry)
        except table.read_errors as exc:
            raise table.explain(exc, number + 1) from exc
        flush()
        return len(index) - start + rejected

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
            new.write(old.readline())
            new.write(old.readline())
            new.writelines(compress(old, patches.keep_mask()))
        os.replace(temp, body_path)
        wanted: dict[int, dict[int, list[int]]] = {}
        for seq in patches.rejected():
            source = index.source_of(seq)
            wanted.setdefault(source, {}).setdefault(index.rows[seq], []).append(seq)
        rejected_listed = self.rejected_listed
        with open(self.rejects_path, "ab") as rejects:
            for source, by_row in wanted.items():
                table = tables[source].reopen()
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
        kept = zip(index.skus, index.item_facts, markets)
        if patches:
            kept = compress(kept, patches.keep_mask())
        with open(self.body_path, encoding="ascii", newline="") as body:
            body.readline()
            body.readline()
            for (sku, facts, number), line in zip(kept, body):
                if number != market:
                    continue
                order_id, reason, item = line[:-2].split("\t")
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
