"""Risk summary report: HTML and Markdown rendering of the report context."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import markupsafe
import pytest

from cancelkit.write.report import (
    md,
    md_code,
    pct,
    render_report,
    report_format_for,
    templates_dir,
    thousands,
)

INJECTED_SKU = "<img src=x onerror=alert(1)>"
INJECTED_NOTE = '<script>alert("note")</script> see https://evil.example/x.js\nsecond line'
FORMULA_VALUE = '=HYPERLINK("http://evil.example/steal","click me")'

ORDERS_7D_HINT = (
    "Pass --orders-7d N (all orders in the last 7 days) to see the projected Cancellation Rate."
)
CANCELS_7D_HINT = (
    "Pass --cancels-7d N (seller cancellations already in the last 7 days) "
    "or keep the ledger on to include earlier cancellations."
)

EXPLANATION_COUNTS = {
    "code": "counts_against_rate",
    "title": "Counts against your Cancellation Rate",
    "text": "A seller-initiated cancellation counts against your 7-day Cancellation Rate.",
}
EXPLANATION_BUYER = {
    "code": "buyer_request_unverified",
    "title": "Buyer request not verified",
    "text": (
        "BuyerCanceled counts against your rate unless the buyer used Amazon's "
        "Request cancellation option."
    ),
}


def _outputs(report: str, rejects: str | None = None) -> dict:
    return {
        "flat_file": "cancelkit-out/cancellations-20261126-080000.txt",
        "rejects": rejects,
        "report": report,
        "review": None,
    }


def safe_context() -> dict:
    """A clean batch with order volume known: 1.80% after the batch, under the 2.5% target."""
    return {
        "tool": {"name": "cancelkit", "version": "0.1.0"},
        "generated_at": "2026-11-26T08:00:00Z",
        "inputs": [
            {
                "path": "cancellations.csv",
                "sha256": "ab12f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80",
                "rows": 60,
            }
        ],
        "summary": {
            "input_rows": 60,
            "accepted": 60,
            "rejected": 0,
            "duplicates": 0,
            "orders": 60,
            "counts_against_rate": 60,
            "risk": {"high": 0, "medium": 60, "low": 0, "none": 0},
            "by_reason": {"NoInventory": 60},
            "rejected_by_code": {},
        },
        "metrics": {
            "marketplace": "US",
            "window_days": 7,
            "threshold": 0.025,
            "orders_in_window": 4000,
            "seller_cancels_in_window": 12,
            "rate_before": 0.003,
            "rate_after": 0.018,
            "over_threshold": False,
            "headroom_orders": 27,
            "orders_source": "option --orders-7d",
            "cancels_source": "ledger",
        },
        "verdict": {
            "level": "ok",
            "title": "Safe to upload",
            "text": "This batch keeps your Cancellation Rate at 1.80%, under the 2.50% target.",
        },
        "gate": {"fail_on": "none", "tripped": False, "reason": None},
        "hints": [],
        "listing_risks": [],
        "flagged": [],
        "flagged_more": 0,
        "rejected": [],
        "rejected_more": 0,
        "explanations": [],
        "outputs": _outputs("cancelkit-out/cancellations-20261126-080000-report.html"),
    }


def dangerous_context() -> dict:
    """Over the target, listings at risk, flagged and rejected rows carrying hostile text."""
    return {
        "tool": {"name": "cancelkit", "version": "0.1.0"},
        "generated_at": "2026-11-26T08:00:00Z",
        "inputs": [
            {
                "path": "stock-out <march>.csv",
                "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                "rows": 30,
            },
            {
                "path": "unshipped-orders.txt",
                "sha256": "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
                "rows": 412,
            },
        ],
        "summary": {
            "input_rows": 30,
            "accepted": 26,
            "rejected": 3,
            "duplicates": 1,
            "orders": 25,
            "counts_against_rate": 24,
            "risk": {"high": 24, "medium": 1, "low": 0, "none": 1},
            "by_reason": {"NoInventory": 20, "BuyerCanceled": 4, "(whole order)": 2},
            "rejected_by_code": {"order_id_format": 2, "item_code_scientific": 1},
        },
        "metrics": {
            "marketplace": "US",
            "window_days": 7,
            "threshold": 0.025,
            "orders_in_window": 1200,
            "seller_cancels_in_window": 18,
            "rate_before": 0.015,
            "rate_after": 0.035,
            "over_threshold": True,
            "headroom_orders": 0,
            "orders_source": "option --orders-7d",
            "cancels_source": "option --cancels-7d",
        },
        "verdict": {
            "level": "danger",
            "title": "Do not upload this batch as it is",
            "text": (
                "Your Cancellation Rate would rise to 3.50%, over Amazon's 2.50% target. "
                "Cancel fewer orders or ask buyers to request the cancellation themselves."
            ),
        },
        "gate": {
            "fail_on": "high",
            "tripped": True,
            "reason": "24 records are high risk; the upload file was not written",
        },
        "hints": [],
        "listing_risks": [
            {
                "sku": INJECTED_SKU,
                "seller_cancellations_30d": 2,
                "order_ids": ["113-4728391-2038475", "114-1234567-7654321"],
            },
            {
                "sku": "MUG-BLUE-12OZ",
                "seller_cancellations_30d": 3,
                "order_ids": ["111-0000001-0000001", "112-0000002-0000002", "113-0000003-0000003"],
            },
        ],
        "flagged": [
            {
                "source": "stock-out <march>.csv",
                "row": 2,
                "order_id": "113-4728391-2038475",
                "amazon_order_item_code": "62845173920562",
                "reason": "NoInventory",
                "sku": INJECTED_SKU,
                "note": INJECTED_NOTE,
                "status": "accepted",
                "counts_against_rate": True,
                "risk": "high",
                "flags": [
                    {
                        "code": "counts_against_rate",
                        "message": "NoInventory counts against your Cancellation Rate.",
                    },
                    {
                        "code": "listing_at_risk",
                        "message": "Second seller cancellation on this listing within 30 days.",
                    },
                ],
            },
            {
                "source": "stock-out <march>.csv",
                "row": 5,
                "order_id": "114-1234567-7654321",
                "amazon_order_item_code": None,
                "reason": None,
                "sku": "KIT|2-PACK",
                "note": None,
                "status": "accepted",
                "counts_against_rate": True,
                "risk": "high",
                "flags": [
                    {
                        "code": "counts_against_rate",
                        "message": "A whole-order cancellation counts against your rate.",
                    }
                ],
            },
            {
                "source": "stock-out <march>.csv",
                "row": 9,
                "order_id": "112-9988776-5544332",
                "amazon_order_item_code": "51234567890123",
                "reason": "BuyerCanceled",
                "sku": "MUG-BLUE-12OZ",
                "note": "buyer asked by message",
                "status": "accepted",
                "counts_against_rate": True,
                "risk": "medium",
                "flags": [
                    {
                        "code": "buyer_request_unverified",
                        "message": "No official buyer request found for this order.",
                    }
                ],
            },
        ],
        "flagged_more": 5,
        "rejected": [
            {
                "source": "stock-out <march>.csv",
                "row": 7,
                "values": {
                    "Order ID": "113-472839-2038475",
                    "Reason": "NoInventory",
                    "Item code": "6.19383E+13",
                },
                "errors": [
                    {
                        "code": "order_id_format",
                        "column": "Order ID",
                        "value": "113-472839-2038475",
                        "message": "An Amazon order id has 3-7-7 digits, like 123-1234567-1234567.",
                    },
                    {
                        "code": "item_code_scientific",
                        "column": "Item code",
                        "value": "6.19383E+13",
                        "message": "Excel turned this item code into 6.19383E+13. Format the "
                        "column as Text and paste the codes again.",
                    },
                ],
            },
            {
                "source": "stock-out <march>.csv",
                "row": 12,
                "values": {"Order ID": FORMULA_VALUE, "Reason": "NoInventory"},
                "errors": [
                    {
                        "code": "order_id_format",
                        "column": "Order ID",
                        "value": FORMULA_VALUE,
                        "message": "An Amazon order id has 3-7-7 digits, like 123-1234567-1234567.",
                    }
                ],
            },
        ],
        "rejected_more": 2,
        "explanations": [EXPLANATION_COUNTS, EXPLANATION_BUYER, dict(EXPLANATION_COUNTS)],
        "outputs": {
            "flat_file": None,
            "rejects": "cancelkit-out/cancellations-20261126-080000-rejects.csv",
            "report": "cancelkit-out/cancellations-20261126-080000-report.html",
            "review": None,
        },
    }


def no_metrics_context() -> dict:
    """No order volume given: the report shows what to pass instead of a chart."""
    context = safe_context()
    context["metrics"] = {
        "marketplace": "UK",
        "window_days": 7,
        "threshold": 0.025,
        "orders_in_window": None,
        "seller_cancels_in_window": None,
        "rate_before": None,
        "rate_after": None,
        "over_threshold": None,
        "headroom_orders": None,
        "orders_source": None,
        "cancels_source": None,
    }
    context["verdict"] = {
        "level": "warning",
        "title": "Check the rate before uploading",
        "text": "60 orders in this batch count against your Cancellation Rate.",
    }
    context["hints"] = [ORDERS_7D_HINT, CANCELS_7D_HINT]
    context["gate"] = {"fail_on": "medium", "tripped": False, "reason": None}
    return context


SAMPLES = {"safe": safe_context, "dangerous": dangerous_context, "no_metrics": no_metrics_context}


def _strings(value) -> list[str]:
    """Every string inside a context, at any depth."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.items() for part in item for s in _strings(part)]
    if isinstance(value, (list, tuple)):
        return [s for item in value for s in _strings(item)]
    return []


