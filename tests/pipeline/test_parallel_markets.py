"""The marketplace column of the batch index survives the move of the index to disk:
per-marketplace files and figures equal those of a batch held in memory. (The two-core
reader's merge of the column is exercised by tests/pipeline/test_parallel.py: a table with
a marketplace column takes the record path, which is read in one pass.)"""

from __future__ import annotations

import random
from pathlib import Path

import cancelkit
from cancelkit.options import Options
from cancelkit.pipeline import collector, parallel
from cancelkit.read.inputs import open_input
from cancelkit.validate import spill

SITES = ["Amazon.de", "Amazon.fr", "amazon.it", "A1PA6795UKMFR9"]


def make_batch(path, rows: int = 4000, seed: int = 11) -> None:
    rng = random.Random(seed)
    lines = ["order-id,cancellation-reason-code,amazon-order-item-code,sales-channel"]
    for i in range(rows):
        order = f"{rng.randint(100, 999)}-{rng.randint(0, 9999999):07d}-{i:07d}"
        item = f"{rng.randint(10**13, 10**14 - 1)}"
        # the second half has a marketplace the first half never saw (ES)
        site = "Amazon.es" if i > rows * 3 // 4 and i % 5 == 0 else SITES[i % len(SITES)]
        lines.append(f"{order},NoInventory,{item},{site}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def outcome(path, tmp_path, name):
    figures = {"DE": 90000, "FR": 50000, "IT": 40000, "ES": 2000}
    with cancelkit.check(
        str(path), keep_records=False, orders_in_window=figures, allow_over_target=True
    ) as result:
        folder = tmp_path / name
        outputs = result.write_outputs(folder, flat_file=folder / "up.txt")
        files = {Path(p).name: Path(p).read_bytes() for p in outputs["flat_files"]}
        return result.summary, result.metrics_by_marketplace, files


def test_spilled_index_equals_one_pass(tmp_path, monkeypatch):
    batch = tmp_path / "batch.csv"
    make_batch(batch)
    monkeypatch.setattr(parallel, "MIN_BYTES", 1 << 60)
    one_pass = outcome(batch, tmp_path, "one")
    assert set(one_pass[1]) == {"DE", "ES", "FR", "IT"}
    assert sorted(one_pass[2]) == ["up-DE.txt", "up-ES.txt", "up-FR.txt", "up-IT.txt"]
    written = one_pass[2]["up-DE.txt"].count(b"\r\n") - 2
    lines = batch.read_text(encoding="utf-8").splitlines()[1:]
    expected = sum(line.endswith((",Amazon.de", ",A1PA6795UKMFR9")) for line in lines)
    assert written == expected == round(one_pass[1]["DE"]["rate_after"] * 90000) > 1500

    # a table with a marketplace column takes the record path, read in one pass
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    assert parallel.plan(open_input(str(batch)), Options(keep_records=False)) is None

    monkeypatch.setattr(spill, "SPILL_ROWS", 100)
    monkeypatch.setattr(collector, "WRITE_BLOCK", 50)
    monkeypatch.setattr(spill, "CHUNK_ROWS", 64)
    assert outcome(batch, tmp_path, "disk") == one_pass
