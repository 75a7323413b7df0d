"""The pipeline: read -> validate -> enrich -> assess -> collect, producing one `Result`.

Every entry point (CLI commands, the Python API, the review round trip) runs this one
function; the collector (collector.py) holds the per-row loop.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

from ..amazon import flatfile, policy
from ..assess import impact
from ..assess.listings import listing_risks
from ..assess.market_shares import main_market
from ..enrich.context import History, load_context
from ..errors import InputError
from ..ledger.blocks import Packed
from ..ledger.schema import Row
from ..options import Options
from ..read import scratch
from ..read.guards import Limits
from ..read.identity import file_identity
from ..read.inputs import open_input, remove_spool
from ..read.rows import read_rows
from ..read.table import Table
from ..review.reader import REFUSED_CODES, read_review
from ..validate.batch import COUNTING, Patches, unpack
from ..write.result import Result
from ..write.run_data import RunData, Summary
from . import parallel
from .collector import Collector
from .market_split import split_markets
from .packed_rows import packed_rows


def open_tables(
    paths: Sequence[str],
    rows: Iterable | None,
    sheet: str | None,
    review: str | None = None,
    limits: Limits | None = None,
    options: Options | None = None,
) -> list[Table]:
    if sum(1 for p in paths if str(p) == "-") > 1:
        # standard input can be read once: the second "-" would read an empty stream
        raise InputError("the same input is named twice: <stdin> (-)", code="input_twice")
    if review is not None and (list(paths) or rows is not None):
        named = ", ".join(map(str, paths)) or "rows="
        raise InputError(
            f"--from-review {review} together with the plain input(s) {named}: a run that "
            "names a review uploads only rows approved in it; run the plain inputs through "
            "`cancelkit review` (or without --from-review) separately",
            code="review_with_inputs",
        )
    tables: list[Table] = []
    try:
        tables.extend(open_input(str(p), sheet, limits=limits) for p in paths)
        if rows is not None:
            tables.append(read_rows(rows))
        if review is not None:
            tables.append(
                read_review(
                    review,
                    limits,
                    recheck=bool(options and options.orders_reports),
                    max_age_hours=options.report_max_age_hours if options else 24.0,
                )
            )
    except BaseException:
        for table in tables:
            table.close()
            remove_spool(table)
        raise
    if not tables:
        raise InputError(
            "no input given: name a CSV/TSV/xlsx file, '-' for stdin, or rows", code="no_input"
        )
    seen: dict[object, str] = {}
    for table in tables:
        # the same file under two spellings (a symlink, dir/../) is the same input
        found = file_identity(table.path) if table.path else None
        key = found if found is not None else table.source
        if key in seen:
            twice = table.source if seen[key] == table.source else f"{seen[key]} and {table.source}"
            for opened in tables:
                opened.close()
            raise InputError(f"the same input is named twice: {twice}", code="input_twice")
        seen[key] = table.source
    return tables


def run(
    paths: Sequence[str] = (), rows: Iterable | None = None, options: Options | None = None
) -> Result:
    """Run the whole pipeline on files and/or in-memory rows; returns a `Result`."""
    options = options or Options()
    scratch.remove_abandoned()  # what killed runs left in the temporary folder
    market = policy.marketplace(options.marketplace, options.policy_overrides)
    tables = open_tables(paths, rows, options.sheet, options.from_review, options.limits, options)
    try:
        enricher, history = load_context(options, market, tables)
    except BaseException:
        for table in tables:
            table.close()
            remove_spool(table)
        raise
    workdir = scratch.make_workdir()
    try:
        collector = Collector(options, workdir, enricher)
        try:
            inputs = _collect(tables, options, collector)
        finally:
            enricher.close()  # the ledger look-ups are done
        return _finish(tables, options, market, collector, inputs, history)
    except BaseException:
        scratch.remove_workdir(workdir)
        raise
    finally:
        for table in tables:
            table.close()
            remove_spool(table)


def _collect(tables: list[Table], options: Options, collector: Collector) -> list[dict]:
    """Read every table into the collector; returns the inputs' path, sha256 and rows."""
    inputs = []
    try:
        collector.body.write(flatfile.line_format().header)
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
            entry: dict[str, object] = {
                "path": table.source,
                "sha256": table.digest(),
                "rows": input_rows,
            }
            if table.dropped_columns:
                entry["personal_columns_dropped"] = table.dropped_columns
            inputs.append(entry)
    finally:
        collector.close()
    return inputs


