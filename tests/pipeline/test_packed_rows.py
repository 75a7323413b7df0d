"""The rows a run packs for the ledger from its own columns and flat-file body
(pipeline/packed_rows.py) are the rows it would give one by one (`ledger_rows`), whatever
the batch rules patched away and whichever marketplace is asked for."""

from __future__ import annotations

import random

import pytest

import cancelkit
from cancelkit.ledger import blocks
from cancelkit.ledger.store import Ledger
from cancelkit.pipeline import packed_rows as packed_module

REASONS = ["NoInventory", "BuyerCanceled", "ShippingAddressUndeliverable", ""]


def _batch(seed: int, rows: int) -> list[dict]:
    """Rows with repeated orders (duplicates, conflicts), whole-order rows, bad rows (each
    rejected), SKUs and two marketplaces."""
    rng = random.Random(seed)
    found = []
    for n in range(rows):
        order = f"{rng.choice(['111', '302', '403'])}-{rng.randrange(60):07d}-0000001"
        item = "" if rng.random() < 0.2 else f"{rng.randrange(1, 40):014d}"
        reason = rng.choice(REASONS) if item else ""
        if rng.random() < 0.05:
            order = "not-an-order"
        found.append(
            {
                "order-id": order,
                "amazon-order-item-code": item,
                "cancellation-reason-code": reason,
                "sku": rng.choice(["", "MUG", "POT", "CUP-Ü"]),
                "marketplace": rng.choice(["DE", "FR"]),
                "row": str(n),
            }
        )
    return found


def _recorded(tmp_path, name: str, rows) -> list:
    with Ledger.open(tmp_path / f"{name}.sqlite3") as book:
        batch = book.record_batch({"id": name}, rows)
        return [
            (r.record_number, r.order_id, r.item_code, r.reason, r.sku, r.asin,
             r.counts_against_rate)
            for r in book.batch_rows(batch)
        ]  # fmt: skip


@pytest.mark.parametrize("seed", range(6))
def test_packed_rows_are_the_rows_one_by_one(seed, tmp_path, monkeypatch):
    monkeypatch.setattr(packed_module, "READ_BYTES", 64 + seed * 40)  # lines cut across reads
    monkeypatch.setattr(packed_module, "CHUNK_ROWS", 5 + seed * 20)  # column chunks
    monkeypatch.setattr(blocks, "BLOCK_ROWS", 7)
    with cancelkit.check(rows=_batch(seed, 300), no_ledger=True) as result:
        numbers = sorted(set(result.batch_rows.kept_markets()))
        assert len(numbers) == 2
        for market in (None, *numbers):
            one_by_one = _recorded(
                tmp_path, f"rows-{market}", result.batch_rows.ledger_rows(market)
            )
            packed = _recorded(
                tmp_path, f"packed-{market}", result.batch_rows.ledger_packed(market)
            )
            assert packed == one_by_one
            assert len(packed) > 10
        # and parts of a split upload take the packed rows in turn
        whole = result.batch_rows.ledger_packed()
        parts = [_recorded(tmp_path, f"part-{n}", whole.take(40)) for n in range(20)]
        flat = [row[1:] for part in parts for row in part]
        assert flat == [
            row[1:] for row in _recorded(tmp_path, "all", result.batch_rows.ledger_rows())
        ]
