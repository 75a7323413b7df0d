"""A unified EU account's batch through the CLI (docs/domain.md section 9): two upload files, two
ledger batches, `metrics_by_marketplace`, the per-marketplace table in every summary, the
review round trip; and the options that give figures per marketplace."""

from __future__ import annotations

import json
import re

import openpyxl
from conftest import FIXTURES, assert_one_line_error, assert_schema_v1, invoke, run_cli

from cancelkit.ledger.store import Ledger

EU = FIXTURES / "eu-batch.csv"
EU_REPORT = FIXTURES / "orders-report-eu.txt"


def test_generate_writes_one_file_and_ledger_batch_per_marketplace(workdir):
    ledger = workdir / "ledger.sqlite3"
    run = run_cli(
        "generate",
        EU,
        "--orders-7d",
        "DE=200,FR=60",
        "--allow-over-target",  # FR goes over its target: written as asked
        "--ledger",
        ledger,
        "--json",
        "out.json",
        cwd=workdir,
    )
    assert run.exit_code == 1, run.output  # row 8 names no marketplace
    document = json.loads((workdir / "out.json").read_text(encoding="utf-8"))
    assert_schema_v1(document)
    flat_files = document["outputs"]["flat_files"]
    assert [re.sub(r"\d{8}-\d{6}", "STAMP", f) for f in flat_files] == [
        "cancelkit-out/cancellations-STAMP-DE.txt",
        "cancelkit-out/cancellations-STAMP-FR.txt",
    ]
    assert document["outputs"]["flat_file"] == flat_files[0]
    by_market = document["metrics_by_marketplace"]
    assert {
        code: (m["orders_in_window"], m["over_threshold"]) for code, m in by_market.items()
    } == {
        "DE": (200, False),
        "FR": (60, True),
    }
    assert document["metrics"] == by_market["DE"]
    accepted = [r for r in document["records"] if r["status"] == "accepted"]
    assert [r["marketplace"] for r in accepted] == ["DE", "DE", "DE", "DE", "FR", "FR", "DE"]
    (rejected,) = [r for r in document["records"] if r["status"] == "rejected"]
    assert rejected["row"] == 8
    assert rejected["errors"][0]["code"] == "marketplace_unknown"
    assert rejected["errors"][0]["column"] == "sales-channel"
    de = (workdir / flat_files[0]).read_bytes().split(b"\r\n")
    fr = (workdir / flat_files[1]).read_bytes().split(b"\r\n")
    assert len(de) == 2 + 5 + 1 and len(fr) == 2 + 2 + 1
    assert fr[2].startswith(b"171-5520394-8812736\tNoInventory\t")
    with Ledger.open(ledger) as book:
        batches = sorted(book.batches(), key=lambda b: b.marketplace)
    assert [(b.marketplace, b.rows) for b in batches] == [("DE", 5), ("FR", 2)]
    assert [b.flat_file for b in batches] == [str(workdir / f) for f in flat_files]
    assert "marketplaces 2, each against its own target:" in run.stderr
    assert "  FR: rows 2, orders 2, counting 2; rate 0.00% -> 3.33%" in run.stderr
    ids = {b.marketplace: b.id for b in batches}
    assert f"ledger batches: {ids['DE']} (DE), {ids['FR']} (FR) (one per upload file;" in (
        run.stderr
    )


def test_gate_over_any_marketplace_writes_no_upload_file(workdir):
    run = invoke("generate", EU, "--orders-7d", "DE=200,FR=60", "--no-ledger", "--fail-on", "high")
    assert run.exit_code == 3, run.output
    assert "This batch puts your Cancellation Rate in FR over the 2.50% target" in run.stderr
    assert (
        "over the target: FR 3.33% against a target under 2.50%, 1 counting order(s) over "
        "(approve at most 1 of 2)" in run.stderr
    )
    assert "no upload file was written" in run.stderr
    written = sorted(p.name for p in (workdir / "cancelkit-out").iterdir())
    assert not [n for n in written if n.endswith(".txt")]


def test_per_marketplace_orders_from_the_order_reports_sales_channel(workdir):
    run = invoke("check", EU, "--orders-report", EU_REPORT, "--no-ledger", "--json", "-", "-q")
    assert run.exit_code == 3, run.output  # over the target on a few orders: the default gate
    by_market = json.loads(run.stdout)["metrics_by_marketplace"]
    assert by_market["DE"]["orders_in_window"] == 7
    assert by_market["FR"]["orders_in_window"] == 3
    assert by_market["DE"]["orders_source"].startswith("order report: 7 orders of DE purchased")