def _md_tables(text: str) -> list[list[str]]:
    tables, current = [], []
    for line in text.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("risk.html", "html"),
        ("out/Risk.HTM", "html"),
        (Path("risk.md"), "md"),
        ("risk.markdown", "md"),
    ],
)
def test_report_format_for_maps_suffix(path, fmt):
    assert report_format_for(path) == fmt


@pytest.mark.parametrize("path", ["risk.pdf", "risk", "risk.html.txt"])
def test_report_format_for_rejects_other_suffixes(path):
    with pytest.raises(ValueError, match="report format"):
        report_format_for(path)


def test_render_report_rejects_unknown_format():
    with pytest.raises(ValueError, match="pdf"):
        render_report(safe_context(), "pdf")


def test_filters_format_rates_counts_and_markdown():
    assert pct(0.018) == "1.80%"
    assert pct(0.025) == "2.50%"
    assert pct(None) == "n/a"
    assert thousands(4000) == "4,000"
    assert md("KIT|2-PACK") == r"KIT\|2-PACK"
    assert md("a`b*c_d[e](f)\\") == r"a\`b\*c\_d\[e\](f)\\"
    assert md("<b>&amp;</b>") == "&lt;b&gt;&amp;amp;&lt;/b&gt;"
    assert md("one\r\ntwo\nthree\rfour") == "one two three four"
    assert md(None) == ""
    assert md_code("order_id_format") == "`order_id_format`"
    assert md_code("a`b|c") == r"``a`b\|c``"
    assert md_code("`x") == "`` `x ``"
    assert md_code(None) == ""