def _finish(
    tables: list[Table],
    options: Options,
    market: policy.Marketplace,
    collector: Collector,
    inputs: list[dict],
    history: History,
) -> Result:
    """Apply the batch rules and count everything up."""
    index = collector.index
    rejected_by_code, flagged = collector.rejected_by_code, collector.flagged
    input_rows = sum(i["rows"] for i in inputs)
    rejected = input_rows - len(index)

    def where(seq: int) -> str:
        return f"{tables[index.source_of(seq)].source} row {index.rows[seq]}"

    # facts byte -> rows (before the batch rules), counted at C speed
    raw_facts = Counter(map((255).__and__, index.item_facts))
    counting_rows = sum(n for f, n in raw_facts.items() if f & COUNTING)
    patches, orders, counting_orders = index.resolve(where, counting_rows)
    facts_count = raw_facts.copy()
    facts_count.subtract(patches.facts)  # facts of the patched rows, counted as patched
    duplicates = patches.duplicates
    for patch in patches.rejected().values():
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
        collector.apply_patches(patches, tables)
        flagged = [r for r in flagged if r["seq"] not in patches]
    figures = options.window_figures(
        (history.orders_in_window, history.orders_source),
        (history.cancels_in_window, history.cancels_source),
    )
    long_figures = None
    if market.long_window_days:
        long_figures = options.window_figures(
            history.orders_long, history.cancels_long, long_window=True
        )
    flagged_total = sum(risk_counts[level] for level in ("high", "medium", "low"))
    summary = Summary(
        input_rows=input_rows,
        accepted=accepted,
        rejected=rejected,
        duplicates=duplicates,
        orders=orders,
        counts_against_rate=counting_rows,
        counting_orders=counting_orders,
        risk={level: risk_counts.get(level, 0) for level in reversed(policy.RISK_LEVELS)},
        by_reason=dict(by_reason.most_common()),
        rejected_by_code=dict(rejected_by_code.most_common()),
        skipped_unapproved=sum(len(t.skipped) for t in tables),
        skipped_by_code=dict(Counter(e["code"] for t in tables for e in t.skipped)),
        personal_columns_dropped=list(dict.fromkeys(c for t in tables for c in t.dropped_columns)),
    )
    # the fee rule of --marketplace, else of the rows' own marketplace (India has the one rule)
    fee_rule = collector.fee_rules.any()
    if fee_rule is not None:
        summary.cancellation_fees = _fee_summary(collector, patches, fee_rule)
    if options.orders_reports:
        # each order report's age (stale or not) and columns; lines that could not be read
        summary.order_reports = history.order_reports
        summary.order_report_problems = history.report_problems
    if input_rows != accepted + rejected + duplicates:
        raise AssertionError(f"row accounting is off: {summary.to_json()}")
    risks = listing_risks(index, patches, history.listings)
    markets = split_markets(collector, patches, options)
    summary.marketplace_notes = marketplace_notes(
        options, [b.market for b in markets] or [market], len(index) - collector.market_named
    )
    if markets:  # the JSON's `metrics` describe the marketplace with most counting orders
        main = main_market(markets)
        market, figures = main.market, main.figures
    index.close()  # the files the random look-ups opened
    data = RunData(
        workdir=collector.workdir,
        inputs=inputs,
        summary=summary,
        figures=figures,
        long_figures=long_figures,
        listing_risks=risks,
        rows=_BatchRows(collector, patches),
        markets=markets,
        patches=patches,
        flagged=flagged,
        flagged_more=max(0, flagged_total - len(flagged)),
        rejected_listed=collector.rejected_listed,
        flag_codes=sorted(flag_codes),
        tables=tables,
        options=options,
        market=market,
        records_path=collector.records_path,
        earlier_listings={sku: count for sku, (count, _) in history.listings.items()},
        review_refused=[
            {key: entry[key] for key in ("row", "order_id", "code", "why", "cell") if key in entry}
            for t in tables
            for entry in t.skipped
            if entry["code"] in REFUSED_CODES
        ],
        review_corrected=[entry for t in tables for entry in t.review_corrected],
    )
    return Result(data)


class _BatchRows:
    """The collector's rows after the batch rules (write/run_data.py `BatchRows`)."""

    def __init__(self, collector: Collector, patches: Patches) -> None:
        self._collector = collector
        self._patches = patches

    def ledger_rows(self, market: int | None = None) -> Iterator[Row]:
        return self._collector.ledger_rows(self._patches, market)

    def ledger_packed(self, market: int | None = None) -> Packed:
        return packed_rows(self._collector, self._patches, market)

    def kept_markets(self) -> Iterator[int]:
        return self._collector.kept_markets(self._patches)


def marketplace_notes(
    options: Options, markets: list[policy.Marketplace], defaulted: int
) -> list[dict]:
    """What the terminal, the JSON and the report say about the batch's marketplaces: rows
    that took the default marketplace because nothing named theirs (`marketplace_default`),
    and marketplaces projected against the default target because theirs is not sourced
    (`marketplace_policy_default`)."""
    notes = []
    if defaulted > 0 and options.marketplace_given is None:
        code = policy.marketplace(options.marketplace).code
        notes.append(
            {
                "code": "marketplace_default",
                "marketplace": code,
                "rows": defaulted,
                "message": f"{defaulted} row(s) taken as {code}, the default marketplace: no "
                "--marketplace, marketplace column or order report sales-channel named "
                "theirs; give --marketplace if they are not orders of Amazon's "
                f"{code} marketplace",
            }
        )
    for market in markets:
        if not market.sourced:
            notes.append(
                {
                    "code": "marketplace_policy_default",
                    "marketplace": market.code,
                    "message": f"{market.code}: Amazon's Cancellation Rate target for "
                    f"{market.name} is not known to cancelkit; the default target (under "
                    f"{market.threshold:.1%}, {market.window_days} days) is used; set "
                    f"[policy.{market.code}] threshold in cancelkit.toml if yours differs",
                }
            )
    return notes


def _fee_summary(collector: Collector, patches, rule: impact.FeeRule) -> dict:
    """The estimated cancellation fees of the rows that stay in the upload (India)."""
    fees = [fee for seq, fee in collector.fees.items() if seq not in patches]
    return {
        "currency": rule.fee.currency,
        "referral_fee_rate": rule.referral_fee_rate,
        "rows_with_fee": len(fees),
        "estimated_total": round(sum(fees), 2),
        "rule": (
            f"{rule.fee.on_time:.0%} of the referral fee when cancelled on or before the "
            f"expected ship date, {rule.fee.late:.0%} after it"
        ),
    }
