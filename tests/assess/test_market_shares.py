"""Marketplaces in one batch (docs/domain.md section 9): the marketplace of each row, the counts per
marketplace, the figures each is projected with, and the gate over all of them."""

from __future__ import annotations

import random

import pytest
from conftest import FIXTURES

import cancelkit
from cancelkit.amazon import marketplaces, policy
from cancelkit.assess.market_shares import MarketBatch, MarketCount, count_by_market, main_market
from cancelkit.errors import ConfigError
from cancelkit.options import build_options, parse_figures
from cancelkit.validate.batch import COUNTING, BatchIndex, Patch

EU = FIXTURES / "eu-batch.csv"
EU_REPORT = FIXTURES / "orders-report-eu.txt"
HEADER = ["order-id", "cancellation-reason-code", "amazon-order-item-code", "marketplace"]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("DE", "DE"),
        (" de ", "DE"),
        ("GB", "UK"),
        ("Amazon.de", "DE"),
        ("amazon.co.uk", "UK"),
        ("www.amazon.fr", "FR"),
        ("https://www.amazon.it/", "IT"),
        ("Amazon.com", "US"),
        ("Amazon.co.jp", "JP"),
        ("Amazon.com.br", "BR"),
        ("Amazon.in", "IN"),
        ("Amazon.com.mx", "MX"),
        ("A1PA6795UKMFR9", "DE"),
        ("A13V1IB3VIYZZH", "FR"),
        ("ATVPDKIKX0DER", "US"),
        ("Non-Amazon", None),
        ("Amazon.xx", None),
        ("", None),
    ],
)
def test_marketplace_code_reads_codes_sites_and_ids(value, code):
    assert marketplaces.marketplace_code(value) == code


def test_every_table_entry_names_a_marketplace_of_the_policy():
    assert set(marketplaces.SALES_CHANNELS.values()) == set(policy.MARKETPLACES)
    # every marketplace of the policy has an SP-API marketplace id (amazon/marketplaces.py)
    assert set(policy.MARKETPLACES) <= set(marketplaces.MARKETPLACE_IDS)
    assert marketplaces.marketplace_code("A33AVAJ2PDY3EV") == "TR"


# every marketplace the issue names (docs/domain.md sections 8 and 10), by code, site and id
EVERY = {
    "TR": ("amazon.com.tr", "A33AVAJ2PDY3EV", "EU", "TRY"),
    "ZA": ("amazon.co.za", "AE08WJ6YKNBMC", "EU", "ZAR"),
    "EG": ("amazon.eg", "ARBP9OOSHTCHU", "EU", "EGP"),
    "IE": ("amazon.ie", "A28R8C7NBKEWEA", "EU", "EUR"),
    "BE": ("amazon.com.be", "AMEN7PMS3EDWL", "EU", "EUR"),
    "SA": ("amazon.sa", "A17E79C6D8DWNP", "EU", "SAR"),
    "AE": ("amazon.ae", "A2VIGQ35RCS4UG", "EU", "AED"),
    "SG": ("amazon.sg", "A19VAU5U5O7RUS", "FE", "SGD"),
    "AU": ("amazon.com.au", "A39IBJ37TRP1C6", "FE", "AUD"),
    "MX": ("amazon.com.mx", "A1AM78C64UM0Y8", "NA", "MXN"),
    "BR": ("amazon.com.br", "A2Q3Y263D00KWC", "NA", "BRL"),
    "CA": ("amazon.ca", "A2EUQ1WTGCTBG2", "NA", "CAD"),
    "JP": ("amazon.co.jp", "A1VC38T7YXB528", "FE", "JPY"),
    "IN": ("amazon.in", "A21TJRUUN4KGV", "EU", "INR"),
    "PL": ("amazon.pl", "A1C3SOZRARQ6R3", "EU", "PLN"),
    "SE": ("amazon.se", "A2NODRKZP88ZB9", "EU", "SEK"),
    "NL": ("amazon.nl", "A1805IZSGTT6HS", "EU", "EUR"),
    "UK": ("amazon.co.uk", "A1F83G8C2ARO7P", "EU", "GBP"),
}


@pytest.mark.parametrize("code", sorted(EVERY))
def test_one_table_knows_every_marketplace(code):
    site, marketplace_id, region, currency = EVERY[code]
    row = marketplaces.BY_CODE[code]
    assert (row.site, row.marketplace_id, row.region, row.currency) == EVERY[code]
    for spelling in (code, code.lower(), f"Amazon.{site[7:]}", f"www.{site}", marketplace_id):
        assert marketplaces.marketplace_code(spelling) == code, spelling
    assert marketplaces.spapi_marketplace(code).marketplace_id == marketplace_id
    assert policy.marketplace(code).code == code


