"""Deterministic benchmark inputs: cancellation batches as CSV and xlsx.

Every file is made from a seeded `random.Random`, written under a temporary name and renamed
into place, and reused when it already exists (the file name carries the generator version,
the row count and the seed).
"""

from __future__ import annotations

import csv
import os
import random
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

#: Bump when the generated rows change, so old files in benchmarks/data/ are not reused.
GENERATOR_VERSION = 1

HEADER = ("order-id", "cancellation-reason-code", "amazon-order-item-code", "sku")

# The seven codes of Amazon's Order Cancellation flat file, weighted roughly as sellers use them.
REASONS = (
    ("NoInventory", 55),
    ("BuyerCanceled", 20),
    ("ShippingAddressUndeliverable", 9),
    ("GeneralAdjustment", 8),
    ("CustomerExchange", 4),
    ("CustomerReturn", 2),
    ("MerchandiseNotReceived", 2),
)

SKU_COUNT = 3000
#: Chance that an order in the batch is cancelled as a whole order (no reason, no item code).
#: Item-level orders have 1.25 rows on average, so this gives about 2% whole-order rows.
WHOLE_ORDER_CHANCE = 0.025
#: Items cancelled per item-level order: 1 (80%), 2 (15%), 3 (5%).
ITEMS_PER_ORDER = ((1, 80), (2, 15), (3, 5))

_PREFIXES = ("BX", "CK", "DL", "FN", "GT", "HM", "KP", "LT", "MR", "PS", "RV", "TW")
_VARIANTS = ("", "-BLK", "-WHT", "-RED", "-BLU", "-S", "-M", "-L", "-XL", "-2PK")


def _skus(rng: random.Random) -> list[str]:
    skus: set[str] = set()
    while len(skus) < SKU_COUNT:
        skus.add(f"{rng.choice(_PREFIXES)}-{rng.randrange(1000, 99999)}{rng.choice(_VARIANTS)}")
    ordered = sorted(skus)
    rng.shuffle(ordered)  # popularity (below) must not follow the alphabet
    return ordered


def _cumulative(weights: list[float]) -> list[float]:
    total = 0.0
    out = []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def rows(count: int, seed: int, sku_seed: int | None = None) -> Iterator[tuple[str, str, str, str]]:
    """`count` valid rows: unique orders, unique 14-digit item codes, no contradictions.

    Order ids and item codes are made unique by construction (a counter run through a
    permutation modulo a power of ten) rather than by remembering what was issued.
    `sku_seed` (default `seed`) picks the SKU catalogue, so that two sets of rows of
    different seeds can share one seller's listings.
    """
    rng = random.Random(seed)
    skus = _skus(rng if sku_seed is None else random.Random(sku_seed))
    # A few SKUs sell (and run out) much more than the rest: Zipf-like weights.
    sku_cum = _cumulative([1.0 / (rank + 1) ** 0.8 for rank in range(len(skus))])
    reason_codes = [code for code, _ in REASONS]
    reason_cum = _cumulative([weight for _, weight in REASONS])
    item_counts = [n for n, _ in ITEMS_PER_ORDER]
    item_cum = _cumulative([weight for _, weight in ITEMS_PER_ORDER])
    choices = rng.choices
    randrange = rng.randrange
    rand = rng.random

    order_no = 0
    item_no = 0
    emitted = 0
    while emitted < count:
        order_no += 1
        # Last seven digits: order_no through a permutation of 0..10^7-1 (7919 is coprime to 10).
        order_id = (
            f"{randrange(100, 1000)}-{randrange(0, 10_000_000):07d}-"
            f"{(order_no * 7919 + 1_234_567) % 10_000_000:07d}"
        )
        if rand() < WHOLE_ORDER_CHANCE:
            yield (order_id, "", "", "")
            emitted += 1
            continue
        reason = choices(reason_codes, cum_weights=reason_cum)[0]
        items = choices(item_counts, cum_weights=item_cum)[0]
        for _ in range(min(items, count - emitted)):
            item_no += 1
            # 14 digits: two leading digits 10-99, then item_no permuted modulo 10^12.
            item_code = (
                f"{randrange(10, 100)}{(item_no * 982_451_653 + 31_415_926_535) % 10**12:012d}"
            )
            sku = choices(skus, cum_weights=sku_cum)[0]
            yield (order_id, reason, item_code, sku)
            emitted += 1


