"""`cancelkit fetch-orders` against the stand-in: searchOrders page by page, an order report
that `--orders-report` reads, and no buyer personal data in it even when Amazon sends some."""

from __future__ import annotations

import pytest
from conftest import assert_one_line_error, invoke

import cancelkit
from cancelkit.enrich import amazon_orders, orders_report
from cancelkit.enrich.order_facts import OrderItem
from cancelkit.errors import ConfigError

US, DE = "ATVPDKIKX0DER", "A1PA6795UKMFR9"
PERSONAL = ("Jane Q. Buyer", "jane.buyer@marketplace.amazon.com", "12 Secret Lane", "555-0100")


def order(number: int, status="UNSHIPPED", by="MERCHANT", market=US, request=None) -> dict:
    """An Order of searchOrders; the stand-in sends buyer and recipient data regardless of
    includedData, the worst case for the file cancelkit writes."""
    item = {
        "orderItemId": f"6284517392{number:04d}",
        "quantityOrdered": 1,
        "product": {
            "asin": f"B0{number:08d}",
            "sellerSku": f"MUG-{number}",
            "title": "Blue mug\twith a tab\nand a line break",
        },
    }
    if request:
        item["cancellation"] = {
            "cancellationRequest": {"requester": "BUYER", "cancelReason": request}
        }
    return {
        "orderId": f"113-{number:07d}-2038475",
        "createdTime": "2026-11-30T10:00:00Z",
        "lastUpdatedTime": "2026-11-30T11:00:00Z",
        "salesChannel": {
            "channelName": "AMAZON",
            "marketplaceId": market,
            "marketplaceName": "Amazon.com" if market == US else "Amazon.de",
        },
        "buyer": {"buyerName": PERSONAL[0], "buyerEmail": PERSONAL[1]},
        "recipient": {
            "deliveryAddress": {
                "name": PERSONAL[0],
                "addressLine1": PERSONAL[2],
                "city": "Springfield",
                "postalCode": "99999",
                "countryCode": "US",
                "phone": PERSONAL[3],
            }
        },
        "fulfillment": {
            "fulfillmentStatus": status,
            "fulfilledBy": by,
            "shipByWindow": {"latestDateTime": "2026-12-03T07:59:59Z"},
        },
        "orderItems": [item],
    }


def scenario_orders() -> list[dict]:
    orders = [order(n) for n in range(1, 151)]  # two pages of at most 100
    orders[0] = order(1, request="Ordered by mistake")
    orders[1] = order(2, status="PENDING")
    orders.append(order(900, by="AMAZON"))
    orders.append(order(901, status="SHIPPED"))
    orders.append(order(902, market=DE))
    return orders


def test_fetch_orders_writes_an_order_report_without_personal_data(standin, tmp_path):
    standin.scenario.orders = scenario_orders()
    output = tmp_path / "orders.txt"
    run = invoke("fetch-orders", "-o", output)
    assert run.exit_code == 0, run.output
    assert run.stderr == f"fetch-orders: 150 order item lines written to {output}\n"
    assert standin.violations == []
    assert standin.count("searchOrders") == 2
    first = standin.orders_queries[0]
    assert first["includedData"] == "FULFILLMENT,CANCELLATION"  # never BUYER or RECIPIENT
    assert (first["fulfilledBy"], first["marketplaceIds"]) == ("MERCHANT", US)
    assert first["fulfillmentStatuses"] == "PENDING,UNSHIPPED,PARTIALLY_SHIPPED"
    assert standin.orders_queries[1]["paginationToken"] == "100"

    text = output.read_bytes().decode()
    lines = text.split("\r\n")
    meta = lines.pop(0).split("\t")  # what the file is a listing of (issue 17)
    assert meta[0] == "#cancelkit-fetch-orders"
    assert meta[1:3] == ["marketplace=US", f"marketplace-id={US}"]
    assert meta[5:] == ["statuses=PENDING,UNSHIPPED,PARTIALLY_SHIPPED", "fulfilled-by=MERCHANT"]
    assert lines[0].split("\t") == list(amazon_orders.COLUMNS)
    assert lines[1].split("\t") == [
        "113-0000001-2038475",
        "62845173920001",
        "Unshipped",
        "Merchant",
        "MUG-1",
        "B000000001",
        "1",
        "",  # no quantityFulfilled given
        "true",
        "Ordered by mistake",
        "2026-12-03T07:59:59Z",
        "Amazon.com",
        US,
    ]
    assert len(lines) == 152 and lines[-1] == ""
    for value in (*PERSONAL, "Springfield", "Blue mug"):
        assert value not in text

    report = orders_report.load(output)
    assert len(report) == 150
    requested = report.get("113-0000001-2038475")
    assert (requested.buyer_requested, requested.buyer_requested_reason) == (
        "true",
        "Ordered by mistake",
    )
    assert report.get("113-0000002-2038475").order_status == "Pending"
    assert report.get("113-0000003-2038475").items == [
        OrderItem("62845173920003", "MUG-3", "B000000003")
    ]
    assert report.orders_in_window(7) is None  # unshipped orders are not the rate's base


