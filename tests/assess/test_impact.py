"""The metrics-impact checker: classification rules, flags, rate arithmetic, gate, config."""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner

import cancelkit
from cancelkit.amazon import policy
from cancelkit.assess import impact
from cancelkit.cli import cli
from cancelkit.codes import CODES

ORDER_A = "113-4728391-2038475"
ORDER_B = "114-2093847-5610293"
ORDER_C = "111-8837261-4402918"
ITEM_1, ITEM_2, ITEM_3 = "62845173920562", "62845173920571", "31947205836174"


def one(**row) -> dict:
    """The single record of a one-row batch."""
    row.setdefault("order-id", ORDER_A)
    result = cancelkit.check(rows=[row])
    (record,) = result.records
    return record


def codes(record: dict) -> list[str]:
    return [f["code"] for f in record["flags"]]


@pytest.mark.parametrize("evidence", ["TRUE", "true", "yes", "1", "Y", "x"])
def test_buyer_canceled_with_official_request_does_not_count(evidence):
    record = one(
        **{"reason": "BuyerCanceled", "order-item-id": ITEM_1, "buyer-requested": evidence}
    )
    assert record["counts_against_rate"] is False
    assert record["risk"] == "none"
    assert codes(record) == []


@pytest.mark.parametrize("evidence", ["", "FALSE", "no", "0"])
def test_buyer_canceled_without_evidence_counts_medium(evidence):
    row = {"reason": "BuyerCanceled", "order-item-id": ITEM_1}
    if evidence:
        row["is-buyer-requested-cancellation"] = evidence
    record = one(**row)
    assert record["counts_against_rate"] is True
    assert record["risk"] == "medium"
    assert codes(record) == ["buyer_request_unverified"]


def test_other_reason_with_official_request_advises_buyer_canceled():
    record = one(**{"reason": "NoInventory", "order-item-id": ITEM_1, "buyer-requested": "true"})
    assert record["counts_against_rate"] is True
    assert record["risk"] == "medium"
    assert codes(record) == ["use_buyer_canceled"]
    assert "use BuyerCanceled" in record["flags"][0]["message"]


@pytest.mark.parametrize(
    "reason",
    [
        "NoInventory",
        "ShippingAddressUndeliverable",
        "CustomerExchange",
        "GeneralAdjustment",
        "CustomerReturn",
        "MerchandiseNotReceived",
    ],
)
def test_seller_reasons_count_high(reason):
    record = one(**{"reason": reason, "order-item-id": ITEM_1})
    assert record["counts_against_rate"] is True
    assert record["risk"] == "high"
    assert codes(record) == ["counts_against_rate"]
    assert reason in record["flags"][0]["message"]


def test_whole_order_without_reason_counts_high():
    record = one(**{"reason": "", "order-item-id": ""})
    assert record["counts_against_rate"] is True
    assert record["risk"] == "high"
    assert "whole-order" in record["flags"][0]["message"]


@pytest.mark.parametrize(
    "status, code",
    [
        ("Pending", "order_pending"),
        ("PendingAvailability", "order_pending"),
        ("Shipped", "order_shipped"),
        ("Canceled", "order_already_cancelled"),
        ("Cancelled", "order_already_cancelled"),
    ],
)
def test_order_state_is_rejected_with_advice(status, code):
    record = one(**{"reason": "NoInventory", "order-item-id": ITEM_1, "order-status": status})
    assert record["status"] == "rejected"
    (error,) = record["errors"]
    assert error["code"] == code
    assert error["column"] == "order-status"
    assert error["value"] == status
    assert CODES[code].kind == "error"


def test_unshipped_merchant_order_is_accepted():
    record = one(
        **{
            "reason": "NoInventory",
            "order-item-id": ITEM_1,
            "order-status": "Unshipped",
            "fulfillment-channel": "Merchant",
        }
    )
    assert record["status"] == "accepted"


@pytest.mark.parametrize("channel", ["Amazon", "AFN"])
def test_amazon_fulfilled_order_is_rejected(channel):
    record = one(
        **{"reason": "NoInventory", "order-item-id": ITEM_1, "fulfillment-channel": channel}
    )
    assert record["status"] == "rejected"
    assert record["errors"][0]["code"] == "order_fba"
    assert "FBA" in record["errors"][0]["message"]