def test_marketplaces_without_a_sourced_target_get_the_default_and_say_so():
    unsourced = {c for c, m in policy.MARKETPLACES.items() if not m.sourced}
    assert unsourced == {"MX", "BR", "TR", "AE", "SA", "EG", "ZA", "SG"}
    assert {policy.MARKETPLACES[c].threshold for c in unsourced} == {0.025}
    assert policy.MARKETPLACES["IN"].threshold == 0.02 and policy.MARKETPLACES["IN"].sourced
    # a target the seller sets in [policy.TR] is theirs
    assert policy.marketplace("TR", {"threshold": 0.03}).sourced
    assert not policy.marketplace("TR", {"window_days": 10}).sourced


def _index(rows: list[tuple[str, str, int, str]]) -> BatchIndex:
    """(order id, item code, facts, marketplace code) rows accepted through the one adder."""
    index = BatchIndex()
    add = index.adder()
    for number, (order_id, item, facts, code) in enumerate(rows, start=2):
        add(order_id, item, facts, number, "", index.market_id(code))
    return index


def test_count_by_market_is_empty_for_a_batch_of_the_default_marketplace():
    index = _index([("111-0000000-0000001", "10000000000001", COUNTING, "US")])
    assert count_by_market(index, {}, "US") == []


def test_count_by_market_counts_rows_orders_and_counting_orders_per_marketplace():
    index = _index(
        [
            ("302-0000000-0000001", "10000000000001", COUNTING, "DE"),
            ("302-0000000-0000001", "10000000000002", COUNTING, "DE"),
            ("302-0000000-0000002", "10000000000003", 0, "DE"),
            ("171-0000000-0000003", "10000000000004", COUNTING, "FR"),
            ("171-0000000-0000004", "10000000000005", COUNTING, "FR"),
        ]
    )
    counts = count_by_market(index, {}, "US")
    assert counts == [MarketCount("DE", 0, 3, 2, 1), MarketCount("FR", 1, 2, 2, 2)]


def test_count_by_market_leaves_out_patched_rows():
    index = _index(
        [
            ("302-0000000-0000001", "10000000000001", COUNTING, "DE"),
            ("171-0000000-0000003", "10000000000004", COUNTING, "FR"),
        ]
    )
    patches = {1: Patch("rejected", "conflicting_reasons", "...")}
    # only DE is left, which is not the run's marketplace: still projected as DE
    assert count_by_market(index, patches, "US") == [MarketCount("DE", 0, 1, 1, 1)]
    assert count_by_market(index, patches, "DE") == []


def test_count_by_market_equals_counting_distinct_orders_by_hand():
    rng = random.Random(5)
    rows = []
    for n in range(3000):
        order = f"302-{rng.randint(0, 400):07d}-0000001"  # many orders repeat, far apart
        code = "DE" if int(order[4:11]) % 3 else "FR"  # an order's rows share a marketplace
        rows.append((order, f"{10**13 + n}", COUNTING if rng.random() < 0.6 else 0, code))
        if rng.random() < 0.3:  # a further item of the same order on the next row
            rows.append((order, f"{2 * 10**13 + n}", 0 if rng.random() < 0.5 else COUNTING, code))
    rows += rows[:40]  # duplicates: patched away by the batch rules
    index = _index(rows)
    patches, _, _ = index.resolve(lambda seq: f"row {seq}", 0)
    assert sum(p.status == "duplicate" for p in patches.values()) == 40
    expected = {}
    for seq, (order, _, facts, code) in enumerate(rows):
        if seq in patches:
            continue
        found = expected.setdefault(code, [0, set(), set()])
        found[0] += 1
        found[1].add(order)
        if facts & COUNTING:
            found[2].add(order)
    counts = count_by_market(index, patches, "US")
    assert {c.code: (c.accepted, c.orders, c.counting_orders) for c in counts} == {
        code: (n, len(orders), len(counting)) for code, (n, orders, counting) in expected.items()
    }


def test_main_market_has_most_counting_orders_then_most_rows():
    de, fr = policy.marketplace("DE"), policy.marketplace("FR")
    figures = build_options(no_ledger=True).window_figures()
    batches = [
        MarketBatch(de, MarketCount("DE", 0, 5, 4, 2), figures),
        MarketBatch(fr, MarketCount("FR", 1, 2, 2, 2), figures),
    ]
    assert main_market(batches).market.code == "DE"
    batches[1] = MarketBatch(fr, MarketCount("FR", 1, 2, 2, 3), figures)
    assert main_market(batches).market.code == "FR"