def test_the_fetched_report_drives_the_checks(standin, tmp_path):
    standin.scenario.orders = scenario_orders()
    output = tmp_path / "orders.txt"
    assert cancelkit.fetch_orders(output) == 150
    batch = tmp_path / "cancel.csv"
    batch.write_text(
        "order-id,cancellation-reason-code,amazon-order-item-code\n"
        "113-0000001-2038475,BuyerCanceled,62845173920001\n"
        "113-0000002-2038475,NoInventory,62845173920002\n"
    )
    with cancelkit.check(batch, orders_reports=[output], no_ledger=True) as result:
        requested, pending = result.records
    assert requested["status"] == "accepted" and requested["counts_against_rate"] is False
    assert pending["status"] == "rejected"
    assert [e["code"] for e in pending["errors"]] == ["order_pending"]


def test_another_marketplace_is_asked_for_by_its_id(standin, tmp_path):
    standin.scenario.orders = scenario_orders()
    output = tmp_path / "orders-de.txt"
    run = invoke("fetch-orders", "--marketplace", "DE", "--days", "7", "-o", output)
    assert run.exit_code == 0, run.output
    assert standin.orders_queries[0]["marketplaceIds"] == DE
    body = output.read_bytes().decode().split("\r\n")[2:-1]
    assert [line.split("\t")[0] for line in body] == ["113-0000902-2038475"]
    assert body[0].split("\t")[-2:] == ["Amazon.de", DE]


def test_an_existing_file_is_kept_without_force(standin, tmp_path):
    output = tmp_path / "orders.txt"
    output.write_text("keep me")
    run = invoke("fetch-orders", "-o", output)
    assert_one_line_error(run, f"{output}: already exists; use --force")
    assert output.read_text() == "keep me" and standin.calls == []
    assert invoke("fetch-orders", "-o", output, "--force").exit_code == 0
    assert output.read_text().split("\n")[1].startswith("order-id\torder-item-id\t")


def test_a_403_leaves_no_file(standin, tmp_path):
    standin.scenario.reject_tokens = True
    output = tmp_path / "orders.txt"
    run = invoke("fetch-orders", "-o", output)
    assert_one_line_error(
        run, "searchOrders: Amazon refused the request (HTTP 403", "[spapi_forbidden]"
    )
    assert not output.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left either


@pytest.mark.parametrize("days", [0, -3, "7", 2.5, True])
def test_the_api_refuses_a_bad_number_of_days(standin, tmp_path, days):
    with pytest.raises(ConfigError, match="days must be a whole number of days >= 1"):
        cancelkit.fetch_orders(tmp_path / "orders.txt", days=days)
    assert standin.calls == []


def test_an_unknown_marketplace_is_refused(standin, tmp_path):
    run = invoke("fetch-orders", "--marketplace", "XX", "-o", tmp_path / "o.txt")
    assert_one_line_error(run, "unknown marketplace 'XX' for the SP-API", "[config_error]")


# -- issue 17: a complete listing of its window, and the items' fulfilled quantities ------


def two_items(number: int, shipped: tuple[int, int], ordered=(1, 2)) -> dict:
    """A PartiallyShipped order of two items with their quantityFulfilled."""
    found = order(number, status="PARTIALLY_SHIPPED")
    first = found["orderItems"][0]
    second = {**first, "orderItemId": f"6284517393{number:04d}", "quantityOrdered": ordered[1]}
    first = {**first, "quantityOrdered": ordered[0]}
    first["fulfillment"] = {"quantityFulfilled": shipped[0], "quantityUnfulfilled": 0}
    second["fulfillment"] = {"quantityFulfilled": shipped[1], "quantityUnfulfilled": 1}
    found["orderItems"] = [first, second]
    return found


