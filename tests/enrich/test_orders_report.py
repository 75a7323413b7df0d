"""Amazon order reports: reading by header name, SKU -> item code, context, the 7-day window,
and that personal data never gets into memory."""

from __future__ import annotations

import csv
import datetime as dt
import pickle
from pathlib import Path

import pytest
from conftest import FIXTURES

from cancelkit.enrich import orders_report
from cancelkit.enrich.order_facts import ORDER_FIELDS, OrderItem
from cancelkit.enrich.report_index import OrdersReport
from cancelkit.errors import InputError

UNSHIPPED = FIXTURES / "unshipped-orders.txt"
ORDERS = FIXTURES / "order-report.txt"
UTC = dt.timezone.utc

# columns of Amazon's reports that hold personal data (docs/domain.md section 5)
PERSONAL_COLUMNS = (
    "buyer-email",
    "buyer-name",
    "buyer-phone-number",
    "recipient-name",
    "ship-address-1",
    "ship-address-2",
    "ship-address-3",
    "ship-city",
    "ship-postal-code",
    "gift-message-text",
    "buyer-company-name",
    "cpf",
)


def read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream, delimiter="\t", quoting=csv.QUOTE_NONE))


def write_report(path: Path, header: list[str], rows: list[list[str]], **options) -> Path:
    encoding = options.get("encoding", "utf-8")
    newline = options.get("newline", "\n")
    text = newline.join("\t".join(cells) for cells in [header, *rows]) + newline
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture(scope="module")
def unshipped() -> OrdersReport:
    return orders_report.load(UNSHIPPED)


@pytest.fixture(scope="module")
def both() -> OrdersReport:
    return orders_report.load([UNSHIPPED, ORDERS])


# -- reading ----------------------------------------------------------------------------


def test_every_order_of_the_unshipped_report_is_read(unshipped):
    lines = read_tsv(UNSHIPPED)
    assert len(unshipped) == len({line["order-id"] for line in lines}) == 17
    for line in lines:
        order = unshipped.get(line["order-id"])
        assert order is not None
        item = order.item(line["order-item-id"])
        assert item is not None and item.sku == line["sku"]
    assert unshipped.get("999-0000000-0000000") is None
    assert "111-8837261-4402918" in unshipped


def test_the_order_report_is_read_by_its_amazon_order_id_header():
    report = orders_report.load(ORDERS)
    order = report.get("112-8042719-3356120")
    assert order.order_status == "Pending"
    assert order.fulfillment_channel == "Merchant"
    assert order.purchase_date == "2026-11-24T22:48:19+00:00"
    assert order.items == [OrderItem(None, "MUG-BLUE-12OZ", "B0CK7TQ2MZ")]
    assert report.get("112-2039485-5526710").items == [
        OrderItem(None, "KETTLE-GOOSENECK-1L", "B0B8TGK5XE"),
        OrderItem(None, "TRIVET-BAMBOO-RND", "B0C1QF6YDS"),
    ]


def test_two_reports_join_by_order_id_and_item(both):
    order = both.get("111-8837261-4402918")
    # status and channel from the order report, item codes from the Unshipped Orders report
    assert (order.order_status, order.fulfillment_channel) == ("Unshipped", "Merchant")
    assert order.items == [
        OrderItem("31947205836174", "TEAPOT-CAST-1L", "B0BZ4HM7RT"),
        OrderItem("31947205836188", "TRIVET-BAMBOO-RND", "B0C1QF6YDS"),
    ]
    # every unshipped order is in the all-orders report too
    assert set(both.order_ids()) == set(orders_report.load(ORDERS).order_ids())


def test_unknown_columns_are_ignored_and_headers_matched_loosely(tmp_path):
    path = write_report(
        tmp_path / "r.txt",
        ["Amazon Order ID", "Order Item ID", "SKU", "whatever-amazon-adds", "Order Status"],
        [["111-0000001-0000001", "12345678901234", "A-1", "x", "Unshipped"]],
    )
    report = orders_report.load(path)
    assert report.get("111-0000001-0000001").order_status == "Unshipped"
    assert report.resolve_item("111-0000001-0000001", "A-1") == ("12345678901234", None)


