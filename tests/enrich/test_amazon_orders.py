"""`cancelkit fetch-orders` against the stand-in: searchOrders page by page, an order report
that `--orders-report` reads, and no buyer personal data in it even when Amazon sends some."""

from __future__ import annotations

import pytest
from conftest import assert_one_line_error, invoke

import cancelkit
from cancelkit.enrich import amazon_orders, orders_report
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
    assert lines[0].split("\t") == list(amazon_orders.COLUMNS)
    assert lines[1].split("\t") == [
        "113-0000001-2038475",
        "62845173920001",
        "Unshipped",
        "Merchant",
        "MUG-1",
        "B000000001",
        "1",
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
        orders_report.OrderItem("62845173920003", "MUG-3", "B000000003")
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
    body = output.read_bytes().decode().split("\r\n")[1:-1]
    assert [line.split("\t")[0] for line in body] == ["113-0000902-2038475"]
    assert body[0].split("\t")[-2:] == ["Amazon.de", DE]


def test_an_existing_file_is_kept_without_force(standin, tmp_path):
    output = tmp_path / "orders.txt"
    output.write_text("keep me")
    run = invoke("fetch-orders", "-o", output)
    assert_one_line_error(run, f"{output}: already exists; use --force")
    assert output.read_text() == "keep me" and standin.calls == []
    assert invoke("fetch-orders", "-o", output, "--force").exit_code == 0
    assert output.read_text().startswith("order-id\torder-item-id\t")


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
