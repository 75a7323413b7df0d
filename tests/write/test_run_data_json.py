"""The typed run data (write/run_data.py: Summary, Metrics; write/ledger_batch.py: BatchMeta)
gives the JSON report byte for byte as the dicts it replaced: the reports in data/ were
written by cancelkit before the change (only `generated_at` and the checkout's path are
replaced by placeholders, and the version by the one of the cancelkit that wrote them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

from cancelkit import check
from cancelkit.ledger.store import Ledger
from cancelkit.usecases.generate import GenerateOutputs, generate
from cancelkit.usecases.running import RunSettings
from cancelkit.version import __version__

DATA = Path(__file__).parent / "data"
SCENARIOS: dict[str, tuple[str, dict[str, object]]] = {
    "clean": ("clean-batch.csv", {"orders_in_window": 4000, "cancels_in_window": 12}),
    "clean-over": ("clean-batch.csv", {"orders_in_window": 100, "cancels_in_window": 2}),
    "messy": ("messy-batch.csv", {"orders_in_window": 900}),
    "eu": (
        "eu-batch.csv",
        {
            "orders_in_window": {"DE": 1200, "FR": 800},
            "cancels_in_window": {"DE": 3, "FR": 0},
        },
    ),
    "in": (
        "in-batch.csv",
        {
            "marketplace": "IN",
            "orders_in_window": 500,
            "orders_in_30d": 2000,
            "cancels_in_30d": 4,
            "referral_fee_rate": 0.1,
        },
    ),
    "jp": ("jp-batch.csv", {"marketplace": "JP"}),
    "compound": ("compound-batch.csv", {"marketplace": "IN"}),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_json_report_is_byte_for_byte_as_before(name: str) -> None:
    fixture, options = SCENARIOS[name]
    with check(str(FIXTURES / fixture), no_ledger=True, keep_records=True, **options) as result:
        text = result.to_json()
        stamp = result.generated_at.isoformat().replace("+00:00", "Z")
    text = text.replace(stamp, "GENERATED").replace(str(ROOT), "ROOT")
    text = text.replace(f'"version": "{__version__}"', '"version": "0.1.0"')
    assert text == (DATA / f"{name}.json").read_text(encoding="utf-8")


def test_summary_and_metrics_are_typed_and_give_the_report_dicts() -> None:
    fixture, options = SCENARIOS["in"]
    with check(str(FIXTURES / fixture), no_ledger=True, **options) as result:
        assert result.counts.to_json() == result.summary
        assert result.counts.accepted == result.summary["accepted"]
        projected = result.projection(result.rate_counting_orders)
        assert projected.to_json() == result.metrics
        assert projected.long_window is not None and projected.long_window.window_days == 30


def test_the_batch_meta_recorded_is_as_before(tmp_path: Path, private_ledger: Path) -> None:
    outputs = GenerateOutputs(out_dir=tmp_path, max_rows_per_file=5)
    settings = RunSettings(orders_7d=4000, cancels_7d=12)
    made = generate([str(FIXTURES / "clean-batch.csv")], outputs, settings)
    assert len(made.batch_ids) == 3
    with Ledger.open(private_ledger) as book:
        batches = {b.id: b for b in book.batches()}
    first = batches[made.batch_ids[0]]
    assert first.marketplace == "US"
    assert first.options == {
        "cancels_in_window": 12,
        "fail_on": "none",
        "max_rows_per_file": 5,
        "orders_in_window": 4000,
        "orders_reports": [],
        "part": "1/3",
    }
    assert json.loads(json.dumps(first.inputs))[0]["rows"] == 12