@pytest.mark.parametrize(
    "encoding, newline",
    [("utf-8", "\n"), ("utf-8-sig", "\r\n"), ("cp1252", "\r\n"), ("utf-16", "\r\n")],
)
def test_encodings_and_line_ends(tmp_path, encoding, newline):
    path = write_report(
        tmp_path / "r.txt",
        ["order-id", "order-item-id", "sku", "buyer-name", "buyer-requested-cancel-reason"],
        [["111-0000001-0000001", "12345678901234", "CAFÉ-1", "José Martínez", "Trop cher €"]],
        encoding=encoding,
        newline=newline,
    )
    report = orders_report.load(path)
    assert report.resolve_item("111-0000001-0000001", "CAFÉ-1") == ("12345678901234", None)
    assert report.context("111-0000001-0000001")["buyer_requested_reason"] == "Trop cher €"


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (b"sku\tasin\nA\tB\n", "no order-id or amazon-order-id column"),
        (b"order-id\tsku\n", "no order lines"),
        (b"PK\x03\x04\x00\x00binary\x00\x00", "binary"),
    ],
)
def test_unusable_reports_are_refused_naming_the_file(tmp_path, content, fragment):
    path = tmp_path / "bad-report.txt"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        orders_report.load(path)
    message = str(info.value)
    assert str(path) in message and fragment in message
    assert "\n" not in message


def test_missing_file_and_folder_are_refused(tmp_path):
    with pytest.raises(InputError, match="no such order report"):
        orders_report.load(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="is a folder"):
        orders_report.load(tmp_path)


# -- SKU -> item code ---------------------------------------------------------------------


def test_a_sku_with_one_item_in_the_order_gives_its_item_code(unshipped):
    assert unshipped.resolve_item("111-8837261-4402918", "TEAPOT-CAST-1L") == (
        "31947205836174",
        None,
    )
    assert unshipped.resolve_item("111-8837261-4402918", " TRIVET-BAMBOO-RND ") == (
        "31947205836188",
        None,
    )
    # the same SKU in another order is another item
    assert unshipped.resolve_item("114-2093847-5610293", "MUG-BLUE-12OZ") == (
        "62845173920571",
        None,
    )


def test_a_sku_not_in_the_order_is_an_error_listing_the_candidates(unshipped):
    code, problem = unshipped.resolve_item("111-8837261-4402918", "MUG-BLUE-12OZ")
    assert code is None
    assert problem[0] == "sku_not_in_order"
    assert "MUG-BLUE-12OZ" in problem[1]
    assert "31947205836174 (SKU TEAPOT-CAST-1L)" in problem[1]
    assert "31947205836188 (SKU TRIVET-BAMBOO-RND)" in problem[1]


def test_an_order_not_in_the_report_cannot_resolve_a_sku(unshipped):
    code, problem = unshipped.resolve_item("999-0000000-0000000", "MUG-BLUE-12OZ")
    assert code is None and problem[0] == "sku_not_in_order"
    assert "999-0000000-0000000 is not in the order report" in problem[1]


def test_a_sku_on_two_items_of_the_order_is_ambiguous(tmp_path):
    path = write_report(
        tmp_path / "r.txt",
        ["order-id", "order-item-id", "sku"],
        [
            ["111-0000001-0000001", "11111111111111", "GIFT-BOX"],
            ["111-0000001-0000001", "22222222222222", "GIFT-BOX"],
            ["111-0000001-0000001", "33333333333333", "CARD"],
        ],
    )
    report = orders_report.load(path)
    code, problem = report.resolve_item("111-0000001-0000001", "GIFT-BOX")
    assert code is None
    assert problem[0] == "sku_ambiguous"
    assert "11111111111111, 22222222222222" in problem[1]
    assert report.resolve_item("111-0000001-0000001", "card") == ("33333333333333", None)


def test_a_report_without_item_codes_says_so():
    report = orders_report.load(ORDERS)
    code, problem = report.resolve_item("113-4728391-2038475", "MUG-BLUE-12OZ")
    assert code is None and problem[0] == "item_code_not_in_report"
    assert "Unshipped Orders report" in problem[1]


def test_item_codes_must_belong_to_their_order(unshipped, both):
    order = unshipped.get("111-8837261-4402918")
    assert order.item("31947205836188") is not None
    assert order.item("62845173920562") is None
    assert unshipped.get("999-0000000-0000000") is None
    assert unshipped.check_item("111-8837261-4402918", "31947205836188") is None
    code, message = unshipped.check_item("111-8837261-4402918", "62845173920562")
    assert code == "item_not_in_order"
    assert "62845173920562" in message and "31947205836174 (SKU TEAPOT-CAST-1L)" in message
    # the reports cannot tell: the order is not listed, or listed without item codes
    assert unshipped.check_item("999-0000000-0000000", "62845173920562") is None
    assert orders_report.load(ORDERS).check_item("113-4728391-2038475", "1") is None


# -- context ------------------------------------------------------------------------------


def test_context_carries_the_buyer_request_and_ship_by_facts(unshipped):
    assert unshipped.context("112-5550193-7782014", "27485019374652") == {
        "buyer_requested": "true",
        "buyer_requested_reason": "Ordered by mistake",
        "days_past_promise": "-1",
        "promise_date": "2026-11-26T07:59:59+00:00",
        "verge_of_cancellation": "false",
        "sku": "COASTER-CORK-4PK",
    }
    assert unshipped.context("113-0918273-6645510")["verge_of_cancellation"] == "true"
    assert unshipped.context("999-0000000-0000000") == {}