def test_config_tables_give_figures_per_marketplace(workdir):
    (workdir / "cancelkit.toml").write_text(
        "[orders_7d]\nDE = 200\nFR = 60\n\n[cancels_7d]\nDE = 2\n", encoding="utf-8"
    )
    run = invoke("check", EU, "--no-ledger", "--json", "-", "-q")
    by_market = json.loads(run.stdout)["metrics_by_marketplace"]
    assert (by_market["DE"]["orders_in_window"], by_market["DE"]["seller_cancels_in_window"]) == (
        200,
        2,
    )
    assert by_market["DE"]["rate_after"] == 5 / 200
    assert by_market["FR"]["seller_cancels_in_window"] is None
    # the option's entry wins over the config's, marketplace by marketplace
    run = invoke("check", EU, "--no-ledger", "--orders-7d", "FR=600", "--json", "-", "-q")
    by_market = json.loads(run.stdout)["metrics_by_marketplace"]
    assert by_market["FR"]["orders_in_window"] == 600
    assert by_market["DE"]["orders_in_window"] == 200


def test_bad_figures_are_one_line_usage_errors(workdir):
    run = invoke("check", EU, "--no-ledger", "--orders-7d", "XX=5")
    assert run.exit_code == 2 and "unknown marketplace 'XX'" in run.stderr
    assert "Traceback" not in run.output
    run = invoke("check", EU, "--no-ledger", "--orders-7d", "-5")
    assert run.exit_code == 2 and "must not be negative" in run.stderr
    (workdir / "bad.toml").write_text("[orders_7d]\nDE = 'many'\n", encoding="utf-8")
    run = invoke("check", EU, "--no-ledger", "--config", "bad.toml")
    assert_one_line_error(run, "orders_7d DE must be a whole number")


def test_markdown_report_and_review_summary_show_each_marketplace(workdir):
    run = invoke(
        "generate",
        EU,
        "--orders-7d",
        "DE=200,FR=60",
        "--no-ledger",
        "--report",
        "r.md",
        "--allow-over-target",
    )
    assert run.exit_code == 1, run.output
    text = (workdir / "r.md").read_text(encoding="utf-8")
    assert "## Marketplaces" in text
    assert re.search(r"\| DE \(Germany\) \| 5 \| 4 \| 3 \| 200 \| 0\.00% \| 1\.50% \|", text)
    assert re.search(r"\| FR \(France\) \| 2 \| 2 \| 2 \| 60 \| 0\.00% \| \*\*3\.33%\*\*", text)
    assert "cancellations-" in text and "-FR.txt" in text
    assert "## Cancellation Rate (DE, last 7 days)" in text
    assert "- This batch: 3 orders counting against the rate" in text

    run = invoke("review", EU, "--orders-7d", "DE=200,FR=60", "--no-ledger", "-o", "rev.xlsx")
    assert run.exit_code == 1, run.output
    book = openpyxl.load_workbook(workdir / "rev.xlsx")
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row[0]}
    assert summary["DE (Germany)"].startswith(
        "5 row(s), 4 order(s), 3 counting; rate 0.00% -> 1.50%"
    )
    assert "(at or over the target)" in summary["FR (France)"]
    header = [c.value for c in book["Review"][1]]
    assert header[-1] == "marketplace"


def test_review_round_trip_keeps_each_rows_marketplace(workdir):
    run = invoke("review", EU, "--orders-7d", "DE=200,FR=60", "--no-ledger", "-o", "rev.xlsx")
    assert run.exit_code == 1, run.output
    book = openpyxl.load_workbook(workdir / "rev.xlsx")
    sheet = book["Review"]
    for row in range(2, sheet.max_row + 1):
        if sheet.cell(row, 2).value == "accepted":
            sheet.cell(row, 1).value = "yes"
    book.save(workdir / "rev.xlsx")
    run = invoke(
        "generate",
        "--from-review",
        "rev.xlsx",
        "--orders-7d",
        "DE=200,FR=60",
        "--no-ledger",
        "--flat-file",
        "up.txt",
        "--allow-over-target",
    )
    assert run.exit_code == 0, run.output
    assert len((workdir / "up-DE.txt").read_bytes().split(b"\r\n")) == 2 + 5 + 1
    assert len((workdir / "up-FR.txt").read_bytes().split(b"\r\n")) == 2 + 2 + 1
    assert not (workdir / "up.txt").exists()