def test_past_ship_by_from_days_past_promise():
    record = one(**{"reason": "NoInventory", "order-item-id": ITEM_1, "days-past-promise": "2"})
    assert "past_ship_by" in codes(record)
    assert "7 days" in record["flags"][-1]["message"]


def test_ship_by_date_reached_and_not_reached():
    today = dt.date.today()
    past = one(
        **{"reason": "NoInventory", "order-item-id": ITEM_1, "promise-date": today.isoformat()}
    )
    assert "past_ship_by" in codes(past)
    future = (today + dt.timedelta(days=3)).isoformat() + "T10:00:00+00:00"
    later = one(**{"reason": "NoInventory", "order-item-id": ITEM_1, "promise-date": future})
    assert "past_ship_by" not in codes(later)


def test_verge_of_cancellation_raises_a_standard_cancellation_to_low():
    record = one(
        **{
            "reason": "BuyerCanceled",
            "order-item-id": ITEM_1,
            "buyer-requested": "true",
            "verge-of-cancellation": "true",
        }
    )
    assert record["counts_against_rate"] is False
    assert record["risk"] == "low"
    assert codes(record) == ["verge_of_cancellation"]


def test_every_flag_code_has_words():
    for code in (
        "counts_against_rate",
        "buyer_request_unverified",
        "use_buyer_canceled",
        "past_ship_by",
        "verge_of_cancellation",
    ):
        assert CODES[code].kind == "flag"
        assert CODES[code].title and CODES[code].explanation


# -- rate arithmetic ------------------------------------------------------------------------


def test_several_items_of_one_order_count_once():
    rows = [
        {"order-id": ORDER_A, "reason": "NoInventory", "order-item-id": ITEM_1},
        {"order-id": ORDER_A, "reason": "NoInventory", "order-item-id": ITEM_2},
        {"order-id": ORDER_B, "reason": "NoInventory", "order-item-id": ITEM_3},
    ]
    result = cancelkit.check(rows=rows, orders_in_window=100, cancels_in_window=1)
    assert result.summary["counts_against_rate"] == 3
    assert result.summary["counting_orders"] == 2
    assert result.metrics["rate_before"] == pytest.approx(0.01)
    assert result.metrics["rate_after"] == pytest.approx(0.03)
    assert result.metrics["over_threshold"] is True
    assert result.metrics["headroom_orders"] == 0


def test_standard_cancellations_do_not_move_the_rate():
    rows = [
        {
            "order-id": ORDER_A,
            "reason": "BuyerCanceled",
            "order-item-id": ITEM_1,
            "buyer-requested": "true",
        }
    ]
    result = cancelkit.check(rows=rows, orders_in_window=200, cancels_in_window=2)
    assert result.metrics["rate_before"] == result.metrics["rate_after"] == pytest.approx(0.01)
    # 2.5% of 200 is 5: under the target means at most 4 counting orders
    assert result.metrics["headroom_orders"] == 2
    assert result.metrics["over_threshold"] is False


@pytest.mark.parametrize(
    "orders, before, counting, over, headroom",
    [
        (4000, 12, 60, False, 27),  # 72/4000 = 1.8%; 99 is the most under 2.5%
        (4000, 12, 87, False, 0),  # 99/4000 = 2.475%
        (4000, 12, 88, True, 0),  # 100/4000 = 2.5%: the target is *under* 2.5%
        (1, 0, 0, False, 0),
    ],
)
def test_projection_boundaries(orders, before, counting, over, headroom):
    metrics = impact.project_rate(counting, orders, before, policy.marketplace("US"))
    assert metrics["over_threshold"] is over
    assert metrics["headroom_orders"] == headroom
    assert metrics["rate_after"] == pytest.approx((before + counting) / orders)


def test_no_order_volume_gives_null_rates():
    metrics = impact.project_rate(5, None, 3, policy.marketplace("US"))
    for key in ("rate_before", "rate_after", "over_threshold", "headroom_orders"):
        assert metrics[key] is None
    assert metrics["threshold"] == 0.025