def _name(kind: str, count: int, seed: int, suffix: str) -> str:
    if count % 1_000_000 == 0:
        size = f"{count // 1_000_000}m"
    elif count % 1000 == 0:
        size = f"{count // 1000}k"
    else:
        size = str(count)
    return f"{kind}-{size}-seed{seed}-v{GENERATOR_VERSION}.{suffix}"


def csv_file(data_dir: Path, count: int, seed: int) -> tuple[Path, bool]:
    """The CSV input of `count` rows; returns (path, reused)."""
    path = data_dir / _name("cancellations", count, seed, "csv")
    if path.exists():
        return path, True
    data_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)  # Excel-style CSV: comma, CRLF
        writer.writerow(HEADER)
        writer.writerows(rows(count, seed))
    os.replace(partial, path)
    return path, False


def xlsx_file(data_dir: Path, count: int, seed: int) -> tuple[Path, bool]:
    """The xlsx input of `count` rows (first sheet); item codes are numbers in every other row
    and text in the rest, as a spreadsheet a seller typed or pasted into would hold them."""
    import xlsxwriter  # type: ignore[import-untyped]

    path = data_dir / _name("cancellations", count, seed, "xlsx")
    if path.exists():
        return path, True
    data_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial.xlsx")
    workbook = xlsxwriter.Workbook(str(partial), {"constant_memory": True})
    sheet = workbook.add_worksheet("Cancellations")
    sheet.write_row(0, 0, HEADER)
    for number, (order_id, reason, item_code, sku) in enumerate(rows(count, seed), start=1):
        sheet.write_string(number, 0, order_id)
        if reason:
            sheet.write_string(number, 1, reason)
            if number % 2:
                sheet.write_number(number, 2, int(item_code))
            else:
                sheet.write_string(number, 2, item_code)
        if sku:
            sheet.write_string(number, 3, sku)
    workbook.close()
    os.replace(partial, path)
    return path, False


# -- a seller's history in the ledger ----------------------------------------------------------

#: the history's batches: one a day, the newest HISTORY_NEWEST_HOURS before the benchmark
HISTORY_DAYS = 365
HISTORY_NEWEST_HOURS = 1
#: seeds derived from the main seed: the history's orders, and a small batch of new orders
HISTORY_SEED_OFFSET = 1
SMALL_BATCH_SEED_OFFSET = 2


def history_ledger(path: Path, count: int, seed: int, now=None) -> int:
    """Build a ledger of `count` confirmed rows with the cancelkit on the import path: one
    batch a day over HISTORY_DAYS days up to `now` (so the 7- and 30-day windows hold about
    2% and 8% of it), the same SKU catalogue as the batches of `seed`. Returns the batches.

    Built with the tool's own API (record_batch, then confirm), so the file is what that
    version writes; ids and times are fixed, the rows come from `rows`."""
    import datetime as dt

    from cancelkit.ledger.store import Ledger

    now = now or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    source = rows(count, seed + HISTORY_SEED_OFFSET, sku_seed=seed)
    batches = min(HISTORY_DAYS, count)
    per_batch, extra = divmod(count, batches)
    with Ledger.open(path) as ledger:
        for day in range(batches):
            size = per_batch + (1 if day < extra else 0)
            created = now - dt.timedelta(days=batches - 1 - day, hours=HISTORY_NEWEST_HOURS)
            part = []
            for order_id, reason, item, sku in islice(source, size):
                counts = reason not in ("BuyerCanceled", "CustomerExchange", "CustomerReturn")
                part.append((order_id, item or None, reason or None, sku or None, None, counts))
            batch_id = ledger.record_batch(
                {"id": f"history-{day:04d}", "created_at": created, "tool_version": "bench"},
                part,
            )
            ledger.confirm(batch_id)
    return batches


