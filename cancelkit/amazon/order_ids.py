"""The one cleaning of an order-id cell, used by every input and every report.

A batch cell, an Unshipped Orders report, an all-orders report and a fetch-orders file all
reach the join through `clean_order_id`, so an id copied with an invisible character (a
zero-width space from a web page, a BOM, a soft hyphen) or a typographic dash still names
the same order wherever it was read. Nothing else is changed: a fullwidth or Arabic-Indic
digit stays what it is, so the record model still rejects it as `non_ascii`.
"""

from __future__ import annotations

import unicodedata

#: dashes a copied order id may carry instead of the ASCII hyphen
DASHES = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"})


def clean_order_id(text: str) -> str:
    """An order-id cell as every reader compares it: Unicode format characters (category
    Cf: zero-width spaces and joiners, BOM, soft hyphen, bidi marks) removed wherever they
    are, spaces around it trimmed (non-breaking ones too), dashes made ASCII hyphens."""
    if text.isascii():
        return text.strip()
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return text.strip().translate(DASHES)
