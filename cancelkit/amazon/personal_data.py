"""The personal-data columns of Amazon's order reports: never copied into any output.

Every reader drops these columns when an input is read (read/tables.py `Table`), so no
record, rejects file, report, review workbook or JSON can hold them; the order-report
joiner reads only the columns it needs and never these. Compared after folding (case,
spaces and punctuation ignored), like every header.
"""

from __future__ import annotations

# Source: the US Unshipped Orders report's columns (DOMAIN.md section 5, "Buyer names,
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
