"""Order-report records split by a line break inside a field are rejoined by the column
count; a record that cannot be rejoined is named with its line numbers, never shifted."""

from __future__ import annotations

import pytest
from conftest import FIXTURES

import cancelkit
from cancelkit.enrich import orders_report
from cancelkit.enrich.record_lines import RecordLines

BR_REPORT = FIXTURES / "orders-report-br.txt"
BR_BATCH = FIXTURES / "br-batch.csv"
HEADER = ["order-id", "order-item-id", "product-name", "is-buyer-requested-cancellation"]


def lines_of(*records: str) -> list[str]:
    return [line + "\n" for line in "\n".join(records).split("\n")]


def test_brazilian_report_line_breaks_are_rejoined():
    report = orders_report.load(BR_REPORT)
    assert report.problems == []
    assert len(report) == 3
    first = report.get("701-3390127-5561048")
    assert (first.buyer_requested, first.buyer_requested_reason) == ("true", "Pedido duplicado")
    second = report.get("701-8812039-2204715")
    assert second.verge_of_cancellation == "true"
    # no continuation line became an order of its own
    assert set(report.order_ids()) == {
        "701-3390127-5561048",
        "701-8812039-2204715",
        "701-4401928-7730162",
    }


def test_rejoined_buyer_request_keeps_buyer_canceled_off_the_rate():
    result = cancelkit.check(BR_BATCH, orders_reports=[BR_REPORT], no_ledger=True, marketplace="BR")
    by_row = {r["row"]: r for r in result.records}
    assert by_row[2]["counts_against_rate"] is False
    assert "buyer_request_unverified" not in [f["code"] for f in by_row[2]["flags"]]
    assert "verge_of_cancellation" in [f["code"] for f in by_row[3]["flags"]]


def test_rejoin_keeps_the_break_inside_the_field():
    text = lines_of(
        "\t".join(HEADER),
        "111-0000001-0000001\t11111111111111\tMug\nBlue\ttrue",
        "111-0000002-0000002\t22222222222222\tTea\tfalse",
    )
    records = RecordLines(len(HEADER), 0)
    rows = []
    for number, line in enumerate([*text[1:], ""], start=2):
        cells = line.rstrip("\n").split("\t")
        if len(cells) >= len(HEADER) and records.pending is None:
            rows.append(cells)
        else:
            rows.extend(records.feed(number, cells, line))
    assert rows == [
        ["111-0000001-0000001", "11111111111111", "Mug\nBlue", "true"],
        ["111-0000002-0000002", "22222222222222", "Tea", "false"],
    ]
    assert records.problems == []


@pytest.mark.parametrize(
    "body, fragment",
    [
        # the continuation brings too many cells: the record is dropped, not shifted
        (
            "111-0000001-0000001\t11111111111111\tMug\nBlue\tx\ttrue\textra",
            "lines 2-3: the record of order 111-0000001-0000001 has 6 cells where the header has 4",
        ),
        # a short line that starts no record and follows a complete one
        (
            "111-0000001-0000001\t11111111111111\tMug\ttrue\nstray text",
            "line 3: a line that starts",
        ),
    ],
)
def test_unjoinable_records_are_named_with_their_lines(tmp_path, body, fragment):
    path = tmp_path / "report.txt"
    path.write_text(
        "\t".join(HEADER) + "\n" + body + "\n111-0000009-0000009\t99999999999999\tTea\tfalse\n"
    )
    report = orders_report.load(path)
    (problem,) = report.problems
    assert str(path) in problem and fragment in problem
    assert "stray text" not in set(report.order_ids())
    assert "111-0000009-0000009" in report
    if "extra" in body:
        assert "111-0000001-0000001" not in report


def test_short_records_without_continuation_are_still_read(tmp_path):
    path = tmp_path / "report.txt"
    path.write_text(
        "\t".join(HEADER) + "\n111-0000001-0000001\t11111111111111\n"
        "111-0000002-0000002\t22222222222222\tTea\ttrue\n"
    )
    report = orders_report.load(path)
    assert report.problems == [] and len(report) == 2


def test_a_tab_inside_a_field_is_named_never_shifted(tmp_path):
    path = tmp_path / "report.txt"
    path.write_text(
        "order-id\torder-item-id\torder-status\tfulfillment-channel\n"
        "111-0000001-0000001\t11111111111111\t\tShipped\tMerchant\n"  # a stray tab
        "111-0000002-0000002\t22222222222222\tUnshipped\tMerchant\t\t\n"  # trailing tabs
    )
    report = orders_report.load(path)
    (problem,) = report.problems
    assert "line 2: the record of order 111-0000001-0000001 has 5 cells" in problem
    assert "111-0000001-0000001" not in report
    assert report.get("111-0000002-0000002").order_status == "Unshipped"
    result = cancelkit.check(
        rows=[{"order-id": "111-0000001-0000001", "reason": "NoInventory",
               "order-item-id": "11111111111111"}],
        orders_reports=[path],
        no_ledger=True,
    )  # fmt: skip
    (record,) = result.records
    # fail closed: an order whose line could not be read is rejected, never uploaded
    assert record["status"] == "rejected"
    (error,) = record["errors"]
    assert error["code"] == "order_report_unreadable"
    assert "line 2" in error["message"] and "Seller Central" in error["message"]
    assert result.summary["accepted"] == 0