def windows_ledger(path: Path, count: int, seed: int, now=None) -> int:
    """Build a ledger whose metric windows are full: one batch of `count` rows created
    HISTORY_NEWEST_HOURS before `now` (so inside the 7- and 30-day windows), confirmed,
    over the same SKU catalogue as the batches of `seed`, with the tool's own API. Returns
    the batches (1)."""
    import datetime as dt

    from cancelkit.ledger.store import Ledger

    now = now or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    created = now - dt.timedelta(hours=HISTORY_NEWEST_HOURS)

    def part():
        for order_id, reason, item, sku in rows(count, seed + HISTORY_SEED_OFFSET, sku_seed=seed):
            counts = reason not in ("BuyerCanceled", "CustomerExchange", "CustomerReturn")
            yield (order_id, item or None, reason or None, sku or None, None, counts)

    with Ledger.open(path) as ledger:
        batch_id = ledger.record_batch(
            {"id": "windows-full", "created_at": created, "tool_version": "bench"}, part()
        )
        ledger.confirm(batch_id)
    return 1


def small_batch_csv(data_dir: Path, count: int, seed: int) -> tuple[Path, bool]:
    """A small batch of new orders (none in the history) over the same SKU catalogue."""
    path = data_dir / _name("small-batch", count, seed, "csv")
    if path.exists():
        return path, True
    data_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows(count, seed + SMALL_BATCH_SEED_OFFSET, sku_seed=seed))
    os.replace(partial, path)
    return path, False


# -- Amazon's Unshipped Orders report and a batch that names items by SKU ---------------------

UNSHIPPED_HEADER = [
    "order-id",
    "order-item-id",
    "purchase-date",
    "payments-date",
    "reporting-date",
    "promise-date",
    "days-past-promise",
    "buyer-email",
    "buyer-name",
    "payment-method-details",
    "buyer-phone-number",
    "sku",
    "number-of-items",
    "product-name",
    "quantity-purchased",
    "quantity-shipped",
    "quantity-to-ship",
    "ship-service-level",
    "ship-service-name",
    "recipient-name",
    "ship-address-1",
    "ship-address-2",
    "ship-address-3",
    "address-type",
    "ship-city",
    "ship-state",
    "ship-postal-code",
    "ship-country",
    "gift-wrap-type",
    "gift-message-text",
    "payment-method",
    "is-business-order",
    "purchase-order-number",
    "price-designation",
    "is-prime",
    "is-global-express",
    "is-premium-order",
    "buyer-company-name",
    "is-replacement-order",
    "is-exchange-order",
    "original-order-id",
    "is-transparency",
    "is-ispu-order",
    "is-buyer-requested-cancellation",
    "buyer-requested-cancel-reason",
    "verge-of-cancellation",
    "verge-of-lateShipment",
    "signature-confirmation-recommended",
]
#: every SKU_BATCH_EVERY-th order of the report is in the SKU batch, up to SKU_BATCH_ROWS
SKU_BATCH_EVERY = 50
SKU_BATCH_ROWS = 10_000
_CITIES = (("Portland", "OR", "97214"), ("Austin", "TX", "78704"), ("Columbus", "OH", "43215"))


