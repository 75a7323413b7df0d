"""Evidence from the order reports: a report without the buyer-request columns says so on
every BuyerCanceled flag, with how to switch the column on; each report's age is shown,
and a report older than `report_max_age_hours` (default 24) is flagged as stale."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from conftest import FIXTURES, invoke

import cancelkit
from cancelkit.errors import ConfigError

IN_REPORT = FIXTURES / "orders-report-in.txt"
IN_BATCH = FIXTURES / "in-batch.csv"
UTC = dt.timezone.utc
ORDER = "113-4728391-2038475"
ITEM = "62845173920562"


def report_at(path: Path, purchased: dt.datetime | None, requested: str | None = None) -> Path:
    header = ["order-id", "order-item-id", "sku"]
    line = [ORDER, ITEM, "MUG"]
    if purchased is not None:
        header.append("purchase-date")
        line.append(purchased.isoformat())
    if requested is not None:
        header.append("is-buyer-requested-cancellation")
        line.append(requested)
    path.write_text("\t".join(header) + "\n" + "\t".join(line) + "\n", encoding="utf-8")
    return path


def buyer_canceled(report: Path, **options):
    row = {"order-id": ORDER, "reason": "BuyerCanceled", "order-item-id": ITEM}
    return cancelkit.check(rows=[row], orders_reports=[report], no_ledger=True, **options)


def test_missing_buyer_request_column_is_named_on_every_buyer_canceled_flag():
    result = cancelkit.check(IN_BATCH, orders_reports=[IN_REPORT], no_ledger=True, marketplace="IN")
    flags = [
        f
        for record in result.records
        for f in record["flags"]
        if f["code"] == "buyer_request_unverified"
    ]
    assert len(flags) == 2  # rows 2 and 4 are BuyerCanceled
    for flag in flags:
        assert "no is-buyer-requested-cancellation column" in flag["message"]
        assert "Add or remove order report columns" in flag["message"]
    (entry,) = result.summary["order_reports"]
    assert entry["buyer_request_column"] is False


def test_report_with_the_column_keeps_the_plain_flag(tmp_path):
    now = dt.datetime.now(UTC)
    result = buyer_canceled(report_at(tmp_path / "r.txt", now, requested="false"))
    (record,) = result.records
    (flag,) = [f for f in record["flags"] if f["code"] == "buyer_request_unverified"]
    assert "no is-buyer-requested-cancellation column" not in flag["message"]
    assert result.summary["order_reports"][0]["buyer_request_column"] is True


def test_fresh_report_is_not_stale(tmp_path):
    purchased = dt.datetime.now(UTC) - dt.timedelta(hours=3)
    result = buyer_canceled(report_at(tmp_path / "r.txt", purchased))
    (entry,) = result.summary["order_reports"]
    assert entry["stale"] is False and entry["age_basis"] == "purchase-date"
    assert 2.9 <= entry["age_hours"] <= 3.2
    assert entry["order_lines"] == 1 and entry["max_age_hours"] == 24


def test_old_report_is_stale_by_its_newest_purchase(tmp_path):
    purchased = dt.datetime.now(UTC) - dt.timedelta(days=40)
    result = buyer_canceled(report_at(tmp_path / "r.txt", purchased))
    (entry,) = result.summary["order_reports"]
    assert entry["stale"] is True
    assert "40.0 days ago, older than 24 hours" in entry["text"]
    assert entry["newest_purchase"].endswith("Z")


def test_without_purchase_dates_the_file_time_tells_the_age(tmp_path):
    report = report_at(tmp_path / "r.txt", None)
    old = (dt.datetime.now(UTC) - dt.timedelta(hours=30)).timestamp()
    os.utime(report, (old, old))
    (entry,) = buyer_canceled(report).summary["order_reports"]
    assert entry["age_basis"] == "file-time" and entry["stale"] is True
    assert "file time" in entry["text"]


def test_max_age_from_the_config_and_the_api(tmp_path):
    purchased = dt.datetime.now(UTC) - dt.timedelta(hours=30)
    report = report_at(tmp_path / "r.txt", purchased)
    config = tmp_path / "cancelkit.toml"
    config.write_text("report_max_age_hours = 48\n")
    assert buyer_canceled(report, config=config).summary["order_reports"][0]["stale"] is False
    assert buyer_canceled(report, report_max_age_hours=12).summary["order_reports"][0]["stale"]
    config.write_text('report_max_age_hours = "soon"\n')
    with pytest.raises(ConfigError, match="report_max_age_hours"):
        buyer_canceled(report, config=config)
    with pytest.raises(ConfigError, match="positive"):
        buyer_canceled(report, report_max_age_hours=0)


def test_stale_report_in_the_summary_the_report_and_the_json(tmp_path):
    purchased = dt.datetime.now(UTC) - dt.timedelta(days=3)
    report = report_at(tmp_path / "orders.txt", purchased)
    batch = tmp_path / "batch.csv"
    batch.write_text(f"order-id,reason,order-item-id\n{ORDER},BuyerCanceled,{ITEM}\n")
    out = tmp_path / "out"
    run = invoke(
        "generate", batch, "--orders-report", report, "--no-ledger", "--out-dir", out,
        "--report", out / "r.html", "--json", out / "r.json",
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    assert f"STALE order report: {report}: 1 order lines; newest purchase-date" in run.stderr
    assert "no is-buyer-requested-cancellation column" in run.stderr
    html = (out / "r.html").read_text(encoding="utf-8")
    assert "Order reports joined" in html and "<strong>Stale:</strong>" in html
    document = json.loads((out / "r.json").read_text(encoding="utf-8"))
    assert document["summary"]["order_reports"][0]["stale"] is True
    assert document["summary"]["order_report_problems"] == []


def test_unjoinable_lines_reach_the_summary(tmp_path):
    report = tmp_path / "orders.txt"
    report.write_text(
        f"order-id\torder-item-id\tproduct-name\tsku\n{ORDER}\t{ITEM}\tMug\nBlue\tx\tMUG\textra\n"
        "111-8837261-4402918\t31947205836174\tTea\tTEA\n"
    )
    result = buyer_canceled(report)
    (problem,) = result.summary["order_report_problems"]
    assert "lines 2-3" in problem
