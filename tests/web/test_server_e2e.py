"""`cancelkit serve` end to end in real Chromium: a messy batch and an order report loaded
through the page, filtered, some rows approved, the upload file downloaded and compared
byte for byte with `generate --from-review` of a workbook with the same approvals; the
projected rate the page shows equals the JSON's; sending to the local stand-in for Amazon
shows the reconcile outcome; the history page reconciles a dropped processing report."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
from conftest import FIXTURES, MESSY, invoke
from web_serving import browser, served, shoot, watched  # noqa: F401

from cancelkit.review.reader import REVIEW_HEADER
from cancelkit.write.report import pct

ORDERS_REPORT = FIXTURES / "order-report.txt"
COL = {name: i + 1 for i, name in enumerate(REVIEW_HEADER)}


def load(page, server, inputs, reports=(), orders="4000", cancels="12") -> str:
    page.goto(server.base + "/")
    page.set_input_files("#inputs", [str(p) for p in inputs])
    if reports:
        page.set_input_files("#orders_reports", [str(p) for p in reports])
    page.fill("#orders_7d", orders)
    page.fill("#cancels_7d", cancels)
    page.click("#load-button")
    page.wait_for_url(re.compile(r".*/b/batch-[0-9]+$"))
    return page.url


def approved_rows(page) -> set[tuple[str, int]]:
    """(file name, row) of each row the page shows approved."""
    found = set()
    for row in page.query_selector_all("#rows tr[data-token]"):
        box = row.query_selector("input.approve")
        if box is not None and box.is_checked():
            where = row.query_selector_all("td")[-2].inner_text()
            name, number = where.rsplit(", row ", 1)
            found.add((name, int(number)))
    return found


def click_and_save(page, selector: str) -> None:
    with page.expect_response(re.compile(r".*/(approvals|approve-filter)$")) as answer:
        page.click(selector)
    assert answer.value.ok, answer.value.text()


def cli_from_review(tmp_path: Path, approve: set[tuple[str, int]]) -> tuple[bytes, dict]:
    """`cancelkit review` of the same files, the same rows approved in the workbook, then
    `generate --from-review`: its upload file's bytes and its JSON."""
    review = tmp_path / "cli-review.xlsx"
    run = invoke(
        "review", MESSY, "--orders-report", ORDERS_REPORT, "--orders-7d", "4000",
        "--cancels-7d", "12", "-o", review,
    )  # fmt: skip
    assert run.exit_code in (0, 1), run.output
    book = openpyxl.load_workbook(review)
    sheet = book["Review"]
    for n in range(2, sheet.max_row + 1):
        if sheet.cell(n, COL["approve"]).value == "n/a":
            continue
        where = (Path(sheet.cell(n, COL["source"]).value).name, sheet.cell(n, COL["row"]).value)
        sheet.cell(n, COL["approve"]).value = "yes" if where in approve else "no"
    book.save(review)
    out = tmp_path / "cli-out"
    run = invoke(
        "generate", "--from-review", review, "--out-dir", out, "--flat-file", out / "up.txt",
        "--json", out / "r.json", "--no-ledger",
    )  # fmt: skip
    assert run.exit_code in (0, 1), run.output
    return (out / "up.txt").read_bytes(), json.loads((out / "r.json").read_text())


def test_load_filter_approve_download_matches_from_review(browser, served, tmp_path):  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    seen = watched(page)
    assert page.goto(served.url).ok
    assert page.url == served.base + "/"  # the token is traded for the cookie and dropped
    shoot(page, "load")
    load(page, served, [MESSY], [ORDERS_REPORT])
    batch_url = page.url
    assert page.locator("#rows tr[data-token]").count() == 23
    assert "messy-batch.csv, row" in page.inner_text("#rows")

    # filter: the accepted rows of risk high; hold them all, then approve two of them
    page.select_option("select[name=status]", "accepted")
    page.select_option("select[name=risk]", "high")
    page.click("#filter button[type=submit]")
    page.wait_for_url(re.compile(r".*risk=high.*"))
    risks = page.locator("#rows tr[data-token] td:nth-child(3)").all_inner_texts()
    assert risks and set(risks) == {"high"}
    click_and_save(page, "#hold-filter")
    page.reload()
    boxes = page.locator("#rows input.approve")
    assert all(not boxes.nth(i).is_checked() for i in range(boxes.count()))
    before = page.inner_text('#proj-US [data-field="rate_after"]')
    for i in (0, 2):
        with page.expect_response(re.compile(r".*/approvals$")):
            boxes.nth(i).check()
    after = page.inner_text('#proj-US [data-field="rate_after"]')
    assert after != before  # the projected rate follows the approvals

    # search an order id
    order_id = page.locator("#rows tr[data-token] td:nth-child(5)").first.inner_text()
    page.goto(batch_url + f"?q={order_id[-7:]}")
    ids = page.locator("#rows tr[data-token] td:nth-child(5)").all_inner_texts()
    assert ids and all(order_id[-7:] in i for i in ids)

    page.goto(batch_url)
    shown_rate = page.inner_text('#proj-US [data-field="rate_after"]')
    approve = approved_rows(page)
    assert approve
    shoot(page, "batch")

    page.click("#leave-button")
    page.wait_for_selector("#left")
    link = page.locator("#downloads a.download", has_text=re.compile(r"^cancellations-.*\.txt$"))
    with page.expect_download() as waiting:
        link.first.click()
    download = waiting.value
    assert download.failure() is None
    got = Path(download.path()).read_bytes()
    shoot(page, "leave")

    expected, document = cli_from_review(tmp_path, approve)
    assert got == expected
    assert shown_rate == pct(document["metrics"]["rate_after"])
    assert page.inner_text("#left-rate") == pct(document["metrics"]["rate_after"])
    assert seen["errors"] == [] and seen["dialogs"] == []
    assert all(url.startswith(served.base) for url in seen["requests"])