def test_fetched_file_is_a_complete_listing_of_its_window(standin, tmp_path):
    standin.scenario.orders = [order(1), order(901, status="SHIPPED"), order(900, by="AMAZON")]
    output = tmp_path / "orders.txt"
    assert cancelkit.fetch_orders(output) == 1
    report = orders_report.load(output)
    (listing,) = report.files
    assert listing.kind == "fetch-orders" and listing.complete and listing.marketplace == "US"
    start, end = listing.window
    assert round((end - start).total_seconds()) == 30 * 86400
    batch = tmp_path / "cancel.csv"
    batch.write_text(
        "order-id,cancellation-reason-code,amazon-order-item-code\n"
        "113-0000001-2038475,NoInventory,62845173920001\n"
        "113-0000901-2038475,NoInventory,62845173920901\n"  # shipped: Amazon left it out
        "113-0000900-2038475,NoInventory,62845173920900\n"  # FBA: Amazon left it out
    )
    with cancelkit.check(batch, orders_reports=[output], no_ledger=True) as result:
        listed, shipped, fba = result.records
    assert listed["status"] == "accepted"
    for record in (shipped, fba):
        assert record["status"] == "rejected"
        (error,) = record["errors"]
        assert error["code"] == "order_not_unshipped"
        assert str(output) in error["message"] and "fetch-orders file" in error["message"]
        assert "give amazon-order-item-code" not in error["message"]
    # the same through the command line: nothing but the listed order is uploaded
    out = tmp_path / "out"
    run = invoke("generate", batch, "--orders-report", output, "--no-ledger", "--out-dir", out)
    assert run.exit_code == 1, run.output
    assert "rejected order_not_unshipped: 2" in run.stderr
    (upload,) = out.glob("cancellations-*.txt")
    body = upload.read_text(encoding="ascii").splitlines()[2:]
    assert body == ["113-0000001-2038475\tNoInventory\t62845173920001"]


def test_fully_shipped_item_refused_partly_shipped_flagged(standin, tmp_path):
    standin.scenario.orders = [two_items(5, shipped=(1, 1))]
    output = tmp_path / "orders.txt"
    assert cancelkit.fetch_orders(output) == 2
    lines = output.read_bytes().decode().split("\r\n")
    i_shipped = amazon_orders.COLUMNS.index("quantity-shipped")
    assert [line.split("\t")[i_shipped] for line in lines[2:4]] == ["1", "1"]
    rows = [
        {"order-id": "113-0000005-2038475", "reason": "NoInventory", "order-item-id": item}
        for item in ("62845173920005", "62845173930005")
    ]
    rows.append({"order-id": "113-0000005-2038475", "reason": "", "order-item-id": ""})
    result = cancelkit.check(rows=rows[:2], orders_reports=[output], no_ledger=True)
    whole = cancelkit.check(rows=rows[2:], orders_reports=[output], no_ledger=True)
    done, half = result.records
    assert done["status"] == "rejected"
    (error,) = done["errors"]
    assert error["code"] == "order_shipped" and "all 1 of the item's units" in error["message"]
    assert half["status"] == "accepted"
    flag = next(f for f in half["flags"] if f["code"] == "order_partially_shipped")
    assert "1 of the item's 2 units shipped" in flag["message"]
    assert whole.records[0]["status"] == "rejected"
    assert whole.records[0]["errors"][0]["code"] == "order_shipped"


def test_a_fetched_file_without_a_readable_window_is_refused(tmp_path):
    path = tmp_path / "orders.txt"
    path.write_text(
        "#cancelkit-fetch-orders\tmarketplace=US\tcreated-after=soon\tfetched-at=never\n"
        + "\t".join(amazon_orders.COLUMNS)
        + "\n113-0000001-2038475\t62845173920001\tUnshipped\tMerchant"
        + "\t" * (len(amazon_orders.COLUMNS) - 4)
        + "\n"
    )
    with pytest.raises(cancelkit.InputError, match="no readable fetched-at"):
        orders_report.load(path)
