"""Which columns of an input may reach an output: keep what is known to be safe.

A list of personal columns is always one column behind Amazon (the 2025 US Unshipped Orders
layout added `buyer-identification-number` and `buyer-identification-type`, docs/domain.md section
10). So, when an input is read (read/headers.py `dropped_columns`, read/table.py `Table`):

- an input that is an Amazon order report (its header has REPORT_SIGNATURE) keeps only the
  columns cancelkit reads (read/headers.py ALIASES) and KNOWN_SAFE_REPORT_COLUMNS; every
  other column is dropped, named in the summary;
- any other input (the seller's batch) keeps its own columns, except those that are an
  Amazon report's personal columns (PERSONAL_DATA_COLUMNS, or a name starting with one of
  PERSONAL_PREFIXES) and the seller's own spellings of the same facts.

So no record, rejects file, report, review workbook or JSON can hold them; the order-report
joiner reads only the columns it needs. Compared after folding (case, spaces and punctuation
ignored), like every header.
"""

from __future__ import annotations

# Source: the US Unshipped Orders report's columns (docs/domain.md section 5, "Buyer names,
# emails, phones, addresses, tax ids (cpf) and gift messages are personal data"); the
# bill-* and ship-phone-number columns are those of the Amazon Fulfilled Shipments and
# order reports in the marketplaces that show them; buyer-tax-registration-* is the EU/BR
# business-buyer tax id. Company and licence names name a person or a firm; the address
# lines, city, state and postal code together locate the buyer (dropped too; the country
# alone does not, so ship-country is kept).
PERSONAL_DATA_COLUMNS: tuple[str, ...] = (
    "buyer-email",
    "buyer-name",
    "buyer-phone-number",
    "buyer-company-name",
    "buyer-tax-registration-id",
    "buyer-tax-registration-type",
    "buyer-tax-registration-country",
    "cpf",
    "payment-method-details",
    "recipient-name",
    "ship-address-1",
    "ship-address-2",
    "ship-address-3",
    "ship-city",
    "ship-state",
    "ship-postal-code",
    "ship-phone-number",
    "bill-name",
    "bill-address-1",
    "bill-address-2",
    "bill-address-3",
    "bill-city",
    "bill-state",
    "bill-postal-code",
    "gift-message-text",
    "licensee-name",
    "license-number",
    "license-state",
    "license-expiration-date",
    # the 2025 US Unshipped Orders layout (docs/domain.md section 10)
    "buyer-identification-number",
    "buyer-identification-type",
    # the business buyer's own references and the customisation a buyer typed
    "purchase-order-number",
    "customized-url",
    "customized-page",
    "address-type",
    # spellings sellers use in their own sheets for the same facts
    "customer-name",
    "customer-email",
    "customer-phone",
    "email",
    "e-mail",
    "phone",
    "phone-number",
    "address",
    "shipping-address",
)

#: a column whose name starts with one of these is a buyer's, whatever follows (Amazon's
#: `buyer-*`, `recipient-*`, `bill-*`, `ship-address-*` columns, including future ones)
PERSONAL_PREFIXES: tuple[str, ...] = ("buyer-", "recipient-", "bill-", "ship-address")
#: ... except these, which cancelkit reads as evidence of an official buyer request
NOT_PERSONAL: tuple[str, ...] = (
    "buyer-requested-cancel-reason",
    "is-buyer-requested-cancellation",
)

#: the columns of an Amazon order report known to hold no personal data: the order's and
#: the item's facts. Source: the Unshipped Orders report columns of docs/domain.md section 5
#: and the all-orders report (`GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL`) columns
#: seen in fixtures/order-report.txt and public integrations. The seller's own ship-from
#: address, tax numbers and anything not listed here are not kept.
KNOWN_SAFE_REPORT_COLUMNS: tuple[str, ...] = (
    # Unshipped Orders report
    "order-id",
    "order-item-id",
    "purchase-date",
    "payments-date",
    "reporting-date",
    "promise-date",
    "days-past-promise",
    "sku",
    "number-of-items",
    "product-name",
    "quantity-purchased",
    "quantity-shipped",
    "quantity-to-ship",
    "ship-service-level",
    "ship-service-name",
    "ship-country",
    "gift-wrap-type",
    "payment-method",
    "cod-collectible-amount",
    "already-paid",
    "payment-method-fee",
    "is-business-order",
    "price-designation",
    "is-prime",
    "is-global-express",
    "is-premium-order",
    "is-replacement-order",
    "is-exchange-order",
    "original-order-id",
    "is-transparency",
    "is-ispu-order",
    "is-buyer-requested-cancellation",
    "buyer-requested-cancel-reason",
    "is-shipping-settings-automation-enabled",
    "ssa-carrier",
    "ssa-ship-method",
    "tax-collection-model",
    "tax-collection-responsible-party",
    "verge-of-cancellation",
    "verge-of-lateShipment",
    "signature-confirmation-recommended",
    # all-orders report
    "amazon-order-id",
    "merchant-order-id",
    "last-updated-date",
    "order-status",
    "fulfillment-channel",
    "sales-channel",
    "order-channel",
    "asin",
    "item-status",
    "quantity",
    "currency",
    "item-price",
    "item-tax",
    "shipping-price",
    "shipping-tax",
    "gift-wrap-price",
    "gift-wrap-tax",
    "item-promotion-discount",
    "ship-promotion-discount",
    "promotion-ids",
    "is-iba",
    "is-sold-by-ab",
    "is-heavy-or-bulky",
)

#: an input whose header has all the columns of one of these sets is an Amazon order
#: report (every Amazon order report has the order id and purchase-date columns)
REPORT_SIGNATURE: tuple[tuple[str, ...], ...] = (
    ("order-id", "purchase-date"),
    ("amazon-order-id", "purchase-date"),
    ("order-id", "order-item-id", "payments-date"),
)