def _unshipped_lines(count: int, seed: int) -> Iterator[tuple[str, str, str]]:
    """(line, order id, sku) of `count` report lines: orders of 1-3 items with different
    SKUs, in order-id blocks as Amazon writes them; the buyer columns are synthetic."""
    rng = random.Random(seed)
    skus = _skus(random.Random(seed))
    randrange, choice = rng.randrange, rng.choice
    order_no = item_no = emitted = 0
    while emitted < count:
        order_no += 1
        order_id = (
            f"{randrange(100, 1000)}-{randrange(0, 10_000_000):07d}-"
            f"{(order_no * 7919 + 7_654_321) % 10_000_000:07d}"
        )
        day = 1 + order_no % 27
        bought = f"2026-11-{day:02d}T{randrange(24):02d}:{randrange(60):02d}:11+00:00"
        city, state, postal = choice(_CITIES)
        items = 1 + (order_no % 7 == 0) + (order_no % 19 == 0)
        for sku in rng.sample(skus, min(items, count - emitted)):
            item_no += 1
            item = f"{(item_no * 982_451_653 + 27_182_818_284) % 10**14:014d}"
            # fmt: off
            cells = [
                order_id, item, bought, bought, bought, "2026-11-30T07:59:59+00:00", "0",
                f"buyer{order_no}@marketplace.amazon.com", f"Buyer {order_no}", "Standard",
                "+1 503-555-0148", sku, str(items), f"Product {sku}", "1", "0", "1",
                "Standard", "Std US D2D Dom", f"Buyer {order_no}",
                f"{randrange(1, 9999)} Main St", "", "", "Residential", city, state, postal,
                "US", "", "", "Other", "false", "", "", "false", "false", "false", "",
                "false", "false", "", "false", "false", "false", "", "false", "false",
                "false",
            ]
            # fmt: on
            yield "\t".join(cells), order_id, sku
            emitted += 1


def unshipped_report(data_dir: Path, count: int, seed: int) -> tuple[Path, bool]:
    """An Unshipped Orders report of `count` lines, and beside it the SKU batch made of
    every SKU_BATCH_EVERY-th order (first item, by SKU, no item code): see sku_batch_csv."""
    path = data_dir / _name("unshipped", count, seed, "txt")
    batch = data_dir / _name("sku-batch-of-unshipped", count, seed, "csv")
    if path.exists() and batch.exists():
        return path, True
    data_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial_batch = batch.with_name(batch.name + ".partial")
    with (
        open(partial, "w", newline="", encoding="utf-8") as report,
        open(partial_batch, "w", newline="", encoding="utf-8") as handle,
    ):
        writer = csv.writer(handle)
        writer.writerow(("order-id", "cancellation-reason-code", "sku"))
        report.write("\t".join(UNSHIPPED_HEADER) + "\r\n")
        orders, last = 0, None
        for line, order_id, sku in _unshipped_lines(count, seed):
            report.write(line + "\r\n")
            if order_id != last:
                last = order_id
                orders += 1
                if orders % SKU_BATCH_EVERY == 0 and orders // SKU_BATCH_EVERY <= SKU_BATCH_ROWS:
                    writer.writerow((order_id, "NoInventory", sku))
    os.replace(partial_batch, batch)
    os.replace(partial, path)
    return path, False


def sku_batch_csv(data_dir: Path, report_lines: int, seed: int) -> Path:
    """The SKU batch written with the report of `report_lines` lines."""
    unshipped_report(data_dir, report_lines, seed)
    return data_dir / _name("sku-batch-of-unshipped", report_lines, seed, "csv")


def identical_csv(data_dir: Path, count: int) -> tuple[Path, bool]:
    """`count` copies of one valid row: one accepted row and count - 1 duplicates."""
    path = data_dir / _name("identical", count, 0, "csv")
    if path.exists():
        return path, True
    data_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    line = "113-4728391-2038475,NoInventory,62845173920562,MUG-BLUE-12OZ\r\n"
    with open(partial, "w", newline="", encoding="utf-8") as handle:
        handle.write(",".join(HEADER) + "\r\n")
        for _ in range(count // 10_000):
            handle.write(line * 10_000)
        handle.write(line * (count % 10_000))
    os.replace(partial, path)
    return path, False