def test_zero_orders_is_a_figure_over_the_target():
    """0 orders is a figure (issue 16): no rate can be computed, and any counting
    cancellation over a window of no orders is over every target."""
    metrics = impact.project_rate(5, 0, 3, policy.marketplace("US"))
    assert metrics["rate_before"] is None and metrics["rate_after"] is None
    assert metrics["over_threshold"] is True
    assert metrics["headroom_orders"] == 0
    quiet = impact.project_rate(0, 0, 0, policy.marketplace("US"))
    assert quiet["over_threshold"] is False and quiet["rate_after"] == 0.0


def test_without_volume_the_report_says_which_option_gives_it():
    result = cancelkit.check(rows=[{"order-id": ORDER_A}])
    assert result.metrics["rate_after"] is None
    context = result.report_context()
    assert any("--orders-7d" in hint for hint in context["hints"])


def test_marketplace_table():
    us_like = ("US", "CA", "MX", "BR", "UK", "DE", "FR", "IT", "ES", "NL")
    us_like += ("SE", "PL", "BE", "IE", "AU", "JP", "SG", "AE", "SA")
    for code in us_like:
        assert policy.marketplace(code).threshold == 0.025
        assert policy.marketplace(code).window_days == 7
    assert policy.marketplace("IN").threshold == 0.02
    assert policy.marketplace("gb").code == "UK"
    with pytest.raises(cancelkit.ConfigError, match="unknown marketplace 'XX'"):
        policy.marketplace("XX")


def test_india_threshold_in_result():
    rows = [{"order-id": ORDER_A, "reason": "NoInventory", "order-item-id": ITEM_1}]
    result = cancelkit.check(rows=rows, orders_in_window=50, marketplace="IN")
    assert result.metrics["threshold"] == 0.02
    assert result.metrics["over_threshold"] is True  # 1/50 = 2%, not under 2%


# -- listing risk -----------------------------------------------------------------------------


def test_listing_risk_needs_two_counting_cancellations():
    rows = [
        {"order-id": ORDER_A, "reason": "NoInventory", "order-item-id": ITEM_1, "sku": "MUG"},
        {"order-id": ORDER_B, "reason": "NoInventory", "order-item-id": ITEM_2, "sku": "MUG"},
        {"order-id": ORDER_C, "reason": "NoInventory", "order-item-id": ITEM_3, "sku": "CUP"},
        {
            "order-id": "112-5550193-7782014",
            "reason": "BuyerCanceled",
            "order-item-id": "27485019374652",
            "sku": "CUP",
            "buyer-requested": "true",
        },
    ]
    result = cancelkit.check(rows=rows)
    assert result.listing_risks == [
        {"sku": "MUG", "seller_cancellations_30d": 2, "order_ids": [ORDER_A, ORDER_B]}
    ]


def test_duplicates_do_not_inflate_listing_risk():
    row = {"order-id": ORDER_A, "reason": "NoInventory", "order-item-id": ITEM_1, "sku": "MUG"}
    result = cancelkit.check(rows=[row, dict(row)])
    assert result.summary["duplicates"] == 1
    assert result.listing_risks == []


# -- gate and config --------------------------------------------------------------------------


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def batch(tmp_path):
    return write(
        tmp_path / "batch.csv",
        "order-id,cancellation-reason-code,amazon-order-item-code,is-buyer-requested-cancellation\n"
        f"{ORDER_A},BuyerCanceled,{ITEM_1},true\n"
        f"{ORDER_B},BuyerCanceled,{ITEM_2},false\n",
    )