def test_templates_are_found_in_the_source_checkout():
    folder = templates_dir()
    assert (folder / "report.html.j2").is_file()
    assert (folder / "report.md.j2").is_file()


def test_safe_batch_html_shows_verdict_and_rate_chart():
    html = render_report(safe_context(), "html")
    assert 'class="banner ok"' in html
    assert "Safe to upload" in html
    assert "<svg" in html
    assert "Target 2.50%" in html
    for figure in ("0.30%", "1.80%", "under 2.50%", "4,000", "27"):
        assert figure in html
    assert "from option --orders-7d" in html
    assert "from ledger" in html
    assert "Risk gate" not in html
    assert "No records were flagged." in html
    assert 'id="rejected-heading"' not in html
    assert "ab12f3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80" in html
    assert "cancelkit 0.1.0" in html
    assert "2026-11-26T08:00:00Z" in html


def test_safe_batch_markdown_shows_verdict_and_rate_table():
    text = render_report(safe_context(), "md")
    assert "## **[OK]** Safe to upload" in text
    assert "| Before this batch | 0.30% |" in text
    assert "| After this batch | 1.80% |" in text
    assert "| Target | under 2.50% |" in text
    assert "- Headroom: 27 more counting cancelled orders" in text
    assert "- Orders in window: 4,000 (from option --orders-7d)" in text
    assert "| 60 | 60 | 0 | 0 | 60 | 60 |" in text
    assert "| NoInventory | 60 |" in text