def test_context_of_the_joined_reports(both):
    context = both.context("113-4728391-2038475", "62845173920562")
    assert context["order_status"] == "Unshipped"
    assert context["fulfillment_channel"] == "Merchant"
    assert (context["sku"], context["asin"]) == ("MUG-BLUE-12OZ", "B0CK7TQ2MZ")
    assert set(context) <= set(ORDER_FIELDS) | {"sku", "asin", "item_price"}
    # a whole-order row of a two-listing order has no single SKU
    whole = both.context("111-8837261-4402918")
    assert "sku" not in whole and whole["order_status"] == "Unshipped"
    # a one-listing order gives it for the whole order too
    assert both.context("114-4471820-2265913")["sku"] == "SPOON-SET-6PC"


def test_a_buyer_request_in_any_report_wins(tmp_path):
    header = ["order-id", "order-item-id", "is-buyer-requested-cancellation"]
    first = write_report(tmp_path / "a.txt", header, [["111-0000001-0000001", "1", "false"]])
    second = write_report(tmp_path / "b.txt", header, [["111-0000001-0000001", "1", "true"]])
    for paths in ([first, second], [second, first]):
        context = orders_report.load(paths).context("111-0000001-0000001")
        assert context["buyer_requested"] == "true"


# -- personal data ------------------------------------------------------------------------


def test_personal_data_never_reaches_the_report_objects(both):
    personal = {
        line[column]
        for line in read_tsv(UNSHIPPED)
        for column in PERSONAL_COLUMNS
        if line.get(column, "").strip() and len(line[column]) > 3
    }
    assert "Megan Whitaker" in personal and "Happy birthday, Dana! Love, Rosa" in personal
    # pickle reaches every attribute of every object the report holds
    dumped = pickle.dumps(both).decode("utf-8", errors="replace")
    texts = [repr(both), dumped]
    for order_id in both.order_ids():
        order = both.get(order_id)
        texts += [repr(order), str(both.context(order_id))]
    everything = "\n".join(texts)
    leaked = sorted(value for value in personal if value in everything)
    assert leaked == []
    assert "@marketplace.amazon.com" not in everything


# -- the 7-day window ---------------------------------------------------------------------


def test_orders_in_window_counts_distinct_merchant_orders_before_the_newest_purchase():
    lines = read_tsv(ORDERS)
    stamps = {
        line["amazon-order-id"]: dt.datetime.fromisoformat(line["purchase-date"])
        for line in lines
        if line["fulfillment-channel"] == "Merchant"
    }
    end = max(dt.datetime.fromisoformat(line["purchase-date"]) for line in lines)
    expected = sum(1 for moment in stamps.values() if moment > end - dt.timedelta(days=7))

    count, start, stop = orders_report.load(ORDERS).orders_in_window(7)
    assert stop == end == dt.datetime(2026, 11, 24, 23, 31, 45, tzinfo=UTC)
    assert start == dt.datetime(2026, 11, 17, 23, 31, 45, tzinfo=UTC)
    assert count == expected == 29
    # Amazon-fulfilled orders are not in the rate; a shorter window counts fewer
    assert orders_report.load(ORDERS).orders_in_window(1)[0] == 6


def test_the_window_needs_an_all_orders_report(both):
    # the Unshipped Orders report lists only unshipped orders: too few for the denominator
    assert orders_report.load(UNSHIPPED).orders_in_window(7) is None
    assert both.orders_in_window(7) == orders_report.load(ORDERS).orders_in_window(7)


def test_the_window_without_purchase_dates_or_channel(tmp_path):
    no_dates = write_report(
        tmp_path / "a.txt", ["order-id", "order-status"], [["111-0000001-0000001", "Shipped"]]
    )
    assert orders_report.load(no_dates).orders_in_window(7) is None
    no_channel = write_report(
        tmp_path / "b.txt",
        ["order-id", "order-status", "purchase-date"],
        [
            ["111-0000001-0000001", "Shipped", "2026-11-20T10:00:00Z"],
            ["111-0000001-0000001", "Shipped", "2026-11-20T10:00:00Z"],
            ["111-0000002-0000002", "Shipped", "2026-11-13T09:00:00+00:00"],
            ["111-0000003-0000003", "Shipped", "not a date"],
        ],
    )
    count, start, end = orders_report.load(no_channel).orders_in_window(7)
    assert count == 1
    assert end == dt.datetime(2026, 11, 20, 10, tzinfo=UTC)
