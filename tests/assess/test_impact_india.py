"""India: the 30-day Cancellation Rate beside the 7-day one, and the cancellation fee (100%
of the referral fee on or before the expected ship date, 150% after it) per order."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import FIXTURES, invoke

import cancelkit
from cancelkit.amazon import policy
from cancelkit.errors import ConfigError

ORDER = "405-2291736-4410981"
ITEM = "71120394857601"
TODAY = dt.date(2026, 11, 26)


def one(**row):
    row.setdefault("order-id", ORDER)
    row.setdefault("reason", "NoInventory")
    row.setdefault("order-item-id", ITEM)
    options = {"marketplace": "IN", "no_ledger": True, "today": TODAY}
    options.update(row.pop("options", {}))
    result = cancelkit.check(rows=[row], **options)
    (record,) = result.records
    return result, record


def test_policy_data():
    assert policy.MARKETPLACES["IN"].long_window_days == 30
    assert policy.MARKETPLACES["US"].long_window_days is None
    fee = policy.CANCELLATION_FEES["IN"]
    assert (fee.currency, fee.on_time, fee.late) == ("INR", 1.0, 1.5)


def test_30_day_rate_beside_the_7_day_one():
    result, _ = one(options={"orders_in_window": 1200, "orders_in_30d": 5000, "cancels_in_30d": 49})
    long = result.metrics["long_window"]
    assert (long["window_days"], long["threshold"]) == (30, 0.02)
    assert (long["orders_in_window"], long["seller_cancels_in_window"]) == (5000, 49)
    assert long["rate_before"] == pytest.approx(49 / 5000)
    assert long["rate_after"] == pytest.approx(50 / 5000)
    assert long["over_threshold"] is False and long["headroom_orders"] == 49
    assert long["orders_source"] == "orders_in_30d option"


def test_30_day_rate_is_null_without_inputs_and_absent_elsewhere():
    result, _ = one()
    assert result.metrics["long_window"]["rate_after"] is None
    us = cancelkit.check(
        rows=[{"order-id": ORDER, "reason": "NoInventory", "order-item-id": ITEM}],
        no_ledger=True,
    )
    assert "long_window" not in us.metrics


def test_30_day_orders_from_an_all_orders_report():
    result = cancelkit.check(
        FIXTURES / "compound-batch.csv",
        orders_reports=[FIXTURES / "order-report-compound.txt"],
        marketplace="IN",
        no_ledger=True,
    )
    long = result.metrics["long_window"]
    assert long["orders_in_window"] == 10  # 11 orders, one fulfilled by Amazon
    assert long["orders_source"].startswith("order report: 10 orders purchased")


@pytest.mark.parametrize(
    "ship_by, share, amount",
    [
        ("2026-11-27", "100%", "89.90"),  # cancelled before the expected ship date
        ("2026-11-26", "100%", "89.90"),  # on it
        ("2026-11-25", "150%", "134.85"),  # after it
    ],
)
def test_fee_by_the_expected_ship_date(ship_by, share, amount):
    result, record = one(
        **{"item-price": "899.00", "promise-date": ship_by, "options": {"referral_fee_rate": 0.1}}
    )
    (flag,) = [f for f in record["flags"] if f["code"] == "cancellation_fee"]
    assert flag["message"].startswith(f"estimated cancellation fee INR {amount}: {share} of")
    fees = result.summary["cancellation_fees"]
    assert fees["estimated_total"] == float(amount)
    assert (fees["currency"], fees["rows_with_fee"], fees["referral_fee_rate"]) == ("INR", 1, 0.1)


def test_unknown_ship_date_assumes_the_late_fee():
    _, record = one(**{"item-price": "1,000.00", "options": {"referral_fee_rate": 0.05}})
    (flag,) = [f for f in record["flags"] if f["code"] == "cancellation_fee"]
    assert "INR 75.00: 150%" in flag["message"] and "not known" in flag["message"]


def test_no_fee_without_rate_price_counting_or_outside_india():
    _, record = one(**{"item-price": "899.00"})
    assert "cancellation_fee" not in [f["code"] for f in record["flags"]]
    _, record = one(options={"referral_fee_rate": 0.1})
    assert "cancellation_fee" not in [f["code"] for f in record["flags"]]
    result, record = one(
        **{
            "reason": "BuyerCanceled",
            "buyer-requested": "true",
            "item-price": "899.00",
            "options": {"referral_fee_rate": 0.1},
        }
    )
    assert "cancellation_fee" not in [f["code"] for f in record["flags"]]
    assert result.summary["cancellation_fees"]["rows_with_fee"] == 0
    result, record = one(
        **{"item-price": "899.00", "options": {"referral_fee_rate": 0.1, "marketplace": "US"}}
    )
    assert "cancellation_fees" not in result.summary


@pytest.mark.parametrize("rate", [0, 1.5, -0.1, "ten"])
def test_bad_referral_fee_rate_is_refused(rate):
    with pytest.raises(ConfigError, match="referral_fee_rate"):
        one(options={"referral_fee_rate": rate})


def test_fee_and_30_day_rate_from_the_config_in_every_output(tmp_path):
    (tmp_path / "cancelkit.toml").write_text(
        'marketplace = "IN"\nreferral_fee_rate = 0.08\norders_30d = 5200\ncancels_30d = 40\n'
    )
    out = tmp_path / "out"
    args = ["--orders-report", FIXTURES / "order-report-compound.txt", "--no-ledger"]
    run = invoke(
        "generate", FIXTURES / "compound-batch.csv", *args, "--config",
        tmp_path / "cancelkit.toml", "--orders-7d", "1300", "--out-dir", out,
        "--report", out / "r.html", "--json", out / "r.json",
    )  # fmt: skip
    assert run.exit_code == 1, run.output
    assert "30-day rate before 0.77% -> after 0.79% (target under 2.00%)" in run.stderr
    assert "estimated cancellation fees: INR 107.88 on 1 row(s)" in run.stderr
    html = (out / "r.html").read_text(encoding="utf-8")
    assert "30-day Cancellation Rate" in html and "Estimated cancellation fees" in html
    document = json.loads((out / "r.json").read_text(encoding="utf-8"))
    assert document["metrics"]["long_window"]["orders_in_window"] == 5200
    assert document["summary"]["cancellation_fees"]["estimated_total"] == 107.88
