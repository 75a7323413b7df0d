"""Order reports and the ledger through `cancelkit generate`/`check`, as a seller uses them
across batches: join, resolve, reject what was already cancelled, reconcile, retry."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner
from conftest import CLEAN, FIXTURES, MESSY, STATE

import cancelkit
from cancelkit.cli import cli
from cancelkit.ledger.store import Ledger

UNSHIPPED = FIXTURES / "unshipped-orders.txt"
ORDER_REPORT = FIXTURES / "order-report.txt"


def run(*args: str):
    outcome = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in outcome.output
    return outcome


def records(result) -> dict[int, dict]:
    return {r["row"]: r for r in result.records}


@pytest.fixture
def ledger(tmp_path):
    return tmp_path / "ledger.sqlite3"


def test_order_report_resolves_a_sku_to_its_item_code():
    result = cancelkit.check(str(MESSY), orders_reports=[str(UNSHIPPED)], no_ledger=True)
    row = records(result)[14]  # "NoInventory" with SKU MUG-WHITE-12OZ but no item code
    assert row["status"] == "accepted"
    assert row["amazon_order_item_code"] == "40192837465510"
    assert "item_code_from_report" in [f["code"] for f in row["flags"]]


def test_order_report_state_rules_reject_what_cannot_be_cancelled():
    result = cancelkit.check(str(STATE), orders_reports=[str(ORDER_REPORT)], no_ledger=True)
    codes = {r["row"]: [e["code"] for e in r["errors"]] for r in result.records}
    assert sorted(code for row in codes.values() for code in row) == sorted(
        ["order_pending", "order_shipped", "order_already_cancelled", "order_fba"]
    )
    accepted = [r for r in result.records if r["status"] == "accepted"]
    assert len(accepted) == 1
    assert result.summary["input_rows"] == 5


def test_orders_in_window_come_from_the_order_report():
    result = cancelkit.check(str(CLEAN), orders_reports=[str(ORDER_REPORT)], no_ledger=True)
    assert result.metrics["orders_in_window"] == 29
    assert result.metrics["orders_source"].startswith("order report: 29 orders")
    explicit = cancelkit.check(
        str(CLEAN), orders_reports=[str(ORDER_REPORT)], orders_in_window=500, no_ledger=True
    )
    assert explicit.metrics["orders_in_window"] == 500


def test_order_missing_from_the_unshipped_report_is_refused():
    # an Unshipped Orders report lists every unshipped order of its window (issue 17): an
    # order it does not list is not cancelled; the message names the report
    listed = UNSHIPPED.read_text(encoding="utf-8")
    result = cancelkit.check(str(STATE), orders_reports=[str(UNSHIPPED)], no_ledger=True)
    refused = {
        r["order_id"]: r["errors"][0]
        for r in result.records
        if [e["code"] for e in r["errors"]] == ["order_not_unshipped"]
    }
    missing = {r["order_id"] for r in result.records if r["order_id"] not in listed}
    assert set(refused) == missing
    assert len(missing) == 4  # the state batch's one Unshipped order is in the report
    for error in refused.values():
        assert "unshipped-orders.txt" in error["message"]
        assert "give amazon-order-item-code" not in error["message"]


def test_buyer_data_from_the_report_never_reaches_an_output(tmp_path):
    out = tmp_path / "out"
    outcome = run(
        "generate",
        MESSY,
        "--orders-report",
        UNSHIPPED,
        "--out-dir",
        out,
        "--no-ledger",
        "--json",
        out / "r.json",
    )
    assert outcome.exit_code == 1
    with open(UNSHIPPED, encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream, delimiter="\t"))
    secrets = {
        row[column]
        for row in rows
        for column in (
            "buyer-name",
            "buyer-email",
            "buyer-phone-number",
            "ship-address-1",
            "recipient-name",
        )
        if row.get(column)
    }
    assert secrets
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8", errors="replace")
        for secret in secrets:
            assert secret not in text, (path.name, secret)


def test_ledger_blocks_a_second_cancellation_after_confirm(tmp_path, ledger):
    out = tmp_path / "out"
    first = run("generate", CLEAN, "--ledger", ledger, "--out-dir", out)
    assert first.exit_code == 0, first.output
    assert "ledger batch:" in first.stderr
    with Ledger.open(ledger) as book:
        (batch,) = book.batches()
        assert batch.rows == 12
    # before confirmation the same rows are only flagged
    again = cancelkit.check(str(CLEAN), ledger=str(ledger))
    assert again.summary["accepted"] == 12
    assert all("in_unconfirmed_batch" in [f["code"] for f in r["flags"]] for r in again.records)
    assert run("confirm", "--ledger", ledger).exit_code == 0
    blocked = run("generate", CLEAN, "--ledger", ledger, "--out-dir", out, "--json", "-")
    assert blocked.exit_code == 1
    document = json.loads(blocked.stdout)
    assert document["summary"]["rejected"] == 12
    error = document["records"][0]["errors"][0]
    assert error["code"] == "already_confirmed"
    assert batch.id in error["message"]


def test_confirmed_history_feeds_the_rate_and_listing_risk(tmp_path, ledger):
    run("generate", CLEAN, "--ledger", ledger, "--out-dir", tmp_path / "a")
    run("confirm", "--ledger", ledger)
    next_batch = tmp_path / "next.csv"
    next_batch.write_text(
        "order-id,cancellation-reason-code,amazon-order-item-code,sku\n"
        "113-5519203-8846271,NoInventory,49102837465509,TEAPOT-CAST-1L\n",
        encoding="utf-8",
    )
    result = cancelkit.check(str(next_batch), ledger=str(ledger), orders_in_window=1000)
    assert result.metrics["seller_cancels_in_window"] == 9  # the clean batch's counting orders
    assert result.metrics["cancels_source"].startswith("ledger")
    assert result.metrics["rate_after"] == pytest.approx(10 / 1000)
    teapot = [r for r in result.listing_risks if r["sku"] == "TEAPOT-CAST-1L"]
    assert teapot and teapot[0]["seller_cancellations_30d"] == 2
    # an explicit --cancels-7d replaces the ledger's figure
    explicit = cancelkit.check(
        str(next_batch), ledger=str(ledger), orders_in_window=1000, cancels_in_window=0
    )
    assert explicit.metrics["seller_cancels_in_window"] == 0


def test_reconcile_then_retry_the_failed_rows(tmp_path, ledger):
    out = tmp_path / "out"
    assert run("generate", CLEAN, "--ledger", ledger, "--out-dir", out).exit_code == 0
    retry = tmp_path / "retry.csv"
    outcome = run(
        "reconcile",
        FIXTURES / "processing-report-internal.txt",  # 5002: a retry can fix it
        "--ledger",
        ledger,
        "--retry",
        retry,
    )
    assert outcome.exit_code == 1, outcome.output
    again = run("generate", retry, "--ledger", ledger, "--out-dir", tmp_path / "retry-out")
    assert again.exit_code == 0, again.output  # failed rows are not blocked
    with Ledger.open(ledger) as book:
        states = [row.state for row in book.batch_rows(book.batches()[-1].id)]
    assert states.count("failed") == 2
    assert states.count("confirmed") == 10


def test_no_ledger_writes_no_ledger(tmp_path, ledger, monkeypatch):
    monkeypatch.setenv("CANCELKIT_LEDGER", str(ledger))
    assert run("generate", CLEAN, "--no-ledger", "--out-dir", tmp_path / "o").exit_code == 0
    assert not ledger.exists()
    assert run("generate", CLEAN, "--out-dir", tmp_path / "p").exit_code == 0
    assert ledger.exists()  # the environment variable names the default ledger