def test_dangerous_batch_html_shows_danger_gate_listings_and_rows():
    html = render_report(dangerous_context(), "html")
    assert 'class="banner danger"' in html
    assert "Do not upload this batch as it is" in html
    assert "<strong>tripped</strong>" in html
    assert "24 records are high risk; the upload file was not written" in html
    assert "3.50%" in html
    assert "at or over the target" in html
    assert "none <span" in html  # headroom 0
    assert "two consecutive seller cancellations" in html
    assert "MUG-BLUE-12OZ" in html
    assert (
        '<span class="id">111-0000001-0000001</span>, <span class="id">112-0000002-0000002' in html
    )
    assert "62845173920562" in html
    assert "Second seller cancellation on this listing within 30 days." in html
    assert "5</strong> more flagged records are left out here: all of them are in the JSON" in html
    assert "2</strong> more rejected rows" in html
    assert "113-472839-2038475" in html
    assert "6.19383E+13" in html
    assert "Format the column as Text" in html
    # Each explanation once, although the context lists one of them twice.
    assert html.count("<dt>Counts against your Cancellation Rate") == 1
    assert html.count("<dt>Buyer request not verified") == 1
    assert "Upload file (Order Cancellation flat file)" in html
    # Sections come in the documented order.
    headings = [
        "Cancellation Rate (US",
        "Batch at a glance",
        "Listings at risk",
        "Flagged records",
        "Rejected rows (not in the upload file)",
        "What the flags mean",
        "Files",
    ]
    positions = [html.index(f'-heading">{heading}') for heading in headings]
    assert positions == sorted(positions)


