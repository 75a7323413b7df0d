"""The record model: every row error code (with its column, value and message) and every
normalisation rule; the reason catalogue it reads."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

import cancelkit
from cancelkit import codes
from cancelkit.amazon import reasons
from cancelkit.validate.model import CancellationRecord, validate_fields

ORDER = "113-4728391-2038475"
ITEM = "62845173920562"
FLAT_FILE_CODES = (
    "NoInventory",
    "ShippingAddressUndeliverable",
    "CustomerExchange",
    "BuyerCanceled",
    "GeneralAdjustment",
    "CustomerReturn",
    "MerchandiseNotReceived",
)
XML_ONLY_CODES = (
    "CarrierCreditDecision",
    "RiskAssessmentInformationNotValid",
    "CarrierCoverageFailure",
)
#: row errors the record model raises (batch rules and order-state checks add the others)
MODEL_CODES = {
    "order_id_missing",
    "order_id_format",
    "item_code_format",
    "item_code_scientific",
    "reason_unknown",
    "reason_not_in_flat_file",
    "reason_without_item",
    "item_without_reason",
    "non_ascii",
}
BATCH_CODES = {"conflicting_reasons", "whole_order_conflict"}
ORDER_STATE_CODES = {
    "order_pending",
    "order_shipped",
    "order_already_cancelled",
    "order_fba",
    # what is not understood fails closed (issue 16), contradictions and complete listings
    "order_status_unknown",
    "fulfillment_channel_unknown",
    "order_state_conflict",
    "order_not_unshipped",
    "order_report_unreadable",
}
MARKETPLACE_CODES = {"marketplace_unknown", "marketplace_conflict", "marketplace_unclear"}
REPORT_AND_LEDGER_CODES = {
    "item_not_in_order",
    "sku_not_in_order",
    "sku_ambiguous",
    "item_code_not_in_report",
    "already_confirmed",
}


def _validate(order_id: str = ORDER, reason: str = "NoInventory", item: str = ITEM):
    return validate_fields({"order_id": order_id, "reason": reason, "amazon_order_item_code": item})


def _record(order_id: str = ORDER, reason: str = "NoInventory", item: str = ITEM):
    record, problems, notes = _validate(order_id, reason, item)
    assert problems == [], problems
    return record, [(n.code, n.message) for n in notes]


def _problems(order_id: str = ORDER, reason: str = "NoInventory", item: str = ITEM):
    record, problems, _ = _validate(order_id, reason, item)
    assert record is None
    return problems


def test_every_row_error_code_is_catalogued():
    error_codes = {c.code for c in codes.CODES.values() if c.kind == "error"}
    assert (
        error_codes
        == MODEL_CODES
        | BATCH_CODES
        | ORDER_STATE_CODES
        | REPORT_AND_LEDGER_CODES
        | MARKETPLACE_CODES
    )
    for code in error_codes:
        entry = codes.CODES[code]
        assert entry.title and entry.explanation
    assert codes.CODES["reason_mapped"].kind == "note"
    assert codes.CODES["duplicate"].kind == "note"


# -- order-id ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        ORDER,
        f"  {ORDER} ",
        f"\u00a0{ORDER}\u00a0",  # non-breaking spaces
        f"\t{ORDER}\u2007",
        f"\ufeff\u200b{ORDER}\u200b",  # invisible characters copied from a web page
        "113\u20134728391\u20132038475",  # en dashes typed by a word processor
        "113\u22124728391\u22122038475",  # minus signs
    ],
)
def test_order_id_is_trimmed_and_normalised(written):
    record, notes = _record(order_id=written)
    assert record.order_id == ORDER
    assert notes == []


def test_order_id_missing():
    for written in ("", "   ", "\u00a0"):
        assert _problems(order_id=written) == [
            ("order_id_missing", "order_id", written, "the order id is empty")
        ]


@pytest.mark.parametrize(
    "written",
    [
        "113-472839-2038475",  # 6 digits in the middle
        "1134728391-2038475",
        "113 4728391 2038475",
        "11347283912038475",
        "113-4728391-20384755",
        "A13-4728391-2038475",
        "113-4728391-2038475-1",
        "#113-4728391-2038475",
    ],
)
def test_order_id_format(written):
    (problem,) = _problems(order_id=written)
    assert problem == (
        "order_id_format",
        "order_id",
        written,
        f"'{written.strip()}' is not an Amazon order id; expected 3-7-7 digits like "
        "113-4728391-2038475",
    )


@pytest.mark.parametrize(
    ("written", "char", "point"),
    [
        ("113-4728391-203847\u0665", "\u0665", "0665"),  # Arabic-Indic digit five
        ("\uff11\uff11\uff13-4728391-2038475", "\uff11", "FF11"),  # full-width digits
        ("113-4728391-2038475\u00e9", "\u00e9", "00E9"),
    ],
)
def test_order_id_non_ascii(written, char, point):
    (problem,) = _problems(order_id=written)
    assert problem[:3] == ("non_ascii", "order_id", written)
    assert problem[3] == (
        f"'{written}' contains the non-ASCII character '{char}' (U+{point}); Amazon accepts "
        "only ASCII, so retype the value"
    )


# -- amazon-order-item-code ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "code"),
    [
        (ITEM, ITEM),
        (f" {ITEM}\u00a0", ITEM),
        (f"{ITEM}.0", ITEM),  # exact digits with Excel's trailing .0
        (f"{ITEM}.00", ITEM),
        # the lengths Amazon issues (docs/domain.md section 10): 13 digits (JP from August
        # 2023), 15 digits (a 2025 US report); leading zeros are kept
        ("6284517392056", "6284517392056"),
        ("628451739205621", "628451739205621"),
        ("0628451739205", "0628451739205"),
        ("628451739205621.0", "628451739205621"),
    ],
)
def test_item_code_accepted(written, code):
    record, _ = _record(item=written)
    assert record.amazon_order_item_code == code


@pytest.mark.parametrize(
    "written", ["6.28452E+13", "6.28452e+13", "6,28452E+13", "6.28452E13", "6E+13"]
)
def test_item_code_scientific(written):
    (problem,) = _problems(item=written)
    assert problem[:3] == ("item_code_scientific", "amazon_order_item_code", written)
    message = problem[3]
    assert "scientific notation" in message
    assert "digits were" in message and "lost" in message
    assert "Format the column as Text" in message


@pytest.mark.parametrize(
    "written", ["628451739205", "6284517392056211", "62845173920562112233", "1"]
)
def test_item_code_of_another_length_needs_the_report(written):
    (problem,) = _problems(item=written)
    assert problem[:3] == ("item_code_format", "amazon_order_item_code", written)
    assert problem[3] == (
        f"'{written}' has {len(written)} digits; the order-item-ids Amazon issues are 13 to "
        "15 digits long. Give the order report that lists the order with --orders-report: "
        "an id it lists for the order is taken whatever its length"
    )
    # an id the order report lists for the order is taken whatever its length
    record, problems, _ = validate_fields(
        {"order_id": ORDER, "reason": "NoInventory", "amazon_order_item_code": written},
        item_listed=written,
    )
    assert problems == [] and record.amazon_order_item_code == written
    # ... only that id
    record, problems, _ = validate_fields(
        {"order_id": ORDER, "reason": "NoInventory", "amazon_order_item_code": written},
        item_listed=ITEM,
    )
    assert record is None and problems[0][0] == "item_code_format"


@pytest.mark.parametrize(
    "written",
    [
        f"{ITEM}.5",
        f"-{ITEM}",
        "6284-5173920562",
        "B00EXAMPLE0001",
        "62845173920562 62845173920571",
    ],
)
def test_item_code_format(written):
    (problem,) = _problems(item=written)
    assert problem == (
        "item_code_format",
        "amazon_order_item_code",
        written,
        f"'{written}' is not an order item code; expected the 13 to 15 digits of the "
        "order-item-id in Amazon's order report",
    )


def test_item_code_non_ascii():
    written = "\uff16\uff12845173920562"  # full-width 6 and 2
    (problem,) = _problems(item=written)
    assert problem[:3] == ("non_ascii", "amazon_order_item_code", written)
    assert "U+FF16" in problem[3]


# -- reason -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", FLAT_FILE_CODES)
def test_reason_codes_are_accepted_as_is(code):
    record, notes = _record(reason=code)
    assert record.reason == code
    assert notes == []


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("noinventory", "NoInventory"),
        ("No Inventory", "NoInventory"),
        ("NO_INVENTORY", "NoInventory"),
        ("no-inventory", "NoInventory"),
        ("No\u00a0Inventory", "NoInventory"),
        ("out of stock", "NoInventory"),
        ("Out Of Stock", "NoInventory"),
        ("buyer cancelled", "BuyerCanceled"),
        ("Buyer Canceled", "BuyerCanceled"),
        ("customer cancelled", "BuyerCanceled"),
        ("Customer Cancelled", "BuyerCanceled"),
        ("BUYER_CANCELLED", "BuyerCanceled"),
        ("address undeliverable", "ShippingAddressUndeliverable"),
        ("SHIPPING_ADDRESS_UNDELIVERABLE", "ShippingAddressUndeliverable"),
        ("CUSTOMER_EXCHANGE", "CustomerExchange"),
        ("pricing error", "GeneralAdjustment"),
        ("PRICING_ERROR", "GeneralAdjustment"),
        ("general_adjustment", "GeneralAdjustment"),
    ],
)
def test_reason_spellings_are_mapped_with_a_note(written, code):
    record, notes = _record(reason=written)
    assert record.reason == code
    assert notes == [("reason_mapped", f"reason '{written.strip()}' was read as {code}")]


def test_trimmed_reason_is_not_a_mapping():
    record, notes = _record(reason="  NoInventory\u00a0")
    assert record.reason == "NoInventory"
    assert notes == []


@pytest.mark.parametrize("written", ["lost in warehouse", "NoInventry", "Nö Inventory", "0"])
def test_reason_unknown_lists_the_valid_codes(written):
    (problem,) = _problems(reason=written)
    assert problem == (
        "reason_unknown",
        "reason",
        written,
        f"'{written}' is not a cancellation reason; use one of: " + ", ".join(FLAT_FILE_CODES),
    )


@pytest.mark.parametrize("written", XML_ONLY_CODES)
def test_reason_not_in_flat_file(written):
    (problem,) = _problems(reason=written)
    assert problem[:3] == ("reason_not_in_flat_file", "reason", written)
    assert "XML feed" in problem[3]
    assert problem[3].endswith("use one of: " + ", ".join(FLAT_FILE_CODES))


# -- reason and item code together ---------------------------------------------------------


def test_whole_order_has_neither_reason_nor_item():
    record, notes = _record(reason="  ", item="\u00a0")
    assert (record.order_id, record.reason, record.amazon_order_item_code) == (ORDER, None, None)
    assert notes == []


def test_reason_without_item():
    assert _problems(item="") == [
        (
            "reason_without_item",
            "amazon_order_item_code",
            "",
            "a reason is given but no amazon-order-item-code; pass --orders-report with "
            "Amazon's order report to look it up by the row's SKU, or give the item code, or "
            "leave both empty to cancel the whole order",
        )
    ]


def test_item_without_reason():
    assert _problems(reason=" ") == [
        (
            "item_without_reason",
            "reason",
            " ",
            "an amazon-order-item-code is given but no reason; give a reason code, or leave "
            "both empty to cancel the whole order",
        )
    ]


def test_every_problem_of_a_row_is_reported():
    problems = _problems(order_id="", reason="lost", item="6.28452E+13")
    assert [(p[0], p[1]) for p in problems] == [
        ("order_id_missing", "order_id"),
        ("item_code_scientific", "amazon_order_item_code"),
        ("reason_unknown", "reason"),
    ]


def test_pairing_is_reported_alongside_a_bad_value():
    assert [p[0] for p in _problems(reason="lost", item="")] == [
        "reason_unknown",
        "reason_without_item",
    ]
    assert [p[0] for p in _problems(reason="", item="6.28452E+13")] == [
        "item_code_scientific",
        "item_without_reason",
    ]


def test_model_is_the_definition():
    record = CancellationRecord(
        order_id=f" {ORDER} ", reason="out of stock", amazon_order_item_code=ITEM
    )
    assert record.model_dump() == {
        "order_id": ORDER,
        "amazon_order_item_code": ITEM,
        "reason": "NoInventory",
    }
    with pytest.raises(ValidationError) as caught:
        CancellationRecord(order_id=ORDER, reason="NoInventory")
    assert caught.value.errors()[0]["type"] == "reason_without_item"
    with pytest.raises(ValidationError):
        record.order_id = "x"  # records are frozen


# -- through the pipeline: the column a person sees, the value as written ------------------


def test_errors_name_the_input_column_and_original_value():
    rows = [
        ("Order ID", "Reason", "Order Item ID"),
        ("113-472839-2038475", "NoInventory", ITEM),
        (ORDER, "lost", ITEM),
        (ORDER, "NoInventory", "6.28452E+13"),
        (ORDER, "NoInventory", ""),
        (ORDER, "", ITEM),
    ]
    with cancelkit.check(rows=rows) as result:
        errors = [
            [(e["code"], e["column"], e["value"]) for e in r["errors"]] for r in result.records
        ]
    assert errors == [
        [("order_id_format", "Order ID", "113-472839-2038475")],
        [("reason_unknown", "Reason", "lost")],
        [("item_code_scientific", "Order Item ID", "6.28452E+13")],
        [("reason_without_item", "Order Item ID", "")],
        [("item_without_reason", "Reason", "")],
    ]


def test_missing_reason_and_item_columns_mean_whole_orders():
    with cancelkit.check(rows=[("order-id",), (ORDER,), ("114-2093847-5610293",)]) as result:
        assert [
            (r["status"], r["reason"], r["amazon_order_item_code"]) for r in result.records
        ] == [
            ("accepted", None, None),
            ("accepted", None, None),
        ]


def test_accepted_values_are_ascii_in_the_flat_file(tmp_path):
    rows = [
        ("order-id", "reason", "order-item-id", "note"),
        (f"\u00a0{ORDER}\u00a0", "No\u00a0Inventory", f"{ITEM}\u00a0", "Müller – café"),
    ]
    with cancelkit.check(rows=rows) as result:
        assert result.summary["accepted"] == 1
        path = result.write_flat_file(tmp_path / "upload.txt")
    data = path.read_bytes()
    assert data.isascii()
    assert data.endswith(f"{ORDER}\tNoInventory\t{ITEM}\r\n".encode())


# -- the reason catalogue ------------------------------------------------------------------


def test_catalogue_codes():
    assert reasons.FLAT_FILE_CODES == FLAT_FILE_CODES
    assert tuple(r.code for r in reasons.CATALOGUE) == FLAT_FILE_CODES + XML_ONLY_CODES
    for reason in reasons.CATALOGUE:
        assert reason.label
        assert reason.metric_effect in {"standard", "counts"}
        assert reason.effect_text
    assert reasons.BY_CODE["BuyerCanceled"].metric_effect == "standard"
    assert {r.code for r in reasons.CATALOGUE if r.metric_effect == "standard"} == {"BuyerCanceled"}


def test_every_alias_maps_to_its_own_reason():
    for reason in reasons.CATALOGUE:
        assert reasons.lookup(reason.code) == reason.code
        assert reasons.lookup(reason.code.upper()) == reason.code
        for alias in reason.aliases:
            assert reasons.lookup(alias) == reason.code, alias
            assert reasons.lookup(alias.upper().replace(" ", "_")) == reason.code, alias


def test_lookup_of_unknown_spelling():
    assert reasons.lookup("lost in warehouse") is None
    assert reasons.lookup("") is None
