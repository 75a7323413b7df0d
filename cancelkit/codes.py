"""Stable codes for row errors and record flags, with the words a seller reads.

Callers filter and count by code; messages are for people. A code, once published, keeps
its meaning.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """A row error: why a row cannot be uploaded (`column` is the input's own header)."""

    code: str
    column: str
    value: str
    message: str


@dataclass(frozen=True, slots=True)
class Flag:
    """Advice or risk attached to a record (or a note of what cancelkit changed)."""

    code: str
    message: str


@dataclass(frozen=True)
class Code:
    code: str
    # "error" (row rejected), "flag" (risk or advice), "note" (what cancelkit changed),
    # "review" (a row of a review workbook that `generate --from-review` does not read)
    kind: str
    title: str
    explanation: str


CODES: dict[str, Code] = {
    c.code: c
    for c in (
        Code(
            "order_id_missing",
            "error",
            "Order id missing",
            "Every row needs the Amazon order id (3-7-7 digits, e.g. 113-4728391-2038475).",
        ),
        Code(
            "order_id_format",
            "error",
            "Order id malformed",
            "Amazon order ids are 3-7-7 digits separated by hyphens, e.g. 113-4728391-2038475.",
        ),
        Code(
            "item_code_format",
            "error",
            "Order item code malformed",
            "The amazon-order-item-code is the order-item-id from Amazon's order report: digits "
            "only, 13 to 15 of them (an id of another length only when the order report given "
            "lists it for that order).",
        ),
        Code(
            "item_code_scientific",
            "error",
            "Order item code damaged by Excel",
            "Excel showed the item code in scientific notation (like 6.28452E+13) and "
            "the digits were lost when the file was saved. Format the column as Text, paste "
            "the codes again from Amazon's order report, and save again.",
        ),
        Code(
            "reason_unknown",
            "error",
            "Unknown cancellation reason",
            "The reason must be one of Amazon's cancellation reason codes.",
        ),
        Code(
            "reason_not_in_flat_file",
            "error",
            "Reason not accepted in the flat file",
            "This reason exists only in Amazon's XML feed; the Order Cancellation flat file "
            "rejects it.",
        ),
        Code(
            "reason_without_item",
            "error",
            "Reason given without an item code",
            "A reason cancels one item and needs its amazon-order-item-code. With a SKU on the "
            "row, pass --orders-report (Amazon's order report, or `cancelkit fetch-orders`) "
            "and the code is looked up; else give the code, or leave both empty to cancel the "
            "whole order.",
        ),
        Code(
            "item_without_reason",
            "error",
            "Item code given without a reason",
            "An item-level cancellation needs a reason code; leave both empty to cancel the "
            "whole order.",
        ),
        Code(
            "non_ascii",
            "error",
            "Non-ASCII character",
            "Amazon's flat file accepts only ASCII; a look-alike character (such as a "
            "non-Latin digit) was found.",
        ),
        Code(
            "conflicting_reasons",
            "error",
            "Same item with different reasons",
            "The same order item appears with different reasons; choose one and remove the "
            "other rows.",
        ),
        Code(
            "whole_order_conflict",
            "error",
            "Whole-order and item rows for one order",
            "An order is cancelled as a whole and item by item in the same batch; Amazon "
            "would see contradicting instructions. Keep either the whole-order row or the "
            "item rows.",
        ),
        Code(
            "duplicate",
            "note",
            "Duplicate row",
            "The row repeats an earlier row (same order, item and reason); only the first is "
            "uploaded.",
        ),
        Code(
            "counts_against_rate",
            "flag",
            "Counts against your Cancellation Rate",
            "Seller-initiated cancellations count against the Cancellation Rate (target under "
            "2.5% of orders over 7 days in most marketplaces). Only a cancellation the buyer "
            "requested through Amazon's Request cancellation option, cancelled as "
            "BuyerCanceled, does not count.",
        ),
        Code(
            "buyer_request_unverified",
            "flag",
            "BuyerCanceled without proof of an official request",
            "Since May 2022 a buyer's request only keeps a cancellation off your rate when the "
            "buyer used Your Orders > Request cancellation on Amazon. A request by message "
            "counts. Ask the buyer to use Request cancellation, or mark the row with "
            "is-buyer-requested-cancellation = true when the order report shows the request.",
        ),
        Code(
            "use_buyer_canceled",
            "flag",
            "Buyer asked through Amazon: use BuyerCanceled",
            "The buyer requested this cancellation through Amazon, but another reason is used. "
            "With reason BuyerCanceled it would most likely not count against your rate.",
        ),
        Code(
            "past_ship_by",
            "flag",
            "At or past the ship-by date",
            "Amazon auto-cancels unshipped orders 7 days after the ship-by date, and that "
            "cancellation counts too; cancelling now does not avoid the metric.",
        ),
        Code(
            "verge_of_cancellation",
            "flag",
            "About to be auto-cancelled by Amazon",
            "Amazon's order report marks this order as close to its automatic cancellation, "
            "which counts against your rate.",
        ),
        Code(
            "order_pending",
            "error",
            "Order is Pending",
            "Pending orders (payment not yet verified) can be neither confirmed nor cancelled. "
            "Wait until Amazon verifies the payment; contact seller support if it stays Pending "
            "for more than an hour.",
        ),
        Code(
            "order_shipped",
            "error",
            "Order already shipped",
            "A shipped order cannot be cancelled; issue a refund or handle a return instead.",
        ),
        Code(
            "order_already_cancelled",
            "error",
            "Order already cancelled",
            "The order is already cancelled; nothing to do.",
        ),
        Code(
            "order_fba",
            "error",
            "Fulfilled by Amazon",
            "Orders fulfilled by Amazon (FBA/AFN) are not cancelled with this file; Amazon "
            "handles them.",
        ),
        Code(
            "order_status_unknown",
            "error",
            "Order status not understood",
            "The order status (or item-status) is not one cancelkit understands (see README, "
            "'Order states'): an unknown word, two states in one cell, or letters of another "
            "script that only look like Latin ones. Only unshipped, merchant-fulfilled orders "
            "can be cancelled with the file, so the row is rejected; the message shows the "
            "value with its invisible characters escaped.",
        ),
        Code(
            "fulfillment_channel_unknown",
            "error",
            "Fulfillment channel not understood",
            "The fulfillment channel is neither Amazon's (FBA/AFN) nor the seller's "
            "(Merchant/MFN) as cancelkit knows them, so the row is rejected; check the order "
            "is merchant-fulfilled.",
        ),
        Code(
            "order_state_conflict",
            "error",
            "Order state contradicted",
            "Two columns or two order reports say different things about the order's state "
            "(the batch's order-status against the report's, two status columns of one "
            "report, or an older report that says shipped or cancelled against a newer one); "
            "cancelkit does not choose: the row is rejected. Check the order in Seller "
            "Central.",
        ),
        Code(
            "order_not_unshipped",
            "error",
            "Order missing from a complete listing",
            "An Unshipped Orders report (or a fetch-orders file) lists every cancellable "
            "order of its window; this order is not in it, so it is shipped, cancelled, "
            "pending, Amazon-fulfilled or not of that marketplace. The row is rejected.",
        ),
        Code(
            "order_report_unreadable",
            "error",
            "Order's report line not readable",
            "A line of this order in the order report could not be read (a line break or tab "
            "inside a field that cannot be rejoined, or a record cut short), so cancelkit "
            "does not know its state: the row is rejected. Check the order in Seller Central, "
            "or fix the report line.",
        ),
        Code(
            "order_partially_shipped",
            "flag",
            "Order partially shipped",
            "Some items of the order are shipped. Only its unshipped items can be cancelled, "
            "one by one with their item codes; a whole-order row is rejected.",
        ),
        Code(
            "cancellation_fee",
            "flag",
            "Cancellation fee (India)",
            "Amazon.in charges a fee on seller cancellations: 100% of the referral fee when the "
            "order is cancelled on or before its expected ship date, 150% after it. The "
            "estimate uses your referral_fee_rate and the item price.",
        ),
        Code(
            "item_not_in_order",
            "error",
            "Item not in that order",
            "The order report lists this order's items and the item code is not one of them; "
            "check the order id and the item code.",
        ),
        Code(
            "sku_not_in_order",
            "error",
            "SKU not found in the order",
            "The row gives a SKU instead of an item code, and the order report has no item "
            "with that SKU in that order (or does not list the order); give the "
            "amazon-order-item-code.",
        ),
        Code(
            "sku_ambiguous",
            "error",
            "SKU matches several items",
            "The order has several items with that SKU; give the amazon-order-item-code of "
            "the one to cancel.",
        ),
        Code(
            "item_code_not_in_report",
            "error",
            "Order report without item ids",
            "The order report lists the SKU but not its order-item-id; use the Unshipped "
            "Orders report or give the amazon-order-item-code.",
        ),
        Code(
            "order_not_in_report",
            "flag",
            "Order not in the order report",
            "An order report was given but does not list this order: it may already be "
            "shipped or cancelled, or belong to another marketplace.",
        ),
        Code(
            "marketplace_unknown",
            "error",
            "Marketplace unknown",
            "The row's marketplace or sales-channel names no Amazon marketplace cancelkit "
            "knows. Write a code such as DE or UK, a site as Amazon's order reports write it "
            "(Amazon.de, Amazon.co.uk) or a marketplace id (A1PA6795UKMFR9).",
        ),
        Code(
            "marketplace_conflict",
            "error",
            "One order, several marketplaces",
            "Rows of the same order name different marketplaces, or the order report's "
            "sales-channel (or currency) names another marketplace than the row's marketplace "
            "column or --marketplace. An Amazon order belongs to one marketplace and is "
            "cancelled in that marketplace's file; correct the marketplace of the wrong rows.",
        ),
        Code(
            "marketplace_unclear",
            "error",
            "Marketplace not known, not guessed",
            "Neither the row, --marketplace nor the order report's sales-channel names the "
            "order's marketplace, and what the report does say (a currency sold in several "
            "marketplaces, such as EUR, or a ship-country of another marketplace) does not "
            "decide it. Give --marketplace, or a marketplace column.",
        ),
        Code(
            "marketplace_default",
            "note",
            "Default marketplace taken",
            "No --marketplace, marketplace column or order report named the marketplace of "
            "these rows; they were taken as the default (US). Give --marketplace if they are "
            "orders of another marketplace (a batch-level note of summary.marketplace_notes).",
        ),
        Code(
            "marketplace_policy_default",
            "note",
            "Default target for this marketplace",
            "cancelkit knows no sourced Cancellation Rate target for this marketplace; it is "
            "projected against the default (under 2.5% over 7 days). Set [policy.CODE] "
            "threshold in cancelkit.toml if Amazon tells you another.",
        ),
        Code(
            "marketplace_inferred",
            "note",
            "Marketplace read from the currency",
            "The order report has no sales-channel; the order's currency is sold in one "
            "marketplace only (JPY: Amazon.co.jp), so the order is of that marketplace.",
        ),
        Code(
            "already_confirmed",
            "error",
            "Already cancelled in a confirmed batch",
            "The ledger shows this order (or item) in a batch Amazon already processed; "
            "uploading it again would fail or cancel twice.",
        ),
        Code(
            "in_unconfirmed_batch",
            "flag",
            "Also in a batch not yet confirmed",
            "An earlier generated batch holds the same order or item and is not confirmed; "
            "upload only one of the two files. This batch replaces the earlier one.",
        ),
        Code(
            "refused_by_amazon",
            "flag",
            "Amazon refused this order before",
            "A processing report of an earlier batch said Amazon will not cancel this order "
            "item in its current state (a final refusal such as 18004 or 18028); sending it "
            "again will not change that. Check the order in Seller Central (risk high).",
        ),
        Code(
            "item_code_from_report",
            "note",
            "Item code looked up",
            "The row gave a SKU; the item code was taken from the order report.",
        ),
        Code(
            "formula_cell",
            "note",
            "Value from a formula",
            "A cell of this row held a formula. cancelkit used the value the spreadsheet last "
            "calculated and never runs formulas; check that value is what you meant.",
        ),
        Code(
            "review_value_changed",
            "note",
            "Value corrected in the review",
            "The reason or the note of this row differs from the one the review showed (the "
            "only values a review may correct); the row was validated and assessed again as "
            "corrected, and the change is shown before and after.",
        ),
        Code(
            "review_state_checked",
            "note",
            "Order state as checked in the review",
            "No order report was given to generate --from-review, so the order state is the one "
            "the review checked (which report, which state, how long ago); its findings and "
            "their risk are carried onto the row.",
        ),
        Code(
            "review_state_stale",
            "flag",
            "Order state checked too long ago",
            "The review checked this order's state against a report older than "
            "report_max_age_hours (24 by default) by now, or of unknown age: the order may have "
            "shipped or been cancelled since. Pass --orders-report with a fresh report.",
        ),
        Code(
            "review_not_approved",
            "review",
            "Not approved",
            "The approve cell does not say yes; the row is not uploaded (not an error).",
        ),
        Code(
            "review_not_approvable",
            "review",
            "Rejected or duplicate in the review",
            "The row was rejected or repeated another row when the review was written; it can "
            "never be approved. Fix it in the source file and write the review again.",
        ),
        Code(
            "review_token_missing",
            "review",
            "Row not written by the review",
            "The row has no review token: it was typed or pasted in after the review was "
            "written, so nobody reviewed it. It is never uploaded; add it to the source file "
            "and write the review again.",
        ),
        Code(
            "review_token_unknown",
            "review",
            "Review token does not match",
            "The row's review token was not issued for this row in this review: its source or "
            "row cell was changed, the token was edited, or the row comes from another review "
            "workbook. It is never uploaded.",
        ),
        Code(
            "review_token_reused",
            "review",
            "Row copied",
            "Several rows carry the same review token (a row was copied); none of them is "
            "uploaded, as cancelkit cannot tell which one was reviewed.",
        ),
        Code(
            "review_result_edited",
            "review",
            "Result cell edited",
            "The result cell says something else than the review wrote (e.g. a rejected row "
            "marked accepted). The row is never uploaded.",
        ),
        Code(
            "review_identity_edited",
            "review",
            "Sealed cell edited",
            "A sealed cell of the row (order id, item code, SKU, buyer-request evidence, "
            "marketplace, or its kind: one item or the whole order) differs from what the "
            "review showed; only the reason and the note may be corrected. The row is never "
            "uploaded: correct the source file and write the review again.",
        ),
        Code(
            "review_approve_not_understood",
            "review",
            "Approve cell not understood",
            "The approve cell holds something other than the drop-down's yes or no (or a "
            "checkbox's TRUE/FALSE), such as t, x or 1: the row is not approved. Choose yes to "
            "upload it.",
        ),
        Code(
            "value_too_long",
            "review",
            "Value too long for a spreadsheet cell",
            "A value is longer than the 32,767 characters a spreadsheet cell holds; the review "
            "workbook cannot show it whole, so the row cannot be approved there.",
        ),
        Code(
            "unusable_number",
            "note",
            "Unusable number ignored",
            "A column that holds a number (such as days-past-promise) has a value that is no "
            "plain number (inf, 1e999, nan, non-Latin digits); it was ignored, never guessed.",
        ),
        Code(
            "reason_mapped",
            "note",
            "Reason spelling mapped",
            "A reason written in another spelling was read as the Amazon code shown.",
        ),
    )
}


#: The stable codes of `submit` and `fetch-orders` (exit 2, or 4 for feed_still_processing):
#: `CancelkitError.code` in Python, `[CODE]` at the end of the error line. The README's
#: "Sending through the SP-API" lists the same (tests/test_codes_spapi.py).
SPAPI_CODES: dict[str, str] = {
    "already_submitted": "the batch was sent and reconciled (or reconciled by hand) before",
    "submit_refused": "SubmitError's default: a batch that cannot be sent or resumed as it stands",
    "submission_not_found": "a submission number the ledger does not hold",
    "batch_superseded": "rows of the batch are superseded by a later batch",
    "batch_without_marketplace": "the batch names no marketplace, so it cannot be a feed",
    "batch_without_upload_file": "the batch has no recorded upload file",
    "upload_file_missing": "the batch's upload file is gone or unreadable",
    "upload_file_changed": "the upload file's sha256 is not the one generate recorded",
    "submit_in_progress": "another submit is sending this batch right now",
    "ledger_submission_inconsistent": "the ledger's open submission was edited on disk",
    "submission_endpoint_changed": "the open feed was created at another endpoint",
    "spapi_sandbox": "the settings point at Amazon's sandbox, where a submit cannot finish",
    "spapi_not_installed": 'httpx is missing: pip install "cancelkit[amazon]"',
    "spapi_credentials_missing": "a credential (or a region's refresh token) is not set",
    "spapi_endpoint_invalid": "an endpoint setting that cannot be called",
    "lwa_refused": "Login with Amazon refused the credentials",
    "spapi_forbidden": "HTTP 403 after a renewed token: credentials or the app's roles",
    "spapi_refused": "Amazon refused a call (HTTP 4xx)",
    "spapi_unavailable": "429 or 5xx through every retry; nothing was lost",
    "create_feed_unclear": "createFeed got no clear answer and getFeeds did not find the feed",
    "create_feed_refused": "Amazon refused createFeed (4xx): no feed exists, sending again is safe",
    "feed_lookup_ambiguous": "a listed feed cannot be tied to this batch alone",
    "spapi_redirect": "a server answered with a redirect, which is never followed",
    "spapi_document_url": "a presigned document URL that is not https",
    "spapi_answer_mismatch": "an answer about another feed, feed type, document or marketplace",
    "spapi_answer_too_large": "an answer larger than the bound",
    "spapi_answer_invalid": "an answer packed in a way cancelkit does not read",
    "spapi_paging_loop": "a next-page token that repeats",
    "spapi_too_many_pages": "a listing longer than MAX_PAGES pages",
    "spapi_deadline": "the wait ran out in the middle of a call",
    "spapi_error": "any other SP-API failure",
    "presigned_url_expired": "the presigned URL was refused three times",
    "result_document_too_large": "the result document unpacks past its bound (a gzip bomb)",
    "result_document_invalid": "the result document is not the GZIP Amazon said",
    "feed_still_processing": "Amazon had not finished when --wait ended (exit 4)",
    "feed_cancelled": "Amazon cancelled the feed before processing it: send again",
    "feed_outcome_unknown": "FATAL without a report: check the orders, never a plain resend",
    "feed_without_result": "DONE without a result document",
}


# C0 and C1 control characters and DEL: a file's text shown on a terminal could otherwise
# move the cursor, rewrite the screen or set the window title (ESC, OSC sequences).
_CONTROLS = {n: f"\\x{n:02x}" for n in (*range(0x20), *range(0x7F, 0xA0))}
_CONTROLS.pop(ord("\t"))


def printable(text: str) -> str:
    """Text from a file as it may be shown on a terminal: control characters escaped
    (`\\x1b`), so a report's message cannot send escape sequences to the terminal."""
    return text.translate(_CONTROLS)