def test_dangerous_batch_html_escapes_user_text():
    html = render_report(dangerous_context(), "html")
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;script&gt;alert(&#34;note&#34;)&lt;/script&gt;" in html
    assert "stock-out &lt;march&gt;.csv" in html
    assert "=HYPERLINK(&#34;http://evil.example/steal&#34;,&#34;click me&#34;)" in html
    assert "<img" not in html
    assert "<script" not in html.lower()
    assert "onerror=alert(1)>" not in html


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_html_is_self_contained(sample):
    context = SAMPLES[sample]()
    html = render_report(context, "html")
    assert "<script" not in html.lower()
    for tag in ("<link", "<iframe", "<object", "<embed", "<img", "@import", "url("):
        assert tag not in html.lower()
    # Web addresses may only appear inside escaped user text; take that out and none remain.
    ours = html
    for value in sorted(set(_strings(context)), key=len, reverse=True):
        ours = ours.replace(str(markupsafe.escape(value)), "")
    assert "http://" not in ours
    assert "https://" not in ours


def test_dangerous_batch_markdown_neutralises_user_text():
    text = render_report(dangerous_context(), "md")
    assert "## **[DANGER]** Do not upload this batch as it is" in text
    assert "Risk gate (`--fail-on high`): **tripped**. 24 records are high risk" in text
    assert "| After this batch | **3.50%** (at or over the target) |" in text
    assert "- Headroom: none" in text
    assert (
        "| &lt;img src=x onerror=alert(1)&gt; | 2 | 113-4728391-2038475, 114-1234567-7654321 |"
        in (text)
    )
    assert "| MUG-BLUE-12OZ | 3 |" in text
    assert r"KIT\|2-PACK" in text
    assert 'note: &lt;script&gt;alert("note")&lt;/script&gt; see https://evil.example/x.js ' in (
        text
    )
    assert "second line" in text
    assert "stock-out &lt;march&gt;.csv" in text
    assert "<img" not in text
    assert "<script" not in text.lower()
    assert "… and 5 more flagged records are left out here: all of them are in the JSON" in text
    assert "… and 2 more rejected rows" in text
    assert "| Order ID | 113-472839-2038475 | An Amazon order id has 3-7-7 digits" in text
    assert text.count("- **Counts against your Cancellation Rate**") == 1
    assert "| `order_id_format` | 2 |" in text
    assert "(`listing_at_risk`)" in text
    assert "| Upload file (Order Cancellation flat file) | not written |" in text


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_markdown_tables_keep_their_shape(sample):
    text = render_report(SAMPLES[sample](), "md")
    tables = _md_tables(text)
    assert tables
    for table in tables:
        cells = {len(re.findall(r"(?<!\\)\|", line)) for line in table}
        assert len(cells) == 1, table


def test_batch_without_metrics_shows_hints_instead_of_chart():
    context = no_metrics_context()
    html = render_report(context, "html")
    assert "<svg" not in html
    assert "Check the rate before uploading" in html
    assert 'class="banner warning"' in html
    assert "To see the projected rate:" in html
    assert ORDERS_7D_HINT in html
    assert CANCELS_7D_HINT in html
    assert "Cancellation Rate (UK, last 7 days)" in html
    assert "<strong>passed</strong>" in html
    assert "--fail-on medium" in html

    text = render_report(context, "md")
    assert "## **[WARNING]** Check the rate before uploading" in text
    assert "| Before this batch |" not in text
    assert f"- {ORDERS_7D_HINT}" in text
    assert "This batch has **60** orders that count against the rate (target: under 2.50%)." in text
    assert "Risk gate (`--fail-on medium`): **passed**" in text


def test_markdown_escapes_every_user_field():
    context = dangerous_context()
    hostile = "<b>x</b>|`y`"
    record = context["flagged"][0]
    for key in ("source", "order_id", "amazon_order_item_code", "reason", "sku", "note"):
        record[key] = hostile
    context["rejected"][0]["errors"][0]["value"] = hostile
    context["inputs"][0]["path"] = hostile
    context["listing_risks"][0]["order_ids"] = [hostile]
    text = render_report(context, "md")
    assert "<b>" not in text
    assert "|`y`" not in text
    assert r"&lt;b&gt;x&lt;/b&gt;\|\`y\`" in text
    for table in _md_tables(text):
        assert len({len(re.findall(r"(?<!\\)\|", line)) for line in table}) == 1


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_templates_survive_missing_optional_keys(fmt):
    minimal = {"verdict": {"level": "ok", "title": "Safe to upload", "text": "Nothing counts."}}
    output = render_report(minimal, fmt)
    assert "Safe to upload" in output
    assert "No records were flagged." in output

    sparse = copy.deepcopy(dangerous_context())
    del sparse["flagged"][0]["note"]
    del sparse["metrics"]["cancels_source"]
    del sparse["summary"]["rejected_by_code"]
    sparse["verdict"]["level"] = "unexpected"
    assert "Do not upload this batch as it is" in render_report(sparse, fmt)


def test_templates_never_mark_values_safe():
    for name in ("report.html.j2", "report.md.j2"):
        source = (templates_dir() / name).read_text(encoding="utf-8")
        assert not re.search(r"\|\s*safe\b", source), name
