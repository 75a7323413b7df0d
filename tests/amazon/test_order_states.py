"""Order states as data: the status and channel tables, spellings, and the property that no
pending, shipped, cancelled or Amazon-fulfilled order ever reaches the upload file."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cancelkit
from cancelkit.amazon import order_states
from cancelkit.amazon.order_states import (
    AMAZON_FULFILLED,
    CANCELLABLE,
    CANCELLED,
    PENDING,
    SHIPPED,
    UNKNOWN,
    channel_kind,
    classify,
)
from cancelkit.codes import CODES

ORDER = "113-4728391-2038475"
ITEM = "62845173920562"

KNOWN = {
    "Unshipped": CANCELLABLE,
    "PartiallyShipped": CANCELLABLE,
    "Partially Shipped": CANCELLABLE,
    "Pending": PENDING,
    "PendingAvailability": PENDING,
    "Pending - Waiting for Pick Up": PENDING,
    "Shipped": SHIPPED,
    "Shipping": SHIPPED,
    "InvoiceUnconfirmed": SHIPPED,
    "Shipped - Delivered to Buyer": SHIPPED,
    "Shipped - Returned to Seller": SHIPPED,
    "Shipped - Returning to Seller": SHIPPED,
    "Shipped - Out for Delivery": SHIPPED,
    "Shipped - Picked Up": SHIPPED,
    "Shipped - Lost in Transit": SHIPPED,
    "Shipped - Damaged": SHIPPED,
    "Shipped - Rejected by Buyer": SHIPPED,
    "Shipped - Undeliverable": SHIPPED,
    "Canceled": CANCELLED,
    "Cancelled": CANCELLED,
    "Unfulfillable": AMAZON_FULFILLED,
}
BLOCKING_CODE = {
    PENDING: "order_pending",
    SHIPPED: "order_shipped",
    CANCELLED: "order_already_cancelled",
    AMAZON_FULFILLED: "order_fba",
}


@pytest.mark.parametrize("status, kind", KNOWN.items())
def test_every_known_status_word(status, kind):
    assert classify(status).kind == kind


@pytest.mark.parametrize(
    "spelling, kind",
    [
        ("UNSHIPPED", CANCELLABLE),
        ("un-shipped", CANCELLABLE),
        ("partially_shipped", CANCELLABLE),
        ("PARTIALLY-SHIPPED", CANCELLABLE),
        ("  shipped  ", SHIPPED),
        ("shipped-delivered to buyer", SHIPPED),
        ("Shipped \u2013 Delivered to Buyer", SHIPPED),
        ("SHIPPED_RETURNED_TO_SELLER", SHIPPED),
        ("ShippedDeliveredToBuyer", SHIPPED),
        ("pending_availability", PENDING),
        ("Pending-Waiting for Pick Up", PENDING),
        ("CANCELED", CANCELLED),
        ("cancelled by buyer", CANCELLED),
        ("Delivered", SHIPPED),
        ("Teleported", UNKNOWN),
        ("Unshipped - maybe", UNKNOWN),
    ],
)
def test_spellings_fold_to_the_same_state(spelling, kind):
    assert classify(spelling).kind == kind


def test_partially_shipped_is_marked_partial():
    assert classify("PartiallyShipped").partial and not classify("Unshipped").partial


@pytest.mark.parametrize(
    "channel, kind",
    [
        ("Amazon", AMAZON_FULFILLED),
        ("AFN", AMAZON_FULFILLED),
        ("afn", AMAZON_FULFILLED),
        ("Fulfilled by Amazon", AMAZON_FULFILLED),
        ("Merchant", CANCELLABLE),
        ("MFN", CANCELLABLE),
        ("Seller Fulfilled", CANCELLABLE),
        ("", CANCELLABLE),
        ("Drone", UNKNOWN),
    ],
)
def test_channel_words(channel, kind):
    assert channel_kind(channel) == kind


def one(**row) -> dict:
    row.setdefault("order-id", ORDER)
    row.setdefault("reason", "NoInventory")
    row.setdefault("order-item-id", ITEM)
    (record,) = cancelkit.check(rows=[row]).records
    return record


@pytest.mark.parametrize("status", [s for s, k in KNOWN.items() if k != CANCELLABLE])
def test_blocked_statuses_are_rejected_naming_the_status(status):
    record = one(**{"order-status": status})
    assert record["status"] == "rejected"
    (error,) = record["errors"]
    assert error["code"] == BLOCKING_CODE[KNOWN[status]]
    assert error["value"] == status
    if " - " in status:
        assert status in error["message"]


def test_unknown_status_is_rejected_naming_it():
    record = one(**{"order-status": "Teleported"})
    assert record["status"] == "rejected"
    (error,) = record["errors"]
    assert error["code"] == "order_status_unknown" and error["value"] == "Teleported"
    assert "'Teleported'" in error["message"]
    assert CODES["order_status_unknown"].kind == "error"


def test_unknown_status_never_reaches_the_file(tmp_path):
    batch = tmp_path / "b.csv"
    batch.write_text(
        f"order-id,reason,order-item-id,order-status\n{ORDER},BuyerCanceled,{ITEM},Teleported\n"
    )
    from conftest import invoke

    run = invoke(
        "generate",
        str(batch),
        "--out-dir",
        str(tmp_path / "out"),
        "--no-ledger",
    )
    assert run.exit_code != 0, run.output
    assert "order_status_unknown" in run.output
    assert not list((tmp_path / "out").glob("cancellations-*.txt"))


def test_unknown_channel_is_rejected():
    record = one(**{"fulfillment-channel": "Drone"})
    assert record["status"] == "rejected"
    assert [e["code"] for e in record["errors"]] == ["fulfillment_channel_unknown"]


def test_partially_shipped_whole_order_rejected_item_flagged():
    whole = one(**{"order-status": "PartiallyShipped", "reason": "", "order-item-id": ""})
    assert whole["status"] == "rejected"
    assert whole["errors"][0]["code"] == "order_shipped"
    item = one(**{"order-status": "PartiallyShipped"})
    assert item["status"] == "accepted"
    assert "order_partially_shipped" in [f["code"] for f in item["flags"]]


def _respell(text: str, rng: random.Random) -> str:
    """The same status as a report, a spreadsheet or a person might write it."""
    words = text.replace(" - ", " ").split(" ")
    joiner = rng.choice([" ", "-", "_", " - ", "", "  "])
    if joiner == "":
        words = [w[:1].upper() + w[1:].lower() for w in words]
    spelled = joiner.join(words)
    case = rng.choice([str.upper, str.lower, str.title, lambda s: s])
    return rng.choice(["", " ", "\t"]) + case(spelled) + rng.choice(["", " ", "  "])


@settings(max_examples=300, deadline=None)
@given(
    status=st.sampled_from(sorted(KNOWN)),
    channel=st.sampled_from(["", "Merchant", "MFN", "Amazon", "AFN", "afn", "Drone"]),
    seed=st.integers(0, 2**32),
    whole=st.booleans(),
)
def test_property_no_blocked_order_reaches_the_upload_file(status, channel, seed, whole):
    spelled = _respell(status, random.Random(seed))
    row = {"order-id": ORDER, "order-status": spelled, "fulfillment-channel": channel}
    if not whole:
        row.update({"reason": "NoInventory", "order-item-id": ITEM})
    result = cancelkit.check(rows=[row])
    (record,) = result.records
    blocked = KNOWN[status] != CANCELLABLE or channel_kind(channel) == AMAZON_FULFILLED
    if blocked:
        assert record["status"] == "rejected", (spelled, channel, record)
        assert result.summary["accepted"] == 0
    elif record["status"] == "accepted":
        # what may reach the file is unshipped (or partially shipped, item by item) and
        # merchant-fulfilled: an unknown channel is rejected, never passed with a flag
        assert channel_kind(channel) == CANCELLABLE


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_property_any_status_text_is_classified_never_silently_cancellable(text):
    state = classify(text)
    assert state.kind in {CANCELLABLE, PENDING, SHIPPED, CANCELLED, AMAZON_FULFILLED, UNKNOWN}
    if state.kind == CANCELLABLE and text.strip():
        assert order_states.fold(text).replace(" ", "") in {
            w.replace(" ", "") for w in order_states.CANCELLABLE_FOLDED
        }


@settings(max_examples=300, deadline=None)
@given(
    head=st.sampled_from(["Shipped", "Pending", "Canceled", "Cancelled"]),
    joiner=st.sampled_from([" - ", "-", " – ", ": ", " ", "_", ""]),
    suffix=st.text(min_size=1, max_size=30),
    seed=st.integers(0, 2**32),
)
def test_property_any_compound_value_keeps_its_head(head, joiner, suffix, seed):
    """`Shipped - <anything>`, however written, is shipped; the same for Pending and
    Cancelled: a status Amazon adds later under a known head never becomes cancellable."""
    case = random.Random(seed).choice([str.upper, str.lower, str.title, lambda s: s])
    status = case(head) + joiner + suffix
    kind = {"Shipped": SHIPPED, "Pending": PENDING}.get(head, CANCELLED)
    assert classify(status).kind == kind, status


@settings(max_examples=100, deadline=None)
@given(
    status=st.sampled_from(sorted(KNOWN)),
    channel=st.sampled_from(["Merchant", "MFN", "Amazon", "AFN", ""]),
    seed=st.integers(0, 2**32),
    by_sku=st.booleans(),
)
def test_property_report_states_never_reach_the_upload_file(status, channel, seed, by_sku):
    """The same through an order report, with the row giving only a SKU (the state is
    checked before the SKU lookup) or the item code."""
    # a report cell holds no tab (the format has no quoting)
    spelled = _respell(status, random.Random(seed)).replace("\t", " ")
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "orders.txt"
        report.write_text(
            "amazon-order-id\torder-item-id\torder-status\tfulfillment-channel\tsku\n"
            f"{ORDER}\t{ITEM}\t{spelled}\t{channel}\tMUG\n",
            encoding="utf-8",
        )
        row = {"order-id": ORDER, "reason": "NoInventory", "sku": "MUG"}
        if not by_sku:
            row["order-item-id"] = ITEM
        result = cancelkit.check(rows=[row], orders_reports=[report], no_ledger=True)
        (record,) = result.records
    blocked = KNOWN[status] != CANCELLABLE or channel_kind(channel) == AMAZON_FULFILLED
    assert (record["status"] == "rejected") == blocked, (spelled, channel, record)
    if blocked:
        assert record["errors"][0]["code"] in BLOCKING_CODE.values()