# -- figures per marketplace -------------------------------------------------------------------
def test_parse_figures_plain_number_and_per_marketplace():
    assert parse_figures("1200", "--orders-7d") == 1200
    assert parse_figures("DE=1200, FR=800", "--orders-7d") == {"DE": 1200, "FR": 800}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("-3", "must not be negative"),
        ("many", "is not a whole number"),
        ("DE=", "is not a whole number"),
        ("=5", "write N or CODE=N"),
        ("DE=1200,FR", "write N or CODE=N"),
    ],
)
def test_parse_figures_refuses_what_is_not_a_figure(text, words):
    with pytest.raises(ConfigError, match=words):
        parse_figures(text, "--orders-7d")


def test_unknown_marketplace_in_figures_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown marketplace 'XX'"):
        build_options(orders_in_window={"XX": 5}, no_ledger=True)
    with pytest.raises(ConfigError, match="orders_in_window"):
        build_options(orders_in_window="4000", no_ledger=True)


def test_window_figures_per_marketplace_option_over_config_over_found(tmp_path):
    config = tmp_path / "cancelkit.toml"
    config.write_text("orders_7d = 500\n", encoding="utf-8")  # a plain number, as before
    plain = build_options(config=config, no_ledger=True)
    assert (plain.orders_in_window, plain.orders_by_marketplace) == (500, {})
    config.write_text("[orders_7d]\nXX = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="orders_7d: unknown marketplace 'XX'"):
        build_options(config=config, no_ledger=True)
    config.write_text(
        "[cancelkit]\nmarketplace = 'DE'\n[cancelkit.orders_7d]\nDE = 900\nFR = 800\n"
        "[cancelkit.cancels_7d]\nFR = 4\n",
        encoding="utf-8",
    )
    options = build_options(config=config, orders_in_window={"DE": 1200}, no_ledger=True)
    de = options.window_figures((70, "order report"), (1, "ledger"), marketplace="DE", single=False)
    assert (de.orders_in_window, de.orders_source) == (1200, "--orders-7d")
    assert (de.cancels_in_window, de.cancels_source) == (1, "ledger")
    fr = options.window_figures((70, "order report"), (1, "ledger"), marketplace="FR", single=False)
    assert fr.orders_in_window == 800 and fr.orders_source.startswith("config ")
    assert fr.cancels_in_window == 4
    it = options.window_figures((70, "order report"), (None, None), marketplace="IT", single=False)
    assert (it.orders_in_window, it.orders_source) == (70, "order report")


def test_a_plain_number_is_the_figure_of_the_batchs_one_marketplace():
    options = build_options(orders_in_window=4000, no_ledger=True)
    assert options.window_figures(marketplace="FR", single=True).orders_in_window == 4000
    # in a batch spanning several it is --marketplace's (US here), not FR's
    assert options.window_figures(marketplace="FR", single=False).orders_in_window is None
    assert options.window_figures(marketplace="US", single=False).orders_in_window == 4000


# -- the batch ------------------------------------------------------------------------------------
def test_eu_batch_is_projected_per_marketplace():
    with cancelkit.check(EU, orders_in_window={"DE": 200, "FR": 60}, no_ledger=True) as result:
        assert result.summary["accepted"] == 7 and result.summary["rejected"] == 1
        by_market = result.metrics_by_marketplace
        assert set(by_market) == {"DE", "FR"}
        de, fr = by_market["DE"], by_market["FR"]
        assert (de["orders_in_window"], de["rate_after"], de["headroom_orders"]) == (200, 0.015, 1)
        assert de["over_threshold"] is False
        assert fr["orders_in_window"] == 60 and fr["rate_after"] == pytest.approx(2 / 60)
        assert fr["over_threshold"] is True and fr["headroom_orders"] == 0
        assert result.metrics == de  # DE has the most counting orders (3 against 2)
        assert result.rate_counting_orders == 3
        assert result.over_threshold() == ["FR"]
        rows = {row["marketplace"]: row for row in result.market_rows()}
        assert [(r["accepted"], r["orders"], r["counting_orders"]) for r in rows.values()] == [
            (5, 4, 3),
            (2, 2, 2),
        ]
        rejected = result.rejected_listed[0]
        assert rejected["row"] == 8
        assert rejected["errors"][0]["code"] == "marketplace_unknown"
        assert rejected["errors"][0]["column"] == "sales-channel"
        assert rejected["errors"][0]["value"] == "Amazon.xx"


def test_gate_trips_when_any_marketplace_is_over_its_target():
    # BuyerCanceled without evidence: medium risk, counting; --fail-on high ignores medium rows
    rows = [HEADER]
    rows += [[f"302-0000000-000000{n}", "BuyerCanceled", f"1000000000000{n}", "DE"] for n in (1, 2)]
    rows += [["171-0000000-0000009", "BuyerCanceled", "10000000000009", "FR"]]
    figures = {"DE": 1000, "FR": 10}
    with cancelkit.check(rows=rows, orders_in_window=figures, fail_on="high", no_ledger=True) as r:
        assert r.summary["risk"]["high"] == 0
        assert r.metrics["marketplace"] == "DE" and r.metrics["over_threshold"] is False
        assert r.over_threshold() == ["FR"]
        assert r.gate_tripped()
    figures = {"DE": 1000, "FR": 1000}
    with cancelkit.check(rows=rows, orders_in_window=figures, fail_on="high", no_ledger=True) as r:
        assert not r.gate_tripped()


def test_rows_without_a_marketplace_column_take_the_order_reports_sales_channel():
    rows = [
        ["order-id", "cancellation-reason-code", "amazon-order-item-code"],
        ["302-4419027-3318561", "NoInventory", "40019283746501"],
        ["171-5520394-8812736", "NoInventory", "40019283746531"],
        ["171-6631029-1109384", "NoInventory", "40019283746541"],
    ]
    with cancelkit.check(rows=rows, orders_reports=[EU_REPORT], no_ledger=True) as result:
        by_market = result.metrics_by_marketplace
        assert set(by_market) == {"DE", "FR"}
        # the orders of each marketplace's window in the all-orders report
        assert by_market["DE"]["orders_in_window"] == 7
        assert by_market["FR"]["orders_in_window"] == 3
        assert "of FR" in by_market["FR"]["orders_source"]
        assert result.metrics["marketplace"] == "FR"  # two counting orders against one


def test_a_batch_of_one_other_marketplace_is_projected_against_it_in_one_file(tmp_path):
    rows = [HEADER, ["171-0000000-0000009", "NoInventory", "10000000000009", "Amazon.fr"]]
    with cancelkit.check(rows=rows, orders_in_window=100, no_ledger=True) as result:
        assert result.metrics["marketplace"] == "FR"
        assert result.metrics["orders_in_window"] == 100  # a plain number: the one marketplace
        assert result.metrics_by_marketplace is None
        assert "metrics_by_marketplace" not in result.json_document()
        outputs = result.write_outputs(tmp_path, flat_file=tmp_path / "up.txt")
        assert outputs["flat_files"] == [str(tmp_path / "up.txt")]


def test_cancellation_fee_follows_each_rows_own_marketplace(tmp_path):
    config = tmp_path / "cancelkit.toml"
    config.write_text("referral_fee_rate = 0.1\n", encoding="utf-8")
    rows = [
        [*HEADER, "item-price", "promise-date"],
        [
            "402-0000000-0000001",
            "NoInventory",
            "10000000000001",
            "Amazon.in",
            "899.00",
            "2099-01-01",
        ],
        [
            "302-0000000-0000002",
            "NoInventory",
            "10000000000002",
            "Amazon.de",
            "50.00",
            "2099-01-01",
        ],
    ]
    for marketplace in ("US", "IN", "DE"):
        with cancelkit.check(
            rows=rows, config=config, marketplace=marketplace, no_ledger=True
        ) as r:
            fees = r.summary["cancellation_fees"]
            assert (fees["currency"], fees["rows_with_fee"], fees["estimated_total"]) == (
                "INR",
                1,
                89.9,
            )
            flagged = {rec["order_id"]: [f["code"] for f in rec["flags"]] for rec in r.records}
            assert "cancellation_fee" in flagged["402-0000000-0000001"]
            assert "cancellation_fee" not in flagged["302-0000000-0000002"]


def test_indias_30_day_rate_shows_only_in_its_own_marketplace_metrics():
    rows = [
        HEADER,
        ["402-0000000-0000001", "NoInventory", "10000000000001", "IN"],
        ["302-0000000-0000002", "NoInventory", "10000000000002", "DE"],
        ["302-0000000-0000003", "NoInventory", "10000000000003", "DE"],
    ]
    figures = {"IN": 100, "DE": 100}
    with cancelkit.check(
        rows=rows, marketplace="IN", orders_in_window=figures, orders_in_30d=400, no_ledger=True
    ) as result:
        by_market = result.metrics_by_marketplace
        assert by_market["IN"]["long_window"]["orders_in_window"] == 400
        assert "long_window" not in by_market["DE"]
        assert result.metrics == by_market["DE"]  # two counting orders against one