@pytest.mark.parametrize(
    "fail_on, orders, code, flat_written",
    [
        ("none", None, 0, True),
        ("high", None, 0, True),  # the worst record is medium
        ("medium", None, 3, False),
        ("high", "40", 3, False),  # 1/40 = 2.5%: over the target
        ("high", "100", 0, True),
    ],
)
def test_gate_exit_codes(tmp_path, batch, fail_on, orders, code, flat_written):
    out = tmp_path / "out"
    args = ["generate", str(batch), "--out-dir", str(out), "--fail-on", fail_on]
    if orders:
        args += ["--orders-7d", orders]
    outcome = CliRunner().invoke(cli, args)
    assert outcome.exit_code == code, outcome.output
    names = sorted(p.name for p in out.iterdir())
    assert any(n.endswith("-report.html") for n in names)
    assert any(n.endswith(".txt") for n in names) is flat_written
    if code == 3 and orders:  # over the target: the default gate, whatever --fail-on says
        assert "STOPPED, over the target: US 2.50% against a target under 2.50%" in outcome.stderr
    elif code == 3:
        assert "risk gate --fail-on" in outcome.stderr


def test_gate_trips_over_rejected_rows_exit(tmp_path, batch):
    bad = write(tmp_path / "bad.csv", "order-id,reason,order-item-id\nnope,NoInventory,1\n")
    args = ["check", str(batch), str(bad), "--fail-on", "medium"]
    assert CliRunner().invoke(cli, args).exit_code == 3
    assert CliRunner().invoke(cli, ["check", str(batch), str(bad)]).exit_code == 1


def test_config_precedence(tmp_path, batch, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path / "cancelkit.toml",
        'marketplace = "IN"\norders_7d = 1000\ncancels_7d = 5\nfail_on = "none"\n',
    )
    # config over default
    result = cancelkit.check(str(batch))
    assert result.metrics["marketplace"] == "IN"
    assert result.metrics["orders_in_window"] == 1000
    assert result.metrics["seller_cancels_in_window"] == 5
    assert result.metrics["orders_source"].startswith("config")
    # option over config
    result = cancelkit.check(str(batch), orders_in_window=2000, marketplace="US")
    assert result.metrics["orders_in_window"] == 2000
    assert result.metrics["marketplace"] == "US"
    assert result.metrics["orders_source"] == "--orders-7d"
    assert result.metrics["seller_cancels_in_window"] == 5
    # and through the CLI
    outcome = CliRunner().invoke(cli, ["check", str(batch), "--fail-on", "medium"])
    assert outcome.exit_code == 3


def test_config_policy_override_and_errors(tmp_path, batch):
    config = write(tmp_path / "c.toml", "orders_7d = 100\n[policy.US]\nthreshold = 0.05\n")
    result = cancelkit.check(str(batch), config=str(config))
    assert result.metrics["threshold"] == 0.05
    bad = write(tmp_path / "bad.toml", "orders = 3\n")
    with pytest.raises(cancelkit.ConfigError, match="unknown setting"):
        cancelkit.check(str(batch), config=str(bad))
    outcome = CliRunner().invoke(cli, ["check", str(batch), "--config", str(bad)])
    assert outcome.exit_code == 2
    assert "unknown setting" in outcome.stderr


def test_reasons_command_lists_every_code_with_its_effect():
    outcome = CliRunner().invoke(cli, ["reasons"])
    assert outcome.exit_code == 0
    for reason in cancelkit.amazon.reasons.CATALOGUE:
        assert reason.code in outcome.output
    assert "Does not count when the buyer requested" in outcome.output
    as_json = CliRunner().invoke(cli, ["reasons", "--json"])
    assert '"metric_effect": "standard"' in as_json.output


def test_terminal_summary_plain_and_coloured(batch):
    from cancelkit.write.terminal import terminal_summary

    result = cancelkit.check(str(batch), orders_in_window=100)
    plain = terminal_summary(result, color=False)
    assert "\x1b[" not in plain
    assert "rate before 0.00% -> after 1.00%" in plain
    coloured = terminal_summary(result, color=True)
    assert "\x1b[33m" in coloured  # the warning verdict in amber


def test_config_sets_input_limits(tmp_path, batch):
    config = write(tmp_path / "limits.toml", "max_columns = 3\n")
    outcome = CliRunner().invoke(cli, ["check", str(batch), "--config", str(config)])
    assert outcome.exit_code == 2
    assert "[too_many_columns]" in outcome.stderr
    bad = write(tmp_path / "bad-limits.toml", "max_rows = 0\n")
    with pytest.raises(cancelkit.ConfigError, match="max_rows"):
        cancelkit.check(str(batch), config=str(bad))
